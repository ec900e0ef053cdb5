-- Every request, by app, status class, client class and organisation.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, analytics.status_class(status) AS status_class, agent_class, org,
       {{ m.counts_from_raw() }},
       {{ m.latency_from_raw() }}
FROM {{ source }}
GROUP BY {{ bucket("ts") }}, site, app, analytics.status_class(status), agent_class, org
