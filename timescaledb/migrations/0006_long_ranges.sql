-- Dashboards over long ranges (benchmarks/superset_charts.md): the range datasets read
-- whole months from the monthly level and only the days at the edges from the daily one.
-- users_monthly gives the users family its monthly level; user_orgs_daily (one row per
-- active user and day) draws the daily series of active users without counting names.
--
-- 0003 and 0004 loop over every aggregate and are idempotent: applied again, they create
-- the new aggregates with their indexes (or policies), grants and retention.

-- The whole months of the bucket time zone inside a dashboard's time range [lo, hi), whose
-- bounds are local wall times (Superset's from_dttm and to_dttm); NULL bounds are open.
-- The month holding hi counts as whole when nothing was loaded at or after hi (last is the
-- last daily bucket): its monthly row then holds only days before hi, as on a range
-- ending today. A range inside one month has no whole month: the start falls after the
-- end. Immutable (the zone is written in here), so the planner folds constant bounds.
CREATE OR REPLACE FUNCTION analytics.whole_months_start(lo timestamp)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN lo IS NULL THEN '-infinity'::timestamptz
    WHEN date_trunc('month', lo) = lo THEN lo AT TIME ZONE {{ timezone | literal }}
    ELSE (date_trunc('month', lo) + INTERVAL '1 month') AT TIME ZONE {{ timezone | literal }}
END;

CREATE OR REPLACE FUNCTION analytics.whole_months_end(hi timestamp, last timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN hi IS NULL THEN 'infinity'::timestamptz
    WHEN last IS NULL OR last < hi AT TIME ZONE {{ timezone | literal }}
        THEN analytics.whole_months_start(hi)
    ELSE date_trunc('month', hi) AT TIME ZONE {{ timezone | literal }}
END;
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
{{ select(aggregates | selectattr("name", "equalto", "users_monthly") | first) }}
) AS months
WHERE NOT EXISTS (SELECT FROM analytics.users_monthly);
INSERT INTO analytics.user_orgs_daily
SELECT bucket, site, user_name, org, sum(requests)::bigint
FROM analytics.users_daily
WHERE NOT EXISTS (SELECT FROM analytics.user_orgs_daily)
GROUP BY bucket, site, user_name, org;
{%- endif %}
