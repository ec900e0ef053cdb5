"""A load killed with SIGKILL while rows are being copied leaves nothing; a rerun loads the
file exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from analyzer.errors import ExitCode
from tests.db.ingest_support import ANALYZER, ledger, rows_by_site, run, start_run
from tests.support.databases import TestDatabase

LINES = 100_000
WAIT = 120.0  # seconds: a safety net against hanging, not a measurement


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose yesterday file holds LINES lines (no junk)."""
    site_dir = tmp_path_factory.mktemp("crash") / "big"
    site_dir.mkdir()
    subprocess.run(
        [*ANALYZER, "generate", "--single", str(site_dir / "access.log.1"), "--format",
         "nginx", "--lines", str(LINES), "--seed", "3"],
        check=True, capture_output=True,
    )  # fmt: skip
    return site_dir


def _config(site_dir: Path, url: str) -> Path:
    config = site_dir.parent / "config.yaml"
    document = {
        "database_url": url,
        "state_dir": str(site_dir.parent / "state"),
        "sites": [
            {"name": "big", "logs": [{"path": str(site_dir / "access.log"), "format": "nginx"}]}
        ],
    }
    config.write_text(yaml.safe_dump(document))
    return config


def _wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def _bytes_being_copied(admin_url: str, dbname: str) -> int:
    # TimescaleDB's COPY into a hypertable leaves tuples_processed at 0; bytes move.
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT max(bytes_processed) FROM pg_stat_progress_copy WHERE datname = %s",
            [dbname],
        ).fetchone()
    return int(row[0] or 0) if row else 0


def _backends(admin_url: str, dbname: str) -> int:
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'analyzer'",
            [dbname],
        ).fetchone()
    return int(row[0]) if row else 0


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_load_killed_mid_copy_leaves_nothing_and_reruns_exactly_once(
    analytics_db: TestDatabase, big_site: Path
) -> None:
    config = _config(big_site, analytics_db.writer_url)
    admin, name = analytics_db.admin_url, analytics_db.name
    loading = start_run(config)
    _wait_until(lambda: _bytes_being_copied(admin, name) > 2_000_000, "rows being copied")

    loading.send_signal(signal.SIGKILL)  # the loader only: its parser child must follow
    loading.wait()
    _wait_until(lambda: _group_gone(loading.pid), "the parser process to exit")
    _wait_until(lambda: _backends(admin, name) == 0, "the server to end the session")

    assert rows_by_site(analytics_db.writer_url) == {}
    assert ledger(analytics_db.writer_url) == []

    rerun = run(config)

    assert rerun.returncode == ExitCode.OK, rerun.stderr
    assert rows_by_site(analytics_db.writer_url)["big"][0] == LINES
    assert [row[1:] for row in ledger(analytics_db.writer_url)] == [
        ("access.log.1", LINES, 0, LINES)
    ]
