"""`analyzer schedule`: runs the ingest, says when it runs next, survives a failing run,
stops cleanly on SIGTERM."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer.errors import ExitCode
from tests.db.ingest_support import (
    ANALYZER,
    WAIT,
    bytes_being_copied,
    configure,
    generate,
    ledger,
    rotated_valid_lines,
    rows_by_site,
    single_file_site,
    wait_until,
)
from tests.support.databases import TestDatabase


class Scheduler:
    """``analyzer schedule`` in the background, its stderr readable line by line."""

    def __init__(self, config: Path) -> None:
        self.process = subprocess.Popen(
            [*ANALYZER, "schedule", "--config", str(config), "--now"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"no {text!r} in the scheduler's log:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return line

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT)


def test_schedule_runs_now_then_logs_the_next_run_and_stops_on_sigterm(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "nightly:nginx", days=3)
    config = configure(generated.config, analytics_db.writer_url, schedule="30 2 * * *")
    scheduler = Scheduler(config)

    scheduler.wait_for("run finished with exit code 0")
    next_run = scheduler.wait_for("next run at")

    when = datetime.fromisoformat(next_run.rsplit("next run at ", 1)[1].strip())
    assert when.astimezone(ZoneInfo("Europe/Paris")).time() == time(2, 30)  # the config's zone
    assert rows_by_site(analytics_db.writer_url)["nightly"][0] == rotated_valid_lines(
        generated, "nightly"
    )
    assert scheduler.stop() == ExitCode.OK
    scheduler.wait_for("scheduler stopped")


def test_a_failing_run_is_logged_and_the_scheduler_waits_for_the_next(tmp_path: Path) -> None:
    generated = generate(tmp_path, "down:nginx", days=2)
    config = configure(generated.config, "postgresql://analytics_writer@127.0.0.1:9/analytics")
    scheduler = Scheduler(config)

    failed = scheduler.wait_for("run failed")
    scheduler.wait_for("next run at")

    assert "exit code 5" in failed and "cannot connect" in failed
    assert scheduler.process.poll() is None  # still waiting for the next night
    assert scheduler.stop() == ExitCode.OK


def test_sigterm_during_a_run_rolls_the_file_back_and_exits_0(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    config = single_file_site(tmp_path, 60_000, analytics_db.writer_url)
    scheduler = Scheduler(config)
    wait_until(
        lambda: bytes_being_copied(analytics_db.admin_url, analytics_db.name) > 1_000_000,
        "rows being copied",
    )

    assert scheduler.stop() == ExitCode.OK
    scheduler.wait_for("run interrupted by a signal")
    assert "big" not in rows_by_site(analytics_db.writer_url)
    assert [row for row in ledger(analytics_db.writer_url) if row[0] == "big"] == []
