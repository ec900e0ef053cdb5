-- Correctness never waits on TimescaleDB's job scheduler (archives/decisions/0014): the
-- nightly run refreshes the continuous aggregates after each load and applies retention
-- itself (0003 and 0004 as amended). A Timescale-License database that a superuser migrated
-- with the earlier 0003 and 0004 has refresh and retention policies: they go, and
-- apply_retention drops chunks itself. Their jobs also raced migrations for the same locks
-- (deadlocks) and, on PostgreSQL 17.12, were all recorded as failed. Nothing to do under
-- the Apache licence, which has no jobs.
{%- if edition == "timescale" %}
{%- for agg in aggregates_until("0010") %}
SELECT remove_continuous_aggregate_policy('analytics.{{ agg.name }}', if_exists => true);
SELECT remove_retention_policy('analytics.{{ agg.name }}', if_exists => true);
{%- endfor %}
SELECT remove_retention_policy('analytics.requests', if_exists => true);
SELECT remove_retention_policy('analytics.request_layers', if_exists => true);
{% include "migrations/0004_grants_and_retention.sql" %}
{%- endif %}

-- The failures of TimescaleDB's background jobs since a time, one row per job, for
-- `analyzer doctor`: job_errors shows every job only to the database owner, and the doctor
-- runs as the writer. The analyzer depends on no job; a failure tells the admin something
-- of the server (TimescaleDB's own jobs, or jobs an admin added).
CREATE OR REPLACE FUNCTION analytics.job_failures(since timestamptz)
RETURNS TABLE (job_id integer, proc_name text, application_name text, failures bigint,
               last_failure timestamptz, last_message text, last_success timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT e.job_id, max(e.proc_schema || '.' || e.proc_name), max(j.application_name),
           count(*), max(e.finish_time),
           (array_agg(e.err_message ORDER BY e.finish_time DESC))[1],
           nullif(max(s.last_successful_finish), '-infinity')
    FROM timescaledb_information.job_errors AS e
    LEFT JOIN timescaledb_information.jobs AS j ON j.job_id = e.job_id
    LEFT JOIN timescaledb_information.job_stats AS s ON s.job_id = e.job_id
    WHERE e.finish_time >= since
    GROUP BY e.job_id
    ORDER BY e.job_id
$$;
REVOKE ALL ON FUNCTION analytics.job_failures(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.job_failures(timestamptz) TO analytics_writer;
