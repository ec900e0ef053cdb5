{#- What a migration that adds aggregates runs, for the edition it renders: 0003 and 0004
    (which rendered these statements before they were macros), 0013. A change here changes
    what those migrations render, which tests/db/test_migrations_render.py refuses
    (archives/decisions/0015): a migration that needs other statements writes its own. -#}

{#- Create `aggs` (in dependency order): continuous aggregates owned by the writer under the
    Timescale licence, plain tables the analyzer refreshes under the Apache licence. -#}
{% macro create(aggs) -%}
{%- if edition == "timescale" %}

-- Continuous aggregates belong to the writer: only their owner may refresh them, and the
-- nightly run (the writer) refreshes them after each load. The owner cannot hand them over
-- (the new owner would need CREATE on TimescaleDB's internal schema), so the writer creates
-- them, with CREATE on the analytics schema for this transaction only. No refresh or
-- retention policy: the analyzer refreshes and applies retention itself, so correctness
-- never waits on the scheduler (archives/decisions/0014).
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'analytics_writer', 'SET') THEN
        RAISE EXCEPTION '% cannot create continuous aggregates as analytics_writer', current_user
            USING HINT = 'As a superuser: GRANT analytics_writer TO ' || current_user
                         || ' (timescaledb/init/bootstrap.sql does).';
    END IF;
END
$$;
-- What the writer reads them from (0004 grants it again, with the rest).
GRANT USAGE ON SCHEMA analytics TO analytics_writer;
GRANT SELECT ON analytics.requests, analytics.request_layers TO analytics_writer;
GRANT CREATE ON SCHEMA analytics TO analytics_writer;
SET LOCAL ROLE analytics_writer;
{%- endif %}
{% for agg in aggs %}

-- {{ agg.name }}: {{ agg.width }} buckets from {{ agg.source }}
{%- if edition == "timescale" %}
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.{{ agg.name }}
WITH (timescaledb.continuous, timescaledb.materialized_only = true
{%- if not agg.group_indexes %}, timescaledb.create_group_indexes = false{% endif %}) AS
{{ select(agg) }}
WITH NO DATA;
{%- else %}
CREATE TABLE IF NOT EXISTS analytics.{{ agg.name }} AS
{{ select(agg) }}
WITH NO DATA;
CREATE INDEX IF NOT EXISTS {{ agg.name }}_site_bucket_idx ON analytics.{{ agg.name }} (site, bucket);
CREATE INDEX IF NOT EXISTS {{ agg.name }}_bucket_idx ON analytics.{{ agg.name }} (bucket);
{%- endif %}
{%- endfor %}
{%- if edition == "timescale" %}
RESET ROLE;
REVOKE CREATE ON SCHEMA analytics FROM analytics_writer;
{%- endif %}
{%- endmacro %}

{#- Let the reader read `aggs`, and the writer refresh them under the Apache licence. -#}
{% macro grant(aggs) -%}
{%- for agg in aggs %}
GRANT SELECT ON analytics.{{ agg.name }} TO analytics_reader;
{%- if edition == "apache" %}
GRANT SELECT, INSERT, DELETE ON analytics.{{ agg.name }} TO analytics_writer;
{%- endif %}
{%- endfor %}
{%- endmacro %}

{#- Fill `aggs` from the rows the database holds. Under the Apache licence here, in order;
    under the Timescale licence a refresh cannot run in a transaction: the spans of every
    site's raw rows are left for the next run to refresh, for these aggregates only. -#}
{% macro fill(aggs) -%}
{%- if edition == "apache" %}
{%- for agg in aggs %}
INSERT INTO analytics.{{ agg.name }}
{{ select(agg) }};
{%- endfor %}
{%- else %}
INSERT INTO analytics.forgotten_spans (site, first_ts, last_ts, aggregates)
SELECT site, min(ts), max(ts),
       ARRAY[{% for agg in aggs %}'{{ agg.name }}'{{ ", " if not loop.last }}{% endfor %}]
FROM analytics.requests GROUP BY site;
{%- endif %}
{%- endmacro %}

{#- analytics.apply_retention over the raw tables and `aggs` (every aggregate there is). -#}
{% macro retention(aggs) -%}
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
{%- for agg in aggs %},
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
{%- endmacro %}
