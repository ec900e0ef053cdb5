-- Faster dashboard queries (benchmarks/superset_charts.md): traffic_daily and
-- ogc_services_daily, daily rollups with fewer dimensions for the daily time series, and
-- distinct_count for distinct users.
--
-- 0003 and 0004 loop over every aggregate of analyzer.db.aggregates and each of their
-- statements is idempotent: applied again, they create the new aggregates with their
-- indexes (or policies), grants and retention, and leave the others as they are.

-- The number of distinct non-NULL elements of an array, for distinct users:
-- distinct_count(array_agg(user_name)) hashes the names of each group, where
-- COUNT(DISTINCT user_name) sorts every row of the period (same result, a few times faster).
CREATE OR REPLACE FUNCTION analytics.distinct_count(elements text[])
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT count(e) FROM (SELECT DISTINCT e FROM unnest(elements) AS e) AS d);
{% include "migrations/0003_aggregates.sql" %}
{% include "migrations/0004_grants_and_retention.sql" %}
{%- if edition == "apache" %}

-- Days already loaded: the same SELECT over the daily level of the family gives the same
-- rows as over its hourly level (hourly rows older than their retention are gone). Under
-- the Timescale licence, refresh them once after upgrading (timescaledb/README.md).
{%- for name, daily in [("traffic_daily", "requests_daily"), ("ogc_services_daily", "ogc_daily")] %}
{%- set agg = (aggregates_until("0005") | selectattr("name", "equalto", name) | first) %}
INSERT INTO analytics.{{ name }}
SELECT * FROM (
{{ select(agg, "analytics." ~ daily) }}
) AS days
WHERE NOT EXISTS (SELECT FROM analytics.{{ name }});
{%- endfor %}
{%- endif %}
