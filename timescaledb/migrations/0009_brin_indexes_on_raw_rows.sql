-- The raw tables' (site, ts) indexes become BRIN indexes: a summary of each range of 32
-- pages (the smallest and largest site and time in it) instead of a B-tree entry per row.
--
-- A load appends one site's rows in time order, so each range holds one site and a short
-- stretch of time, and a rollup window (a site, a day) reads only its own ranges. Keeping
-- the B-tree up to date cost a fifth of the server's work in the nightly COPY: with BRIN,
-- the 2,000,000-line day of benchmarks/run.sh takes 14.4 to 15.3 s of server CPU instead of
-- 16.9 to 20.1 s, and one more day loaded into a database holding a week (steady.sh) 1.9 s
-- of server CPU instead of 2.4 s; the rollups take the same time. An index holds one
-- summary per 32 pages instead of an entry per row (256 kB for a chunk of 1,200,000
-- rows). A time-only window (the continuous aggregates' refresh) uses them too, which it
-- could not do with the B-tree, led by site.
--
-- Ranges appended since the last VACUUM are not summarized, and every scan reads them.
-- Autovacuum summarizes them after a night's load; within a run that loads several files,
-- the analyzer calls summarize_new_ranges after each commit, so that the next file's
-- rollups do not read the rows of every file before it.
DROP INDEX IF EXISTS analytics.requests_site_ts_idx;
DROP INDEX IF EXISTS analytics.request_layers_site_ts_idx;
CREATE INDEX IF NOT EXISTS requests_site_ts_brin ON analytics.requests
    USING brin (site, ts) WITH (pages_per_range = 32);
CREATE INDEX IF NOT EXISTS request_layers_site_ts_brin ON analytics.request_layers
    USING brin (site, ts) WITH (pages_per_range = 32);

-- Runs as the owner, as analyze_new_rows (0007): only an index's owner may summarize it.
CREATE OR REPLACE FUNCTION analytics.summarize_new_ranges(first_ts timestamptz, last_ts timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    brin regclass;
BEGIN
    FOR brin IN
        SELECT i.indexrelid::regclass
        FROM timescaledb_information.chunks AS c
        JOIN pg_index AS i ON i.indrelid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
        JOIN pg_class AS ic ON ic.oid = i.indexrelid
        JOIN pg_am AS am ON am.oid = ic.relam
        WHERE c.hypertable_schema = 'analytics'
          AND c.hypertable_name IN ('requests', 'request_layers')
          AND c.range_start <= last_ts AND c.range_end > first_ts
          AND am.amname = 'brin'
    LOOP
        PERFORM brin_summarize_new_values(brin);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.summarize_new_ranges(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.summarize_new_ranges(timestamptz, timestamptz)
    TO analytics_writer;
