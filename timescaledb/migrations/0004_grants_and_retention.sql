{% import "macros/aggregates.sql" as aggregates with context -%}
-- Who may do what (see the README's "Roles and grants"), and retention per level.

GRANT USAGE ON SCHEMA analytics TO analytics_writer, analytics_reader;
GRANT SELECT ON analytics.settings TO analytics_writer, analytics_reader;
GRANT SELECT, INSERT ON analytics.requests, analytics.request_layers TO analytics_writer;
GRANT SELECT, INSERT, UPDATE ON analytics.ingested_files TO analytics_writer;
{{- aggregates.grant(aggregates_until("0004")) }}
GRANT SELECT ON analytics.user_roles_daily TO analytics_writer, analytics_reader;

{{ aggregates.retention(aggregates_until("0004")) }}
{%- if edition == "timescale" %}

-- The drop_after of the retention policy on a hypertable or continuous aggregate, or NULL.
CREATE OR REPLACE FUNCTION analytics.retention_policy(rel regclass)
RETURNS interval
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
AS $$
    SELECT (j.config ->> 'drop_after')::interval
    FROM timescaledb_information.jobs AS j
    WHERE j.proc_name = 'policy_retention'
      AND rel IN (
          to_regclass(quote_ident(j.hypertable_schema) || '.' || quote_ident(j.hypertable_name)),
          (SELECT to_regclass(quote_ident(c.view_schema) || '.' || quote_ident(c.view_name))
           FROM timescaledb_information.continuous_aggregates AS c
           WHERE c.materialization_hypertable_schema = j.hypertable_schema
             AND c.materialization_hypertable_name = j.hypertable_name))
$$;
{%- endif %}
