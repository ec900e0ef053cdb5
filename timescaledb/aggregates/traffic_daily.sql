-- requests_daily without status and client class, from requests_hourly: what the daily
-- time series draw (requests, bytes, latency by site, app and organisation) in fewer rows.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, org,
       {{ m.counts_rollup() }},
       {{ m.latency_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, org
