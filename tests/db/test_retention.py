"""Retention drops old raw rows and old fine-grained aggregates, never coarser aggregates
of the dropped period, even when more files are loaded afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from analyzer import cli
from analyzer.db import retention
from analyzer.db.aggregates import AGGREGATES
from analyzer.errors import ConfigError, ExitCode
from analyzer.settings import Retention
from tests.db.rows import load_file

PARIS = ZoneInfo("Europe/Paris")
POLICY = Retention(raw="13 months", hourly="3 months", daily="5 years", monthly=None)
DAY = timedelta(days=1)


def _midnight(days_ago: int) -> datetime:
    day = datetime.now(PARIS).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


OLD = _midnight(450)  # older than the raw retention: its raw rows must go
MIDDLE = _midnight(200)  # raw rows kept, hourly aggregates dropped
RECENT = _midnight(10)


def _snapshot(conn: psycopg.Connection, level: str, before: datetime) -> dict[str, list]:
    """Every row of the aggregates of ``level`` with buckets before ``before``."""
    names = [a.name for a in AGGREGATES if a.level == level]
    return {
        name: sorted(
            map(repr, conn.execute(f"SELECT * FROM analytics.{name} WHERE bucket < %s", [before]))
        )
        for name in names
    }


@pytest.fixture(scope="module")
def retained(analytics_db) -> Iterator[tuple[psycopg.Connection, dict]]:
    """Files loaded at three ages, aggregates snapshotted, then retention applied."""
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as conn:
        for site in ("alpha", "beta"):
            for start in (OLD, OLD + DAY, MIDDLE, RECENT):
                load_file(conn, site, start, DAY, 400)
        before = {level: _snapshot(conn, level, MIDDLE + 2 * DAY) for level in ("daily", "monthly")}
        retention.apply(conn, POLICY)  # by the analyzer itself, on both editions
        yield conn, before


def test_raw_rows_older_than_the_raw_retention_are_dropped(retained):
    conn, _ = retained
    oldest = conn.execute("SELECT min(ts) FROM analytics.requests").fetchone()[0]
    assert oldest >= MIDDLE
    layers = conn.execute(
        "SELECT count(*) FROM analytics.request_layers WHERE ts < %s", [MIDDLE]
    ).fetchone()[0]
    assert layers == 0


def test_daily_and_monthly_aggregates_of_dropped_periods_are_unchanged(retained):
    conn, before = retained
    for level, snapshot in before.items():
        assert _snapshot(conn, level, MIDDLE + 2 * DAY) == snapshot
        assert any(snapshot.values()), f"no {level} rows before retention: the test is void"


def test_hourly_aggregates_older_than_their_retention_are_dropped(retained):
    conn, _ = retained
    for agg in (a for a in AGGREGATES if a.level == "hourly"):
        old = conn.execute(
            f"SELECT count(*) FROM analytics.{agg.name} WHERE bucket < %s", [RECENT - 95 * DAY]
        ).fetchone()[0]
        assert old == 0, agg.name


def test_loads_after_retention_leave_aggregates_of_dropped_periods_unchanged(retained):
    conn, before = retained
    load_file(conn, "alpha", RECENT + DAY, DAY, 300)
    load_file(conn, "alpha", OLD, DAY, 300)  # a late file older than the raw retention
    for level, snapshot in before.items():
        assert _snapshot(conn, level, MIDDLE + 2 * DAY) == snapshot


def test_retention_stores_the_periods_that_bound_later_refreshes(retained):
    conn, _ = retained
    stored = dict(
        conn.execute(
            "SELECT key, value FROM analytics.settings WHERE key LIKE 'retention_%'"
        ).fetchall()
    )
    assert stored["retention_raw"] == "1 year 1 mon"
    assert stored["retention_monthly"] is None


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (Retention(raw="2 days"), "retention.raw: '2 days' is shorter"),
        (Retention(daily="1 month"), "retention.daily: '1 month' is shorter"),
        (Retention(hourly="soon"), "retention.hourly: 'soon' is not an interval"),
    ],
)
def test_retention_shorter_than_a_refresh_window_or_not_an_interval_is_refused(
    analytics_db, policy, message
):
    with (
        psycopg.connect(analytics_db.writer_url, autocommit=True) as conn,
        pytest.raises(ConfigError, match=message),
    ):
        retention.apply(conn, policy)


def test_retention_command_applies_the_configured_periods(analytics_db, tmp_path, capsys):
    config = tmp_path / "analyzer.yaml"
    config.write_text(
        f"database_url: {analytics_db.writer_url!r}\n"
        "retention: {raw: 13 months, hourly: 3 months, daily: 5 years, monthly: forever}\n"
        f"sites: [{{name: alpha, logs: [{{path: {tmp_path / 'access.log'}}}]}}]\n"
    )
    assert cli.main(["db", "retention", "--config", str(config)]) == ExitCode.OK
    printed = capsys.readouterr().out
    if analytics_db.edition == "apache":
        assert re.search(r"^analytics\.requests: \d+ chunks dropped$", printed, re.M)
    with psycopg.connect(analytics_db.writer_url) as conn:
        stored = conn.execute(
            "SELECT value FROM analytics.settings WHERE key = 'retention_daily'"
        ).fetchone()[0]
    assert stored == "5 years"
