-- Who may do what (see the README's "Roles and grants"), and retention per level.

GRANT USAGE ON SCHEMA analytics TO analytics_writer, analytics_reader;
GRANT SELECT ON analytics.settings TO analytics_writer, analytics_reader;
GRANT SELECT, INSERT ON analytics.requests, analytics.request_layers TO analytics_writer;
GRANT SELECT, INSERT, UPDATE ON analytics.ingested_files TO analytics_writer;
{%- for agg in aggregates_until("0004") %}
GRANT SELECT ON analytics.{{ agg.name }} TO analytics_reader;
{%- if edition == "apache" %}
GRANT SELECT, INSERT, DELETE ON analytics.{{ agg.name }} TO analytics_writer;
{%- endif %}
{%- endfor %}
GRANT SELECT ON analytics.user_roles_daily TO analytics_writer, analytics_reader;

-- Applies the retention of each level (NULL keeps it forever) and remembers it, so that
-- refreshes never reach into dropped data. Runs as the owner: only the owner of a
-- hypertable may drop its chunks or set its policies, and the nightly job is the writer.
CREATE OR REPLACE FUNCTION analytics.apply_retention(
    raw interval, hourly interval, daily interval, monthly interval)
RETURNS TABLE (relation text, detail text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    levels CONSTANT jsonb := jsonb_build_object(
        'raw', raw, 'hourly', hourly, 'daily', daily, 'monthly', monthly);
    targets CONSTANT text[][] := ARRAY[
        ['raw', 'analytics.requests'], ['raw', 'analytics.request_layers']
{%- for agg in aggregates_until("0004") %},
        ['{{ agg.level }}', 'analytics.{{ agg.name }}']
{%- endfor %}];
    keep interval;
    n bigint;
BEGIN
    INSERT INTO analytics.settings (key, value)
    SELECT 'retention_' || key, value FROM jsonb_each_text(levels)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    FOR i IN 1 .. array_length(targets, 1) LOOP
        relation := targets[i][2];
        keep := (levels ->> targets[i][1])::interval;
{%- if edition == "timescale" %}
        -- No retention policy: the nightly run applies retention itself (0003). Continuous
        -- aggregates are hypertables too: their old chunks go as the raw ones do.
        CONTINUE WHEN keep IS NULL;
        SELECT count(*) INTO n FROM drop_chunks(relation::regclass, older_than => keep);
        detail := n || ' chunks dropped';
        RETURN NEXT;
{%- else %}
        CONTINUE WHEN keep IS NULL;
        IF targets[i][1] = 'raw' THEN
            SELECT count(*) INTO n FROM drop_chunks(relation::regclass, older_than => keep);
            detail := n || ' chunks dropped';
        ELSE
            EXECUTE format('DELETE FROM %s WHERE bucket < now() - $1', relation) USING keep;
            GET DIAGNOSTICS n = ROW_COUNT;
            detail := n || ' rows deleted';
        END IF;
        RETURN NEXT;
{%- endif %}
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.apply_retention(interval, interval, interval, interval)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.apply_retention(interval, interval, interval, interval)
    TO analytics_writer;
{%- if edition == "timescale" %}

-- The drop_after of the retention policy on a hypertable or continuous aggregate, or NULL.
CREATE OR REPLACE FUNCTION analytics.retention_policy(rel regclass)
RETURNS interval
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
AS $$
    SELECT (j.config ->> 'drop_after')::interval
    FROM timescaledb_information.jobs AS j
    WHERE j.proc_name = 'policy_retention'
      AND rel IN (
          to_regclass(quote_ident(j.hypertable_schema) || '.' || quote_ident(j.hypertable_name)),
          (SELECT to_regclass(quote_ident(c.view_schema) || '.' || quote_ident(c.view_name))
           FROM timescaledb_information.continuous_aggregates AS c
           WHERE c.materialization_hypertable_schema = j.hypertable_schema
             AND c.materialization_hypertable_name = j.hypertable_name))
$$;
{%- endif %}
