"""Raw rows in the columnstore (Timescale licence, migration 0014): old chunks converted,
and everything that reads or writes raw rows afterwards still right: a late file of an old
day, a reload, retention, the aggregates' refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from analyzer.db import aggregates, columnstore, retention
from analyzer.db.migrate import migrate
from analyzer.errors import ExitCode
from analyzer.levels import Retention
from tests.db.ingest_support import configure, generate, run
from tests.db.rows import load_file
from tests.support.databases import TestDatabase

PARIS = ZoneInfo("Europe/Paris")
OLD = datetime(2026, 10, 5, tzinfo=PARIS)  # weeks before any run of the suite


@pytest.fixture
def db(empty_db: TestDatabase) -> Iterator[TestDatabase]:
    """A migrated database of its own: each test converts its chunks."""
    if empty_db.edition != "timescale":
        pytest.skip("the columnstore is the Timescale-License edition's")
    migrate(empty_db.owner_url)
    yield empty_db


def _writer(db: TestDatabase) -> psycopg.Connection:
    return psycopg.connect(db.writer_url, autocommit=True)


def _statuses(db: TestDatabase) -> dict[str, set[str]]:
    """The status of every raw chunk, by table: {"requests": {"COMPRESSED"}, ...}."""
    with psycopg.connect(db.admin_url) as conn:
        rows = conn.execute(
            "SELECT hypertable_name, array_to_string("
            "_timescaledb_functions.chunk_status_text(format('%I.%I', chunk_schema,"
            " chunk_name)::regclass), '+') FROM timescaledb_information.chunks"
            " WHERE hypertable_schema = 'analytics'"
            " AND hypertable_name IN ('requests', 'request_layers')"
        ).fetchall()
    statuses: dict[str, set[str]] = {}
    for table, status in rows:
        statuses.setdefault(table, set()).add(status or "UNCOMPRESSED")
    return statuses


def _counts(db: TestDatabase) -> tuple[int, int, int, int]:
    """Raw requests and request_layers rows, and what the daily aggregates count of them."""
    with psycopg.connect(db.admin_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM analytics.requests),"
            " (SELECT count(*) FROM analytics.request_layers),"
            " (SELECT coalesce(sum(requests), 0) FROM analytics.requests_daily),"
            " (SELECT coalesce(sum(requests), 0) FROM analytics.layers_daily)"
        ).fetchone()
    assert row is not None
    return row


def test_chunks_past_the_setting_are_converted_once_and_nothing_changes(db):
    with _writer(db) as conn:
        load_file(conn, "alpha", OLD, timedelta(days=14), 3000)
        load_file(conn, "alpha", datetime.now(PARIS) - timedelta(hours=30), timedelta(hours=2), 50)
        before = _counts(db)
        done = dict(columnstore.convert(conn, "3 days"))
        assert done["analytics.requests"] != "0 chunks converted"
        assert _statuses(db)["requests"] == {"COMPRESSED", "UNCOMPRESSED"}  # this week's stays
        assert dict(columnstore.convert(conn, "3 days")) == {
            "analytics.requests": "0 chunks converted",
            "analytics.request_layers": "0 chunks converted",
        }
        assert columnstore.convert(conn, None) == []
    assert _counts(db) == before
    raw, layers, daily, layers_daily = before
    assert raw == daily == 3050 and layers == layers_daily > 0


def test_a_late_file_of_an_old_day_reaches_the_aggregates_and_is_converted_again(db):
    with _writer(db) as conn:
        load_file(conn, "alpha", OLD, timedelta(days=14), 3000)
        columnstore.convert(conn, "3 days")
        load_file(conn, "alpha", OLD + timedelta(days=3), timedelta(days=1), 400)  # catch-up
        assert "COMPRESSED+PARTIAL" in _statuses(db)["requests"]
        raw, layers, daily, layers_daily = _counts(db)
        assert raw == daily == 3400 and layers == layers_daily
        columnstore.convert(conn, "3 days")  # merges the late rows in
    assert _statuses(db)["requests"] == {"COMPRESSED"}
    assert _counts(db) == (raw, layers, daily, layers_daily)


def test_a_reload_removes_a_file_from_converted_chunks(db):
    with _writer(db) as conn:
        load_file(conn, "alpha", OLD, timedelta(days=7), 1000)
        reloaded = load_file(conn, "alpha", OLD + timedelta(days=7), timedelta(days=7), 700)
        columnstore.convert(conn, "3 days")
        with conn.transaction():  # what `analyzer reload` does before it loads the file again
            conn.execute("SELECT * FROM analytics.forget_file(%s)", [reloaded])
            start, end = OLD + timedelta(days=7), OLD + timedelta(days=14)
            aggregates.refresh_rollups(conn, "alpha", start, end)
        aggregates.refresh_after_commit(conn)
    raw, layers, daily, layers_daily = _counts(db)
    assert raw == daily == 1000 and layers == layers_daily


def test_retention_drops_converted_chunks_and_keeps_their_aggregates(db):
    with _writer(db) as conn:
        load_file(conn, "alpha", OLD, timedelta(days=14), 2000)
        columnstore.convert(conn, "3 days")
        retention.apply(conn, Retention(raw="30 days"))
    raw, layers, daily, _ = _counts(db)
    assert (raw, layers) == (0, 0) and daily == 2000


def test_the_nightly_run_converts_what_is_past_the_setting(db, tmp_path):
    generated = generate(tmp_path, "alpha:nginx", days=12)
    assert run(configure(generated.config, db.writer_url)).returncode == ExitCode.OK
    assert "COMPRESSED" in _statuses(db)["requests"]  # the default: past 3 days
    raw, layers, daily, layers_daily = _counts(db)
    assert raw == daily > 0 and layers == layers_daily
