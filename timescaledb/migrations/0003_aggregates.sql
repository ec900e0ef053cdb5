-- The aggregates, one definition each in timescaledb/aggregates/, built for the edition:
-- continuous aggregates (hierarchical: hourly from raw, daily from hourly, monthly from
-- daily) under the Timescale licence, plain tables refreshed by the analyzer otherwise.
{%- if edition == "timescale" %}

-- Continuous aggregates are handed to the writer, the only role that refreshes them.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'analytics_writer', 'SET') THEN
        RAISE EXCEPTION '% cannot hand continuous aggregates to analytics_writer', current_user
            USING HINT = 'As a superuser: GRANT analytics_writer TO ' || current_user
                         || ' (timescaledb/init/bootstrap.sql does).';
    END IF;
END
$$;
{%- endif %}
{% for agg in aggregates %}

-- {{ agg.name }}: {{ agg.width }} buckets from {{ agg.source }}
{%- if edition == "timescale" %}
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.{{ agg.name }}
WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
{{ select(agg) }}
WITH NO DATA;
-- The analyzer refreshes after each load, and refreshing needs the aggregate's owner.
ALTER MATERIALIZED VIEW analytics.{{ agg.name }} OWNER TO analytics_writer;
-- A safety net for a run that died between its commit and its refresh; the window stays
-- inside the retention of the source (checked by analyzer.db.retention).
SELECT add_continuous_aggregate_policy('analytics.{{ agg.name }}',
    start_offset => INTERVAL '{{ agg.policy.start_offset }}',
    end_offset => INTERVAL '{{ agg.policy.end_offset }}',
    schedule_interval => INTERVAL '{{ agg.policy.schedule }}',
    if_not_exists => true);
{%- else %}
CREATE TABLE IF NOT EXISTS analytics.{{ agg.name }} AS
{{ select(agg) }}
WITH NO DATA;
CREATE INDEX IF NOT EXISTS {{ agg.name }}_site_bucket_idx ON analytics.{{ agg.name }} (site, bucket);
CREATE INDEX IF NOT EXISTS {{ agg.name }}_bucket_idx ON analytics.{{ agg.name }} (bucket);
{%- endif %}
{%- endfor %}

-- users_daily with one row per role, for "users by role".
CREATE OR REPLACE VIEW analytics.user_roles_daily AS
SELECT u.bucket, u.site, u.user_name, u.app, u.org, r.role, u.requests
FROM analytics.users_daily AS u
CROSS JOIN LATERAL unnest(u.roles) AS r(role);
