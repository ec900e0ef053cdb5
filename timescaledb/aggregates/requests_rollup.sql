-- requests_daily from requests_hourly, requests_monthly from requests_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, status_class, agent_class, org,
       {{ m.counts_rollup() }},
       {{ m.latency_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, status_class, agent_class, org
