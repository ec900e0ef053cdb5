-- Dashboards over long ranges (benchmarks/superset_charts.md): the range datasets read
-- whole months from the monthly level and only the days at the edges from the daily one.
-- users_monthly gives the users family its monthly level; user_orgs_daily (one row per
-- active user and day) draws the daily series of active users without counting names.
--
-- 0003 and 0004 loop over every aggregate and are idempotent: applied again, they create
-- the new aggregates with their indexes (or policies), grants and retention.

-- A dashboard's time range [lo, hi) has local wall times for bounds (Superset's from_dttm
-- and to_dttm). Its whole months come from the monthly level, the rest from the daily one
-- (superset/assets/_macros.j2, range_sql). Immutable (the zone is written in here), so
-- that the planner folds constant bounds.

-- The start of the local month holding t.
CREATE OR REPLACE FUNCTION analytics.month_start(t timestamp)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_trunc('month', t) AT TIME ZONE {{ timezone | literal }};

-- The first local month start at or after lo: where the whole months of [lo, ...) begin.
CREATE OR REPLACE FUNCTION analytics.whole_months_start(lo timestamp)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN analytics.month_start(
    CASE WHEN date_trunc('month', lo) = lo THEN lo ELSE lo + INTERVAL '1 month' END);

-- Whether anything was loaded at or after the local time t, last being the last daily
-- bucket. When nothing was (a range ending today), the monthly row of t's month holds
-- only days before t, and counts as whole for a range ending at t.
CREATE OR REPLACE FUNCTION analytics.loaded_since(t timestamp, last timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(last >= t AT TIME ZONE {{ timezone | literal }}, false);
{% include "migrations/0003_aggregates.sql" %}
{% include "migrations/0004_grants_and_retention.sql" %}

-- users_monthly with one row per role, as user_roles_daily.
CREATE OR REPLACE VIEW analytics.user_roles_monthly AS
SELECT u.bucket, u.site, u.user_name, u.app, u.org, r.role, u.requests
FROM analytics.users_monthly AS u
CROSS JOIN LATERAL unnest(u.roles) AS r(role);
GRANT SELECT ON analytics.user_roles_monthly TO analytics_writer, analytics_reader;
{%- if edition == "apache" %}

-- Days and months already loaded. users_daily holds every authenticated request of its
-- days, also where raw rows are gone; under the Timescale licence, refresh the two once
-- after upgrading (timescaledb/README.md).
INSERT INTO analytics.users_monthly
SELECT * FROM (
{{ select(aggregates_until("0006") | selectattr("name", "equalto", "users_monthly") | first) }}
) AS months
WHERE NOT EXISTS (SELECT FROM analytics.users_monthly);
INSERT INTO analytics.user_orgs_daily
SELECT bucket, site, user_name, org, sum(requests)::bigint
FROM analytics.users_daily
WHERE NOT EXISTS (SELECT FROM analytics.user_orgs_daily)
GROUP BY bucket, site, user_name, org;
{%- endif %}
