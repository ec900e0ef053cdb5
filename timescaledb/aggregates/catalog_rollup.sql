-- catalog_daily from catalog_hourly, catalog_monthly from catalog_daily.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, catalog_action, catalog_uuid, agent_class, org,
       {{ m.counts_rollup() }}
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, catalog_action, catalog_uuid, agent_class, org
