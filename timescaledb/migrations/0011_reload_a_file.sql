-- Reloading a file (`analyzer reload`): its rows and its ledger row go, in the transaction
-- that loads it again, so a kill or a failure leaves the earlier load in place.
--
-- The writer may not delete raw rows: forget_file does, with the owner's rights, for one
-- whole file only. The span it removed is kept in forgotten_spans until the aggregates are
-- settled over it: under the Apache licence the reload's own transaction recomputes the
-- rollups over both spans; under the Timescale licence the refresh follows the commit, and
-- a run killed in between finds the span here (aggregates.refresh_after_commit).

CREATE TABLE IF NOT EXISTS analytics.forgotten_spans (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site         text NOT NULL,
    first_ts     timestamptz NOT NULL,
    last_ts      timestamptz NOT NULL,
    forgotten_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, DELETE ON analytics.forgotten_spans TO analytics_writer;

CREATE OR REPLACE FUNCTION analytics.forget_file(target bigint)
RETURNS TABLE (first_ts timestamptz, last_ts timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    loaded record;
BEGIN
    SELECT f.site, f.first_ts, f.last_ts INTO loaded
    FROM analytics.ingested_files AS f WHERE f.id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no loaded file has id %', target;
    END IF;
    IF loaded.first_ts IS NOT NULL THEN
        -- The span lets the planner read only the chunks that hold the file's rows.
        DELETE FROM analytics.requests AS r
        WHERE r.file_id = target AND r.ts BETWEEN loaded.first_ts AND loaded.last_ts;
        DELETE FROM analytics.request_layers AS l
        WHERE l.file_id = target AND l.ts BETWEEN loaded.first_ts AND loaded.last_ts;
        INSERT INTO analytics.forgotten_spans (site, first_ts, last_ts)
        VALUES (loaded.site, loaded.first_ts, loaded.last_ts);
    END IF;
    DELETE FROM analytics.ingested_files AS f WHERE f.id = target;
    first_ts := loaded.first_ts;
    last_ts := loaded.last_ts;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION analytics.forget_file(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.forget_file(bigint) TO analytics_writer;
