"""Failures of TimescaleDB's background jobs (``analytics.job_failures``, migration 0010).

The analyzer depends on no job: the nightly run refreshes the continuous aggregates and
applies retention itself. So a failing job never costs data, and is a warning: it tells the
admin something of the server, and whether it can be ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from analyzer.doctor.findings import Finding, Severity

SUBJECT = "database jobs (timescaledb_information.job_errors)"
LOOKBACK = timedelta(days=7)
# PostgreSQL 17.12 refuses to drop the empty portal TimescaleDB's job runner (up to at least
# 2.29) creates, after the job's work is committed: every scheduled run is recorded as failed.
PORTAL_ERROR = 'cannot drop portal "" while it is being set up'


def check_jobs(conn: psycopg.Connection, now: datetime) -> list[Finding]:
    """One warning per job that failed in the last week, saying whether it matters."""
    rows = conn.execute(
        "SELECT job_id, proc_name, application_name, failures, last_failure, last_message,"
        " last_success FROM analytics.job_failures(%s)",
        [now - LOOKBACK],
    ).fetchall()
    return [_finding(*row) for row in rows]


def _finding(
    job_id: int,
    proc: str | None,
    name: str | None,
    failures: int,
    last_failure: datetime,
    message: str | None,
    last_success: datetime | None,
) -> Finding:
    what = f"job {job_id} ({name or proc or 'unknown'}) failed {failures} times in the last week"
    what += f", last at {last_failure:%Y-%m-%d %H:%M %Z}: {message}"
    if message and PORTAL_ERROR in message:
        problem = (
            f"{what}. This is the known defect of TimescaleDB's job runner on PostgreSQL 17.12: "
            "the run is recorded as failed after its work was committed. Nothing is lost, and "
            "the analyzer depends on no job"
        )
        fix = "nothing to do; docs/database.en.md, 'Background jobs', says which versions fix it"
    else:
        success = f"last success {last_success:%Y-%m-%d %H:%M %Z}" if last_success else "no success"
        problem = (
            f"{what} ({success}). The analyzer depends on no job, so the dashboards' figures "
            "are not affected; the job's own purpose may be"
        )
        fix = (
            f"read the server's log around that time; `SELECT * FROM "
            f"timescaledb_information.jobs WHERE job_id = {job_id}` says what the job does"
        )
    return Finding("database", SUBJECT, problem, fix, Severity.WARNING)
