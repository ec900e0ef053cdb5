-- The aggregates, one definition each in timescaledb/aggregates/, built for the edition:
-- continuous aggregates (hierarchical: hourly from raw, daily from hourly, monthly from
-- daily) under the Timescale licence, plain tables refreshed by the analyzer otherwise.
{%- if edition == "timescale" %}

-- Continuous aggregates belong to the writer: only their owner may refresh them, and the
-- nightly run (the writer) refreshes them after each load. The owner cannot hand them over
-- (the new owner would need CREATE on TimescaleDB's internal schema), so the writer creates
-- them, with CREATE on the analytics schema for this transaction only. No refresh or
-- retention policy: the analyzer refreshes and applies retention itself, so correctness
-- never waits on the scheduler (archives/decisions/0014).
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'analytics_writer', 'SET') THEN
        RAISE EXCEPTION '% cannot create continuous aggregates as analytics_writer', current_user
            USING HINT = 'As a superuser: GRANT analytics_writer TO ' || current_user
                         || ' (timescaledb/init/bootstrap.sql does).';
    END IF;
END
$$;
-- What the writer reads them from (0004 grants it again, with the rest).
GRANT USAGE ON SCHEMA analytics TO analytics_writer;
GRANT SELECT ON analytics.requests, analytics.request_layers TO analytics_writer;
GRANT CREATE ON SCHEMA analytics TO analytics_writer;
SET LOCAL ROLE analytics_writer;
{%- endif %}
{% for agg in aggregates_until("0003") %}

-- {{ agg.name }}: {{ agg.width }} buckets from {{ agg.source }}
{%- if edition == "timescale" %}
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.{{ agg.name }}
WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
{{ select(agg) }}
WITH NO DATA;
{%- else %}
CREATE TABLE IF NOT EXISTS analytics.{{ agg.name }} AS
{{ select(agg) }}
WITH NO DATA;
CREATE INDEX IF NOT EXISTS {{ agg.name }}_site_bucket_idx ON analytics.{{ agg.name }} (site, bucket);
CREATE INDEX IF NOT EXISTS {{ agg.name }}_bucket_idx ON analytics.{{ agg.name }} (bucket);
{%- endif %}
{%- endfor %}
{%- if edition == "timescale" %}
RESET ROLE;
REVOKE CREATE ON SCHEMA analytics FROM analytics_writer;
{%- endif %}

-- users_daily with one row per role, for "users by role".
CREATE OR REPLACE VIEW analytics.user_roles_daily AS
SELECT u.bucket, u.site, u.user_name, u.app, u.org, r.role, u.requests
FROM analytics.users_daily AS u
CROSS JOIN LATERAL unnest(u.roles) AS r(role);
