-- errors_daily from errors_hourly, errors_monthly from errors_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, status, status_class, path_prefix, agent_class,
       {{ m.counts_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, status, status_class, path_prefix, agent_class
