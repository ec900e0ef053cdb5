"""`analyzer doctor` reports the server's failing background jobs, and whether they matter.

On the Timescale-License edition, jobs run by TimescaleDB's scheduler: one whose procedure
fails, and one that succeeds, which PostgreSQL 17.12 records as failed all the same (the
known defect of TimescaleDB's job runner). The analyzer depends on neither.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from analyzer.doctor import jobs
from tests.logpolicy.doctor_folders import examine, prepare

FAILING = """
CREATE OR REPLACE PROCEDURE analytics.test_job_{name}(job_id int, config jsonb)
LANGUAGE plpgsql AS $$ BEGIN {body} END $$
"""


@pytest.fixture
def doctor_env(analytics_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[psycopg.Connection]:
    monkeypatch.setenv("ANALYZER_DATABASE_URL", analytics_db.writer_url)
    if analytics_db.edition == "timescale":
        # A database cloned from a template gets its job scheduler when TimescaleDB's
        # launcher next looks for databases (every minute); start it now, as CREATE
        # EXTENSION does for the bootstrap's database.
        with psycopg.connect(analytics_db.admin_url, autocommit=True) as admin:
            admin.execute("SELECT _timescaledb_functions.start_background_workers()")
    with psycopg.connect(analytics_db.owner_url, autocommit=True) as conn:
        yield conn
        conn.execute(
            "SELECT delete_job(job_id) FROM timescaledb_information.jobs"
            " WHERE proc_name LIKE 'test_job_%'"
        )


def _job_findings(config_path) -> list:
    return [f for f in examine(config_path) if f.subject == jobs.SUBJECT]


def _scheduled_job(conn: psycopg.Connection, name: str, body: str) -> int:
    """A job of the owner's, run by the scheduler at once and every second."""
    conn.execute(FAILING.format(name=name, body=body))
    (job_id,) = conn.execute(
        "SELECT add_job(%s::regproc, INTERVAL '1 second', initial_start => now())",
        [f"analytics.test_job_{name}"],
    ).fetchone()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        failed = conn.execute(
            "SELECT count(*) FROM timescaledb_information.job_errors WHERE job_id = %s",
            [job_id],
        ).fetchone()[0]
        if failed:
            return job_id
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} recorded no run in 120 s: is the scheduler running?")


def test_a_job_that_fails_is_a_warning_naming_it_and_its_error(tmp_path, doctor_env):
    if _edition(doctor_env) != "timescale":
        pytest.skip("background jobs are the Timescale-License edition's")
    job_id = _scheduled_job(doctor_env, "boom", "RAISE EXCEPTION 'the disk is full';")
    (finding,) = [f for f in _job_findings(prepare(tmp_path)) if f"job {job_id} " in f.problem]
    assert finding.severity == "warning"
    assert "the disk is full" in finding.problem
    assert "the dashboards' figures are not affected" in finding.problem
    assert f"WHERE job_id = {job_id}" in finding.fix


def test_a_job_recorded_as_failed_by_the_known_defect_is_said_to_be_harmless(tmp_path, doctor_env):
    if _edition(doctor_env) != "timescale":
        pytest.skip("background jobs are the Timescale-License edition's")
    job_id = _scheduled_job(doctor_env, "fine", "PERFORM 1;")
    (message,) = doctor_env.execute(
        "SELECT err_message FROM timescaledb_information.job_errors WHERE job_id = %s LIMIT 1",
        [job_id],
    ).fetchone()
    if jobs.PORTAL_ERROR not in message:
        pytest.skip(f"this server does not have the defect (the job failed with {message!r})")
    (finding,) = [f for f in _job_findings(prepare(tmp_path)) if f"job {job_id} " in f.problem]
    assert finding.severity == "warning"
    assert "known defect of TimescaleDB's job runner" in finding.problem
    assert finding.fix.startswith("nothing to do")


def test_a_database_bootstrapped_like_the_stack_has_no_failing_apache_job(tmp_path, doctor_env):
    if _edition(doctor_env) != "apache":
        pytest.skip("the Apache edition unschedules TimescaleDB's job 3, which needs a licence")
    time.sleep(2)  # the scheduler would have run job 3 at once
    assert _job_findings(prepare(tmp_path)) == []
    scheduled = doctor_env.execute(
        "SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = 3"
    ).fetchone()
    assert scheduled == (False,)


def _edition(conn: psycopg.Connection) -> str:
    return conn.execute("SHOW timescaledb.license").fetchone()[0]
