-- Catalog actions (GeoNetwork, datahub): metadata views and exports, downloads, searches,
-- by record.
{% import "aggregates/_measures.sql" as m with context -%}
SELECT {{ bucket("ts") }} AS bucket,
       site, app, catalog_action, catalog_uuid, agent_class, org,
       {{ m.counts_from_raw() }}
FROM {{ source }}
WHERE catalog_action IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, app, catalog_action, catalog_uuid, agent_class, org
