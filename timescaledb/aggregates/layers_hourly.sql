-- One count per request and layer (from request_layers): top layers and workspaces, tiles
-- apart (ogc_tiled), downloads, by organisation, and per-layer latency. No bytes: a
-- response's size cannot be split between its layers.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, layer, workspace, ogc_service, ogc_request, ogc_tiled, ogc_download, org,
       {{ m.counts_from_raw(with_bytes=false) }},
       {{ m.latency_from_raw() }}
FROM {{ source }}
GROUP BY {{ bucket("ts") }}, site, app, layer, workspace, ogc_service, ogc_request,
         ogc_tiled, ogc_download, org
