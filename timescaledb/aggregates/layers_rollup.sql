-- layers_daily from layers_hourly, layers_monthly from layers_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, layer, workspace, ogc_service, ogc_request, ogc_tiled, ogc_download, org,
       {{ m.counts_rollup(with_bytes=false) }},
       {{ m.latency_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, layer, workspace, ogc_service, ogc_request,
         ogc_tiled, ogc_download, org
