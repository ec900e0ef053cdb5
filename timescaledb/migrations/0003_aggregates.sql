{% import "macros/aggregates.sql" as aggregates with context -%}
-- The aggregates, one definition each in timescaledb/aggregates/, built for the edition:
-- continuous aggregates (hierarchical: hourly from raw, daily from hourly, monthly from
-- daily) under the Timescale licence, plain tables refreshed by the analyzer otherwise.
{{- aggregates.create(aggregates_until("0003")) }}

-- users_daily with one row per role, for "users by role".
CREATE OR REPLACE VIEW analytics.user_roles_daily AS
SELECT u.bucket, u.site, u.user_name, u.app, u.org, r.role, u.requests
FROM analytics.users_daily AS u
CROSS JOIN LATERAL unnest(u.roles) AS r(role);
