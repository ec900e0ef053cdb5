-- Requests per day by the client's country and region (migration 0015; NULL without a
-- GeoIP database), application, client class and organisation: where users are.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, country, region, agent_class, org,
       {{ m.counts_from_raw() }}
FROM {{ source }}
GROUP BY {{ bucket("ts") }}, site, app, country, region, agent_class, org
