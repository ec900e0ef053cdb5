-- Raw rows move to the columnstore once the nightly run no longer writes to their chunk
-- (Timescale licence only; the Apache licence has no columnstore). Rows of one site go
-- together, in time order: every reader of raw rows (the aggregates' refresh, a reload)
-- asks for one site's time range (benchmarks/README.md, "Raw rows in the columnstore").
-- No policy: the nightly run converts the chunks older than `columnstore_after` itself,
-- with the owner's rights, as it applies retention (archives/decisions/0014). Chunks in the
-- columnstore still take late rows and deletes (a reload), which TimescaleDB merges in.
{%- if edition == "timescale" %}
-- Converts the raw chunks that ended before now() - older_than and are not wholly in the
-- columnstore (new ones, and those late rows or deletes reached since); one row per table.
-- The first call enables the columnstore: a table with it enabled takes no ALTER COLUMN,
-- and the earlier migrations must stay able to run again (README, "Migrations").
CREATE OR REPLACE FUNCTION analytics.convert_to_columnstore(older_than interval)
RETURNS TABLE (relation text, detail text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    chunk regclass;
    n bigint;
BEGIN
    FOREACH relation IN ARRAY ARRAY['analytics.requests', 'analytics.request_layers'] LOOP
        IF NOT (SELECT h.compression_enabled FROM timescaledb_information.hypertables AS h
                WHERE format('%I.%I', h.hypertable_schema, h.hypertable_name) = relation) THEN
            EXECUTE format('ALTER TABLE %s SET (timescaledb.enable_columnstore = true,'
                           ' timescaledb.segmentby = %L, timescaledb.orderby = %L)',
                           relation, 'site, app', 'ts');
        END IF;
        n := 0;
        FOR chunk IN
            SELECT c FROM show_chunks(relation::regclass, older_than => older_than) AS c
            WHERE _timescaledb_functions.chunk_status_text(c) <> ARRAY['COMPRESSED']
        LOOP
            PERFORM compress_chunk(chunk);  -- or merges in what reached it since
            n := n + 1;
        END LOOP;
        detail := n || ' chunks converted';
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.convert_to_columnstore(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.convert_to_columnstore(interval) TO analytics_writer;
{%- endif %}
