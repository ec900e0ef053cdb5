-- ogc_daily by service and request type only (and organisation, a dashboard filter), from
-- ogc_hourly: what the daily OGC time series draw, in fewer rows.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, ogc_service, ogc_request, org,
       {{ m.counts_rollup() }},
       sum(layers)::bigint AS layers
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, ogc_service, ogc_request, org
