"""What each role may do: Superset's reader reads aggregates only, the analyzer's writer
loads and maintains, and nothing in the schema belongs to a superuser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.errors import InsufficientPrivilege

from analyzer.db.aggregates import AGGREGATES, LATENCY_BINS
from tests.db.rows import load_file

RAW = ("analytics.requests", "analytics.request_layers", "analytics.ingested_files")
VIEWS = ("analytics.user_roles_daily", "analytics.user_roles_monthly")
READABLE = (*(f"analytics.{a.name}" for a in AGGREGATES), *VIEWS)


@pytest.fixture(scope="module")
def reader(analytics_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as writer:
        start = datetime(2026, 11, 2, tzinfo=ZoneInfo("Europe/Paris"))
        load_file(writer, "alpha", start, timedelta(days=1), 200)
    with psycopg.connect(analytics_db.reader_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def writer(analytics_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize("relation", READABLE)
def test_reader_can_read_every_aggregate_and_dashboard_view(reader, relation):
    reader.execute(f"SELECT * FROM {relation} LIMIT 1").fetchall()


def test_reader_reads_loaded_data_through_aggregates_and_percentiles(reader):
    bins = ", ".join(f"sum({b.column})" for b in LATENCY_BINS)
    total, p95 = reader.execute(
        "SELECT sum(requests), analytics.latency_percentile(0.95, ARRAY["
        + bins
        + "]) FROM analytics.requests_daily"
    ).fetchone()
    assert total == 200
    assert p95 is not None


@pytest.mark.parametrize("relation", RAW)
def test_reader_cannot_read_raw_rows_or_the_ledger(reader, relation):
    with pytest.raises(InsufficientPrivilege):
        reader.execute(f"SELECT 1 FROM {relation} LIMIT 1")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO analytics.requests_daily (bucket, site) VALUES (now(), 'x')",
        "DELETE FROM analytics.users_daily",
        "UPDATE analytics.settings SET value = 'UTC' WHERE key = 'bucket_timezone'",
        "CREATE TABLE analytics.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "CREATE VIEW analytics.mine AS SELECT 1",
        "SELECT * FROM analytics.apply_retention(NULL, NULL, NULL, NULL)",
        "SELECT analytics.analyze_new_rows(now() - INTERVAL '1 day', now())",
    ],
)
def test_reader_cannot_write_create_or_apply_retention(reader, statement):
    with pytest.raises(InsufficientPrivilege):
        reader.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM analytics.requests",
        "UPDATE analytics.requests SET status = 200",
        "DELETE FROM analytics.ingested_files",
        "TRUNCATE analytics.request_layers",
        "DROP TABLE analytics.requests",
        "CREATE TABLE analytics.mine (x int)",
        "UPDATE analytics.settings SET value = 'UTC' WHERE key = 'bucket_timezone'",
        "SELECT drop_chunks('analytics.requests', older_than => INTERVAL '1 day')",
    ],
)
def test_writer_cannot_delete_raw_rows_or_change_the_schema_except_through_retention(
    writer, statement
):
    with pytest.raises(InsufficientPrivilege):
        writer.execute(statement)


def test_nothing_in_the_analytics_schema_belongs_to_a_superuser(analytics_db):
    with psycopg.connect(analytics_db.admin_url) as admin:
        owners = admin.execute(
            """
            SELECT DISTINCT r.rolname FROM pg_class AS c
            JOIN pg_namespace AS n ON n.oid = c.relnamespace
            JOIN pg_roles AS r ON r.oid = c.relowner
            WHERE n.nspname = 'analytics'
            UNION
            SELECT DISTINCT r.rolname FROM pg_proc AS p
            JOIN pg_namespace AS n ON n.oid = p.pronamespace
            JOIN pg_roles AS r ON r.oid = p.proowner
            WHERE n.nspname = 'analytics'
            """
        ).fetchall()
    assert {owner for (owner,) in owners} <= {"analytics_owner", "analytics_writer"}
