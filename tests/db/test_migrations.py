"""Migrations: from an empty database, from every earlier version, twice, concurrently."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from analyzer import cli
from analyzer.db import migrate as migrations
from analyzer.db.aggregates import aggregates_until
from analyzer.db.migrate import migrate
from analyzer.db.templates import sql_dir
from analyzer.errors import ConfigError, DatabaseError, ExitCode
from tests.db.rows import load_file

VERSIONS = [m.version for m in migrations.available()]

# Everything a migration defines, in a form two databases can be compared by.
SCHEMA_SNAPSHOT = """
SELECT 'column', c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = 'analytics' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'relation', c.relname,
       concat_ws(' ', c.relkind::text, r.rolname, c.relacl::text)
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_roles AS r ON r.oid = c.relowner
WHERE n.nspname = 'analytics'
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'analytics'
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(p.proacl::text, '')
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = 'analytics'
UNION ALL
SELECT 'view', c.relname, pg_get_viewdef(c.oid)
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'analytics' AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 'hypertable', hypertable_name, num_dimensions::text
FROM timescaledb_information.hypertables WHERE hypertable_schema = 'analytics'
UNION ALL
SELECT 'setting', key, value FROM analytics.settings
ORDER BY 1, 2, 3
"""


def _snapshot(admin_url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(admin_url) as conn:
        return conn.execute(SCHEMA_SNAPSHOT).fetchall()


def test_migrate_builds_the_schema_from_an_empty_database_then_applies_nothing(
    empty_db, analytics_db
):
    assert migrate(empty_db.owner_url) == VERSIONS
    assert migrate(empty_db.owner_url) == []
    assert _snapshot(empty_db.admin_url) == _snapshot(analytics_db.admin_url)


@pytest.mark.parametrize("version", VERSIONS[:-1])
def test_migrate_from_an_earlier_version_reaches_the_same_schema(empty_db, analytics_db, version):
    applied = migrate(empty_db.owner_url, target=version)
    assert applied == [v for v in VERSIONS if v <= version]
    assert migrate(empty_db.owner_url) == [v for v in VERSIONS if v > version]
    assert _snapshot(empty_db.admin_url) == _snapshot(analytics_db.admin_url)


def test_migrations_are_idempotent_when_their_record_is_lost(empty_db, analytics_db):
    migrate(empty_db.owner_url)
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        conn.execute("DELETE FROM analytics.schema_migrations")
    assert migrate(empty_db.owner_url) == VERSIONS
    assert _snapshot(empty_db.admin_url) == _snapshot(analytics_db.admin_url)


def test_concurrent_migrations_apply_each_version_once(empty_db):
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(migrate(empty_db.owner_url)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], [], VERSIONS]


def test_a_changed_applied_migration_is_refused(empty_db, tmp_path, monkeypatch):
    copy = tmp_path / "timescaledb"
    shutil.copytree(sql_dir(), copy)
    monkeypatch.setenv("ANALYZER_SQL_DIR", str(copy))
    migrate(empty_db.owner_url)
    edited = sorted((copy / "migrations").glob("0002_*.sql"))[0]
    edited.write_text(edited.read_text() + "\n-- an afterthought\n")
    with pytest.raises(DatabaseError, match=f"{edited.name}: renders differently"):
        migrate(empty_db.owner_url)


def test_an_edited_aggregate_definition_is_refused_as_a_changed_migration(empty_db, tmp_path):
    copy = tmp_path / "timescaledb"
    shutil.copytree(sql_dir(), copy)
    migrate(empty_db.owner_url)
    definition = copy / "aggregates" / "errors_hourly.sql"
    definition.write_text(definition.read_text().replace("WHERE status >= 400", "WHERE true"))
    # The next deployment: a new process, with the edited definitions.
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "db", "migrate", "--database-url", empty_db.owner_url],
        env=os.environ | {"ANALYZER_SQL_DIR": str(copy)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == ExitCode.DATABASE
    assert "0003_aggregates.sql: renders differently from what was applied" in result.stderr


def test_buckets_follow_the_time_zone_chosen_at_the_first_migration(empty_db):
    migrate(empty_db.owner_url, timezone="America/Montreal")
    montreal = ZoneInfo("America/Montreal")
    with psycopg.connect(empty_db.writer_url, autocommit=True) as conn:
        load_file(conn, "alpha", datetime(2026, 11, 2, tzinfo=montreal), timedelta(days=2), 300)
        starts = conn.execute("SELECT DISTINCT bucket FROM analytics.requests_daily").fetchall()
    assert {(b.astimezone(montreal).hour, b.astimezone(montreal).minute) for (b,) in starts} == {
        (0, 0)
    }
    assert len(starts) == 2


def test_the_time_zone_of_an_existing_database_cannot_change(analytics_db):
    with pytest.raises(ConfigError, match="already bucket in Europe/Paris, not UTC"):
        migrate(analytics_db.owner_url, timezone="UTC")


def test_an_unknown_time_zone_is_a_configuration_error(empty_db):
    with pytest.raises(ConfigError, match="unknown time zone 'Europe/Atlantis'"):
        migrate(empty_db.owner_url, timezone="Europe/Atlantis")


def test_migrate_command_exits_5_when_the_database_is_unreachable(capsys):
    code = cli.main(["db", "migrate", "--database-url", "postgresql://nobody@127.0.0.1:9/x"])
    assert code == ExitCode.DATABASE
    assert "cannot connect to nobody@127.0.0.1:9/x" in capsys.readouterr().err


def test_migrate_command_reports_an_up_to_date_schema(analytics_db, capsys):
    code = cli.main(["db", "migrate", "--database-url", analytics_db.owner_url])
    assert code == ExitCode.OK
    assert capsys.readouterr().out.strip() == "schema up to date"


def test_a_failing_migration_leaves_nothing_half_applied(empty_db, tmp_path, monkeypatch):
    copy = tmp_path / "timescaledb"
    shutil.copytree(sql_dir(), copy)
    (copy / "migrations" / "9999_broken.sql").write_text(
        "CREATE TABLE analytics.half_done (x int);\nSELECT 1 / 0;\n"
    )
    monkeypatch.setenv("ANALYZER_SQL_DIR", str(copy))
    with pytest.raises(DatabaseError, match=r"migration 9999_broken\.sql: division by zero"):
        migrate(empty_db.owner_url)
    with psycopg.connect(empty_db.owner_url) as conn:
        assert conn.execute("SELECT to_regclass('analytics.half_done')").fetchone()[0] is None
        versions = [v for (v,) in conn.execute("SELECT version FROM analytics.schema_migrations")]
    assert sorted(versions) == VERSIONS  # the good ones stay applied


def test_a_database_without_the_extension_is_refused_with_what_to_do(empty_db):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as admin:
        admin.execute("DROP EXTENSION timescaledb")
    with pytest.raises(DatabaseError, match=r"run timescaledb/init/bootstrap\.sql"):
        migrate(empty_db.owner_url)


# The table of reloaded files' earlier spans, which today's loader reads (0011 creates it,
# 0013 adds `aggregates`).
_FORGOTTEN_SPANS = (
    """CREATE TABLE analytics.forgotten_spans (id bigint GENERATED ALWAYS AS IDENTITY
    PRIMARY KEY, site text NOT NULL, first_ts timestamptz NOT NULL,
    last_ts timestamptz NOT NULL, forgotten_at timestamptz NOT NULL DEFAULT now(),
    aggregates text[])""",
    "GRANT SELECT, DELETE ON analytics.forgotten_spans TO analytics_writer",
)
# What today's loader needs of the schema, for days loaded under an earlier one: the
# rollups of that time did not analyze the new rows (a stand-in, which 0007 replaces),
# the database computed each layer's workspace (0008 does the same again, IF EXISTS), and
# the spans above (0011 creates the table IF NOT EXISTS).
_TODAYS_LOADER_NEEDS = (
    """CREATE FUNCTION analytics.analyze_new_rows(first_ts timestamptz, last_ts timestamptz)
    RETURNS void LANGUAGE sql RETURN NULL""",
    "ALTER TABLE analytics.request_layers ALTER COLUMN workspace DROP EXPRESSION",
    *_FORGOTTEN_SPANS,
)


def _upgrade_with_days_loaded(db, before: str, start: datetime, days: int, *drops: str) -> None:
    """Days loaded under migration ``before``, as a database migrated before the relations
    ``drops`` existed (the templates of 0003 create every aggregate of today), then the
    migrations after ``before``, which must create and fill them. Apache licence only: a
    Timescale-License database gets them from 0003 with every other aggregate, since none
    could apply 0003 before it was amended (archives/decisions/0014)."""
    if db.edition != "apache":
        pytest.skip("a Timescale-License database gets these aggregates from 0003 (decision 14)")
    migrate(db.owner_url, target=before)
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        for statement in _TODAYS_LOADER_NEEDS:
            conn.execute(statement)
    with psycopg.connect(db.writer_url, autocommit=True) as conn:
        load_file(conn, "alpha", start, timedelta(days=days), 900)
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        for drop in drops:
            conn.execute(drop)
    assert migrate(db.owner_url) == [v for v in VERSIONS if v > before]


def test_migration_0005_fills_the_time_series_rollups_from_days_already_loaded(empty_db):
    start = datetime(2026, 10, 24, 6, tzinfo=ZoneInfo("Europe/Paris"))
    drop = "DROP TABLE analytics.traffic_daily, analytics.ogc_services_daily"
    _upgrade_with_days_loaded(empty_db, "0004", start, 2, drop)
    with psycopg.connect(empty_db.owner_url) as conn:
        for rollup, daily in [("traffic", "requests"), ("ogc_services", "ogc")]:
            sums = [
                conn.execute(
                    f"SELECT bucket, sum(requests), sum(bytes) FROM analytics.{name}"
                    " GROUP BY 1 ORDER BY 1"
                ).fetchall()
                for name in (f"{rollup}_daily", f"{daily}_daily")
            ]
            assert len(sums[0]) == 3 and sums[0] == sums[1], rollup


def test_migration_0006_fills_the_user_aggregates_from_days_already_loaded(empty_db):
    _upgrade_with_days_loaded(
        empty_db,
        "0005",
        datetime(2026, 10, 30, 6, tzinfo=ZoneInfo("Europe/Paris")),
        3,
        "DROP VIEW IF EXISTS analytics.user_roles_monthly",
        "DROP TABLE analytics.users_monthly, analytics.user_orgs_daily",
    )
    per_month = (
        "SELECT time_bucket('1 month', bucket, 'Europe/Paris'), site, user_name, app, org,"
        " roles, sum(requests), sum(bytes) FROM analytics.{}"
        " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    )
    per_day = (
        "SELECT bucket, site, user_name, org, sum(requests) FROM analytics.{}"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )
    with psycopg.connect(empty_db.owner_url) as conn:
        for query, new, source in [
            (per_month, "users_monthly", "users_daily"),
            (per_day, "user_orgs_daily", "users_daily"),
        ]:
            filled, expected = (conn.execute(query.format(n)).fetchall() for n in (new, source))
            assert len(filled) > 10 and filled == expected, new
        months = conn.execute("SELECT count(DISTINCT bucket) FROM analytics.users_monthly")
        assert months.fetchone()[0] == 2


def test_migration_0008_keeps_the_workspace_the_database_computed_and_stops_computing_it(
    empty_db,
):
    migrate(empty_db.owner_url, target="0007")
    layer_row = (
        "INSERT INTO analytics.request_layers (ts, site, file_id, line_no, layer, app,"
        " ogc_service, ogc_tiled, ogc_download, agent_class, status)"
        " VALUES ('2026-11-20 10:00+00', 'alpha', 1, %s, %s, 'geoserver', 'WMS', false,"
        " false, 'browser', 200)"
    )
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        for line_no, layer in enumerate(["topp:states", "bare"]):
            conn.execute(layer_row, [line_no, layer])  # workspace generated by 0002

    migrate(empty_db.owner_url)

    with psycopg.connect(empty_db.owner_url) as conn:
        stored = conn.execute(
            "SELECT layer, workspace FROM analytics.request_layers ORDER BY layer"
        ).fetchall()
        generated = conn.execute(
            "SELECT attgenerated FROM pg_attribute"
            " WHERE attrelid = 'analytics.request_layers'::regclass AND attname = 'workspace'"
        ).fetchone()
    assert stored == [("bare", None), ("topp:states", "topp")]
    assert generated == ("",)  # a plain column, which the loader fills


def test_migration_0009_replaces_the_raw_btree_indexes_of_every_chunk_with_brin(empty_db):
    migrate(empty_db.owner_url, target="0008")
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        for statement in _FORGOTTEN_SPANS:  # what today's loader reads (0011)
            conn.execute(statement)
    with psycopg.connect(empty_db.writer_url, autocommit=True) as conn:
        start = datetime(2026, 11, 2, tzinfo=ZoneInfo("Europe/Paris"))
        load_file(conn, "alpha", start, timedelta(days=10), 500)  # two chunks a table

    migrate(empty_db.owner_url)

    with psycopg.connect(empty_db.owner_url) as conn:
        methods = conn.execute(
            "SELECT t.relname, am.amname, pg_get_indexdef(i.indexrelid) LIKE '%(site, ts)%'"
            " FROM pg_index AS i"
            " JOIN pg_class AS t ON t.oid = i.indrelid"
            " JOIN pg_class AS ic ON ic.oid = i.indexrelid"
            " JOIN pg_am AS am ON am.oid = ic.relam"
            " JOIN pg_namespace AS n ON n.oid = t.relnamespace"
            " WHERE (n.nspname = 'analytics' AND t.relname IN ('requests', 'request_layers'))"
            "    OR (n.nspname, t.relname) IN ("
            "        SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks"
            "        WHERE hypertable_schema = 'analytics'"
            "          AND hypertable_name IN ('requests', 'request_layers'))"
        ).fetchall()
        rows = conn.execute("SELECT count(*) FROM analytics.requests").fetchone()[0]
    assert len(methods) == 2 + 4  # the two hypertables and their two chunks each
    assert {(method, on_site_and_ts) for _, method, on_site_and_ts in methods} == {("brin", True)}
    assert rows == 500


def test_records_of_a_texts_checksum_are_recorded_anew_as_their_renderings(empty_db):
    migrate(empty_db.owner_url)
    # As databases migrated before recorded them: an earlier text's checksum (0004 was
    # amended), the current text's (0003).
    earlier = sorted(migrations.EARLIER_TEXTS["0004"])[0]
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        rendered = dict(conn.execute("SELECT version, checksum FROM analytics.schema_migrations"))
        for version, recorded in (("0004", earlier), ("0003", _text_checksum("0003"))):
            conn.execute(
                "UPDATE analytics.schema_migrations SET checksum = %s WHERE version = %s",
                [recorded, version],
            )
    assert migrate(empty_db.owner_url) == []
    with psycopg.connect(empty_db.owner_url) as conn:
        records = dict(conn.execute("SELECT version, checksum FROM analytics.schema_migrations"))
    assert records == rendered
    assert rendered["0003"] != _text_checksum("0003")


def _text_checksum(version: str) -> str:
    return next(m.text_checksum for m in migrations.available() if m.version == version)


def test_migrations_create_no_background_job(analytics_db):
    with psycopg.connect(analytics_db.admin_url) as conn:
        jobs = conn.execute(
            "SELECT job_id, proc_name FROM timescaledb_information.jobs"
            " WHERE hypertable_schema = 'analytics' OR owner::text LIKE 'analytics%'"
        ).fetchall()
    assert jobs == []


def test_continuous_aggregates_belong_to_the_writer_and_nothing_to_a_superuser(analytics_db):
    if analytics_db.edition != "timescale":
        pytest.skip("continuous aggregates are the Timescale-License edition's")
    with psycopg.connect(analytics_db.admin_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT view_owner::text FROM timescaledb_information.continuous_aggregates"
            " WHERE view_schema = 'analytics'"
            " UNION SELECT DISTINCT owner::text FROM timescaledb_information.hypertables"
            " WHERE hypertable_schema = '_timescaledb_internal'"
        ).fetchall()
        create = conn.execute(
            "SELECT has_schema_privilege('analytics_writer', 'analytics', 'CREATE')"
        ).fetchone()
    assert owners == [("analytics_writer",)]
    assert create == (False,)  # granted for the migration's transaction only


# The policies the earlier 0003 and 0004 added when a superuser ran them, on a schedule that
# keeps the jobs running while 0010 removes them.
_EARLIER_POLICIES = """
SELECT add_continuous_aggregate_policy(%(agg)s, start_offset => %(start)s::interval,
    end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 second')
"""


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_removing_earlier_policies_never_deadlocks_with_their_running_jobs(empty_db, attempt):
    if empty_db.edition != "timescale":
        pytest.skip("jobs and policies are the Timescale-License edition's")
    # Where the earlier 0003 and 0004 left such a database: 0005 and 0006 then deadlocked.
    migrate(empty_db.owner_url, target="0004")
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        for statement in _TODAYS_LOADER_NEEDS:
            conn.execute(statement)
    with psycopg.connect(empty_db.writer_url, autocommit=True) as conn:
        load_file(conn, "alpha", datetime.now(UTC) - timedelta(days=2), timedelta(days=2), 3000)
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        earlier = aggregates_until("0004")
        for agg in earlier:
            params = {"agg": f"analytics.{agg.name}", "start": agg.rebuild_window}
            conn.execute(_EARLIER_POLICIES, params)
        conn.execute(
            "SELECT add_retention_policy('analytics.requests', drop_after => INTERVAL '400 days')"
        )
        _wait_for_job_runs(conn, len(earlier))
    assert migrate(empty_db.owner_url) == [v for v in VERSIONS if v > "0004"]
    with psycopg.connect(empty_db.admin_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema IN"
            " ('analytics', '_timescaledb_internal')"
        ).fetchone()
    assert left == (0,)


def _wait_for_job_runs(conn: psycopg.Connection, runs: int) -> None:
    """Until the scheduler has run the jobs ``runs`` times in all: it is really running."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = conn.execute(
            "SELECT coalesce(sum(total_runs), 0) FROM timescaledb_information.job_stats"
            " WHERE hypertable_schema IN ('analytics', '_timescaledb_internal')"
        ).fetchone()[0]
        if done >= runs:
            return
        time.sleep(0.2)
    raise AssertionError(f"the scheduler ran {done} jobs in 60 s, not {runs}")
