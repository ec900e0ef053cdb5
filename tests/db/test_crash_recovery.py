"""A load killed with SIGKILL while rows are being copied leaves nothing; a rerun loads the
file exactly once."""

from __future__ import annotations

import signal
from pathlib import Path

from analyzer.errors import ExitCode
from tests.db.ingest_support import (
    analyzer_sessions,
    bytes_being_copied,
    group_gone,
    ledger,
    rows_by_site,
    run,
    single_file_site,
    start_run,
    wait_until,
)
from tests.support.databases import TestDatabase

LINES = 100_000


def test_a_load_killed_mid_copy_leaves_nothing_and_reruns_exactly_once(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    config = single_file_site(tmp_path, LINES, analytics_db.writer_url)
    admin, name = analytics_db.admin_url, analytics_db.name
    loading = start_run(config)
    wait_until(lambda: bytes_being_copied(admin, name) > 2_000_000, "rows being copied")

    loading.send_signal(signal.SIGKILL)  # the loader only: its parser child must follow
    loading.wait()
    wait_until(lambda: group_gone(loading.pid), "the parser process to exit")
    wait_until(lambda: analyzer_sessions(admin, name) == 0, "the server to end the session")

    assert rows_by_site(analytics_db.writer_url) == {}
    assert ledger(analytics_db.writer_url) == []

    rerun = run(config)

    assert rerun.returncode == ExitCode.OK, rerun.stderr
    assert rows_by_site(analytics_db.writer_url)["big"][0] == LINES
    assert [row[1:] for row in ledger(analytics_db.writer_url)] == [
        ("access.log.1", LINES, 0, LINES)
    ]
