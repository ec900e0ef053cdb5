-- The analytics schema, its settings, and the functions aggregates and dashboards call.

CREATE SCHEMA IF NOT EXISTS analytics;

-- Choices made once per database. bucket_timezone is frozen into the aggregates'
-- definitions; the retention_* keys are written by analytics.apply_retention.
CREATE TABLE IF NOT EXISTS analytics.settings (
    key   text PRIMARY KEY,
    value text
);
INSERT INTO analytics.settings (key, value)
VALUES ('bucket_timezone', {{ timezone | literal }}), ('edition', {{ edition | literal }})
ON CONFLICT (key) DO NOTHING;

-- Upper bounds (ms) of the latency histogram bins; a last bin holds everything above.
CREATE OR REPLACE FUNCTION analytics.latency_bounds()
RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY[{{ latency_bins | rejectattr("upper", "none") | map(attribute="upper") | join(", ") }}]::double precision[];

-- The p-quantile of a latency histogram, as the upper bound of the bin holding it: exact to
-- the bin at any level because bins are summed, never averaged. The rank is the nearest rank
-- (the smallest bin whose cumulative count reaches p * total), as percentile_disc does.
-- The overflow bin reports the last bound: "that long or more".
CREATE OR REPLACE FUNCTION analytics.latency_percentile(p double precision, bins numeric[])
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    bounds CONSTANT double precision[] := analytics.latency_bounds();
    total numeric;
    running numeric := 0;
BEGIN
    IF p IS NULL OR p < 0 OR p > 1 THEN
        RAISE EXCEPTION 'latency_percentile: p must be within [0, 1], got %', p;
    END IF;
    IF cardinality(bins) <> cardinality(bounds) + 1 THEN
        RAISE EXCEPTION 'latency_percentile: expected % bins, got %',
            cardinality(bounds) + 1, cardinality(bins);
    END IF;
    SELECT sum(coalesce(b, 0)) INTO total FROM unnest(bins) AS b;
    IF total = 0 THEN
        RETURN NULL;
    END IF;
    FOR i IN 1 .. cardinality(bins) LOOP
        running := running + coalesce(bins[i], 0);
        IF running > 0 AND running >= p * total THEN
            RETURN bounds[least(i, cardinality(bounds))];
        END IF;
    END LOOP;
    RETURN bounds[cardinality(bounds)];
END
$$;

-- '2xx', '4xx', ... for grouping.
CREATE OR REPLACE FUNCTION analytics.status_class(status smallint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (status / 100)::text || 'xx';

-- The first two segments of a path: '/geoserver/wms', '/geonetwork/srv', '/mapstore'.
CREATE OR REPLACE FUNCTION analytics.path_prefix(path text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN substring(path FROM '^/[^/]*(?:/[^/]*)?');
