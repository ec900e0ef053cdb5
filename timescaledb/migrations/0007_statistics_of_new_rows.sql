-- Statistics of the raw rows a load has just copied (Apache licence: the analyzer's
-- rollups). Without them the planner expects a handful of rows in a new chunk: it reads a
-- day of rows through the (site, ts) index on one core instead of scanning them in
-- parallel, which makes the rollups of a 2,000,000-line day take twice as long.
--
-- Only site and ts, the columns a refresh window filters on, from a small sample: a
-- tenth of a second per chunk. Autovacuum analyzes every column after the commit as usual.
-- Runs as the owner: only a table's owner may analyze it, and the nightly job is the
-- writer.
CREATE OR REPLACE FUNCTION analytics.analyze_new_rows(first_ts timestamptz, last_ts timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
SET default_statistics_target = 10
AS $$
DECLARE
    chunk regclass;
BEGIN
    FOR chunk IN
        SELECT format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
        FROM timescaledb_information.chunks AS c
        WHERE c.hypertable_schema = 'analytics'
          AND c.hypertable_name IN ('requests', 'request_layers')
          AND c.range_start <= last_ts AND c.range_end > first_ts
    LOOP
        EXECUTE format('ANALYZE %s (site, ts)', chunk);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.analyze_new_rows(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.analyze_new_rows(timestamptz, timestamptz)
    TO analytics_writer;
