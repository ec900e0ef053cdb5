-- OGC requests: service and request types, CRS, formats, downloads, clients, organisations.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, ogc_service, ogc_request, ogc_crs, ogc_format, ogc_tiled, ogc_download,
       agent_class, agent_name, org,
       {{ m.counts_from_raw() }},
       sum(layer_count)::bigint AS layers
FROM {{ source }}
WHERE ogc_service IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, app, ogc_service, ogc_request, ogc_crs, ogc_format,
         ogc_tiled, ogc_download, agent_class, agent_name, org
