-- Latency percentiles that tell a fast layer from a slow one, at any range. The 12 bins of
-- 0003 (10 ms ... 30 s) only bound a percentile; these are 2 % wide, from 0.01 ms to an
-- hour (the analyzer's aggregates.LatencySketch), counted per bucket, site and application
-- (latency_*) and per day, layer and application (layer_latency_*). Counts add up across
-- buckets and groups, so a percentile over any range and grouping is computed from summed
-- bins, as exactly as over one bucket: within 1 % of percentile_cont over the raw rows
-- (tests/db/test_latency.py). The histogram columns of 0003 stay for what reads them.
{% import "macros/aggregates.sql" as aggregates with context -%}
{% set sketch = latency_sketch %}
-- The bin of a duration in ms: bin i holds (ratio^(i-1), ratio^i]; NULL for no duration.
CREATE OR REPLACE FUNCTION analytics.latency_bin(ms double precision)
RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN ms IS NULL THEN NULL
    WHEN ms <= {{ sketch.lowest_ms }} THEN {{ sketch.lowest_bin }}
    ELSE least(ceil(ln(ms) / ln({{ sketch.ratio }}::double precision)), {{ sketch.highest_bin }})
END::smallint;

-- What a bin reports: within (ratio - 1) / (ratio + 1) of every duration it holds.
CREATE OR REPLACE FUNCTION analytics.latency_value(bin smallint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 2 * power({{ sketch.ratio }}::double precision, bin) / ({{ sketch.ratio }} + 1);

-- The q-quantile of the durations counted in (bins[i], counts[i]), any number of pairs per
-- bin (a latency aggregate's rows over any range, array_agg'ed): like percentile_cont, the
-- duration at rank q * (n - 1), interpolated between the two around it, each read from its
-- bin. NULL when nothing was counted.
CREATE OR REPLACE FUNCTION analytics.latency_quantile(
    q double precision, bins smallint[], counts bigint[])
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    total numeric;
    rank numeric;
    below smallint;
    above smallint;
BEGIN
    IF q IS NULL OR q < 0 OR q > 1 THEN
        RAISE EXCEPTION 'latency_quantile: q must be within [0, 1], got %', q;
    END IF;
    SELECT sum(n) INTO total FROM unnest(counts) AS n;
    IF total IS NULL OR total = 0 THEN
        RETURN NULL;
    END IF;
    rank := q * (total - 1);
    SELECT min(bin) FILTER (WHERE upto > floor(rank)), min(bin) FILTER (WHERE upto > ceil(rank))
    INTO below, above
    FROM (SELECT bin, sum(sum(n)) OVER (ORDER BY bin) AS upto
          FROM unnest(bins, counts) AS pair(bin, n)
          GROUP BY bin) AS running;
    RETURN analytics.latency_value(below)
        + (rank - floor(rank)) * (analytics.latency_value(above) - analytics.latency_value(below));
END
$$;

-- A span left for the next run to refresh may name the aggregates it concerns (NULL: all).
ALTER TABLE analytics.forgotten_spans ADD COLUMN IF NOT EXISTS aggregates text[];
-- The nightly run checks that the schema has its latest migration before it loads.
GRANT SELECT ON analytics.schema_migrations TO analytics_writer;
{{ aggregates.create(aggregates_of("0013")) }}
{{ aggregates.grant(aggregates_of("0013")) }}
{{ aggregates.fill(aggregates_of("0013")) }}

{{ aggregates.retention(aggregates_until("0013")) }}
