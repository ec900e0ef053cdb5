-- countries_monthly from countries_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, country, region, agent_class, org,
       {{ m.counts_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, country, region, agent_class, org
