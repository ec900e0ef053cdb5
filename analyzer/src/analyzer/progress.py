"""Progress of a long load: a bar on a terminal, a log line now and then otherwise.

The ingest reports the bytes of content it has read (decompressed for a ``.gz``, whose
trailer gives the total), so no file is read twice to count its lines first.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from typing import Protocol, TextIO

log = logging.getLogger(__name__)


class Progress(Protocol):
    def start(self, label: str, total_bytes: int) -> None: ...
    def update(self, done_bytes: int, lines: int) -> None: ...
    def finish(self) -> None: ...


class BarProgress:
    """One redrawn line on a terminal: ``site/access.log.2.gz [#####     ] 48% 812,345 lines``."""

    def __init__(self, stream: TextIO, interval: float = 0.2) -> None:
        self.stream = stream
        self.interval = interval
        self.label = ""
        self.total = 0
        self.started = self.drawn = 0.0

    def start(self, label: str, total_bytes: int) -> None:
        self.label, self.total = label, max(total_bytes, 1)
        self.started = self.drawn = time.monotonic()
        self._draw(0, 0)

    def update(self, done_bytes: int, lines: int) -> None:
        now = time.monotonic()
        if now - self.drawn >= self.interval:
            self.drawn = now
            self._draw(done_bytes, lines)

    def finish(self) -> None:
        self.stream.write("\r\x1b[K")  # erase the bar; the summary line follows
        self.stream.flush()

    def _draw(self, done_bytes: int, lines: int) -> None:
        share = min(done_bytes / self.total, 1.0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        width = max(10, min(40, shutil.get_terminal_size().columns - len(self.label) - 45))
        bar = "#" * int(share * width)
        self.stream.write(
            f"\r{self.label} [{bar:<{width}}] {share:4.0%} {lines:,} lines "
            f"{lines / elapsed:,.0f}/s\x1b[K"
        )
        self.stream.flush()


class LogProgress:
    """Plain log lines, one every ``interval`` seconds, for cron mails and containers."""

    def __init__(self, interval: float = 30.0) -> None:
        self.interval = interval
        self.label = ""
        self.total = 0
        self.logged = 0.0

    def start(self, label: str, total_bytes: int) -> None:
        self.label, self.total = label, max(total_bytes, 1)
        self.logged = time.monotonic()
        log.info("%s: loading (%s bytes)", label, f"{total_bytes:,}")

    def update(self, done_bytes: int, lines: int) -> None:
        now = time.monotonic()
        if now - self.logged >= self.interval:
            self.logged = now
            log.info("%s: %.0f%%, %s lines", self.label, 100 * done_bytes / self.total, lines)

    def finish(self) -> None:
        pass


def for_stream(stream: TextIO = sys.stderr) -> Progress:
    """A bar when ``stream`` is a terminal, log lines otherwise."""
    return BarProgress(stream) if stream.isatty() else LogProgress()
