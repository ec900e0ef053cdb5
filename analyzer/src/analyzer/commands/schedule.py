"""`analyzer schedule`: run the nightly ingest at the times of a cron expression.

Meant as a container's main process: it logs the next run time, survives a failing run
(logs it and waits for the next one), and stops cleanly on SIGTERM or SIGINT. A signal
during a run interrupts it; the file being loaded rolls back and loads next time.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from croniter import croniter

from analyzer import config
from analyzer.commands.run import run_and_summarize
from analyzer.errors import AnalyzerError, ExitCode

log = logging.getLogger(__name__)


class Stopped(AnalyzerError):
    """A signal asked the scheduler to stop during a run."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schedule",
        help="run the ingest every night (settings.schedule, a cron expression)",
        description="Run `analyzer run` at the times of the configured cron expression "
        "(evaluated in the configured timezone) until SIGTERM.",
    )
    parser.add_argument("--config", required=True, type=Path, help="configuration file")
    parser.add_argument("--now", action="store_true", help="also run once right away")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = config.load(args.config)  # fail fast on a bad file; reread before each run
    Scheduler(args.config, settings.schedule, ZoneInfo(settings.timezone)).serve(args.now)
    return ExitCode.OK


class Scheduler:
    def __init__(self, config_path: Path, expression: str, zone: ZoneInfo) -> None:
        self.config_path = config_path
        self.expression = expression
        self.zone = zone
        self.stop = threading.Event()
        self.running = False

    def serve(self, run_now: bool) -> None:
        """Run at every scheduled time until a signal arrives."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        if run_now:
            self._run()
        while not self.stop.is_set():
            now = datetime.now(self.zone)
            due = croniter(self.expression, now).get_next(datetime)
            log.info("next run at %s", due.isoformat())
            if self.stop.wait((due - now).total_seconds()):
                break
            self._run()
        log.info("scheduler stopped")

    def _run(self) -> None:
        self.running = True
        try:
            # Reread the configuration so edits apply without a restart.
            code = run_and_summarize(config.load(self.config_path))
            log.info("run finished with exit code %d", code)
        except Stopped:
            log.warning("run interrupted by a signal; the current file rolled back")
        except AnalyzerError as exc:
            log.error("run failed (exit code %d): %s", exc.exit_code, exc)
        except Exception:  # a bug must not stop the nightly job for good
            log.exception("run failed unexpectedly")
        finally:
            self.running = False

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.stop.set()
        if self.running:
            raise Stopped(f"stopped by {signal.Signals(signum).name}")
