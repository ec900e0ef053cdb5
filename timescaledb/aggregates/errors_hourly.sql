-- Responses with status >= 400, by app, exact status and path prefix (first two segments).
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, status, analytics.status_class(status) AS status_class,
       analytics.path_prefix(path) AS path_prefix, agent_class,
       {{ m.counts_from_raw() }}
FROM {{ source }}
WHERE status >= 400
GROUP BY {{ bucket("ts") }}, site, app, status, analytics.status_class(status),
         analytics.path_prefix(path), agent_class
