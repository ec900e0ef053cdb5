-- ogc_daily from ogc_hourly, ogc_monthly from ogc_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, ogc_service, ogc_request, ogc_crs, ogc_format, ogc_tiled, ogc_download,
       agent_class, agent_name, org,
       {{ m.counts_rollup() }},
       sum(layers)::bigint AS layers
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, ogc_service, ogc_request, ogc_crs, ogc_format,
         ogc_tiled, ogc_download, agent_class, agent_name, org
