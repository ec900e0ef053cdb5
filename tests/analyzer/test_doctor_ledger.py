"""`analyzer doctor` with the database: days missing from the ledger (ingested_files).

The server's own job failures, which the doctor also reports, are test_doctor_jobs.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from analyzer.doctor import ledger
from tests.logpolicy.doctor_folders import SITE, TODAY, examine, prepare, problems

PARIS = ZoneInfo("Europe/Paris")  # the generated configuration's `timezone`: the days shown

LoadDays = Callable[..., None]


@pytest.fixture
def load_days(analytics_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoadDays]:
    """Record loaded files, one per day given as days before TODAY; the doctor sees them."""
    monkeypatch.setenv("ANALYZER_DATABASE_URL", analytics_db.writer_url)
    with psycopg.connect(analytics_db.admin_url, autocommit=True) as conn:
        conn.execute("DELETE FROM analytics.ingested_files WHERE site = %s", [SITE])

        def load(*days_ago: int) -> None:
            for age in days_ago:
                day = TODAY - timedelta(days=age)
                conn.execute(
                    "INSERT INTO analytics.ingested_files"
                    " (site, source, fingerprint, path, first_ts, last_ts)"
                    " VALUES (%s, 'access.log', %s, 'access.log.1', %s, %s)",
                    [SITE, f"day-{day}", _at(day, time(0, 4)), _at(day, time(23, 58))],
                )

        yield load


def ledger_findings(config_path) -> list:
    return [f for f in examine(config_path) if f.subject == ledger.SUBJECT]


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, PARIS)


def test_days_missing_between_loaded_days_are_an_error(tmp_path, load_days):
    load_days(6, 5, 4, 2, 1)  # 2026-11-21 is missing
    config_path = prepare(tmp_path)
    [finding] = ledger_findings(config_path)
    assert problems([finding]) == [
        (
            "error",
            "ledger (analytics.ingested_files)",
            "no loaded file covers 2026-11-21 (1 day): those days are missing from the dashboards",
        )
    ]
    assert f"analyzer run --config {config_path} --site {SITE}" in finding.fix


def test_missing_runs_of_days_are_given_as_ranges(tmp_path, load_days):
    load_days(9, 7, 6, 3, 2, 1)
    [finding] = ledger_findings(prepare(tmp_path))
    assert finding.problem.startswith(
        "no loaded file covers 2026-11-16, 2026-11-19 to 2026-11-20 (3 days)"
    )


def test_ledger_without_missing_days_gives_no_finding(tmp_path, load_days):
    load_days(3, 2, 1)
    assert ledger_findings(prepare(tmp_path)) == []


def test_ledger_that_stopped_growing_is_an_error(tmp_path, load_days):
    load_days(8, 7, 6)
    [finding] = ledger_findings(prepare(tmp_path))
    assert finding.severity == "error"
    assert finding.problem.startswith("nothing loaded after 2026-11-18: the nightly job")


def test_without_database_the_ledger_is_not_checked_and_the_log_says_so(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.delenv("ANALYZER_DATABASE_URL", raising=False)
    with caplog.at_level(logging.INFO):
        assert examine(prepare(tmp_path)) == []
    assert "no database configured" in caplog.text
    assert "ledger not checked" in caplog.text


def test_unreachable_database_is_an_error_after_the_file_findings(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYZER_DATABASE_URL", "postgresql://analyzer@127.0.0.1:1/analytics")
    config_path = prepare(tmp_path, "nginx-combined")  # a warning from the files
    findings = examine(config_path)
    assert [(f.severity, f.subject) for f in findings] == [
        ("warning", str(tmp_path / SITE / "access.log.1")),
        ("error", "database"),
    ]
    assert findings[1].problem.startswith("ledger not checked: cannot connect to analyzer@")
