"""Read one log file the way the nightly job would, keeping what the checks need.

The first `SAMPLE_LINES` lines are parsed (rejects, fields present, offsets); the rest are
only skimmed for the last line, whose time closes the file's span.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from analyzer.formats import LineRejected, LogFormat, RawRequest, file_format
from analyzer.reader import open_log
from analyzer.settings import LogSource

SAMPLE_LINES = 20_000
EXCERPT = 200  # characters of a rejected line shown


@dataclass(slots=True)
class FileSample:
    path: Path
    format_name: str
    lines: int = 0  # non-empty lines parsed
    rejects: int = 0
    first_reject: str | None = None  # "line 12 (no match): 203.0.113.9 - ..."
    with_duration: int = 0  # parsed lines that have a response time
    with_agent: int = 0  # parsed lines that have a user agent
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    offsets: set[timedelta | None] = field(default_factory=set)

    def add(self, request: RawRequest) -> None:
        if request.duration_ms is not None:
            self.with_duration += 1
        if request.user_agent is not None:
            self.with_agent += 1
        self.offsets.add(request.ts.utcoffset())
        self.first_ts = request.ts if self.first_ts is None else min(self.first_ts, request.ts)
        self.last_ts = request.ts if self.last_ts is None else max(self.last_ts, request.ts)

    def reject(self, line_no: int, reason: str, text: str) -> None:
        self.rejects += 1
        if self.first_reject is None:
            self.first_reject = f"line {line_no} ({reason}): {text[:EXCERPT]}"


def sample_file(path: Path, fmt: LogFormat) -> FileSample:
    sample = FileSample(path, fmt.name)
    tail: str | None = None  # the last line past the sample
    with open_log(path) as stream:
        for line_no, raw in enumerate(stream, start=1):
            text = _text(raw)
            if not text.strip():
                continue
            if sample.lines >= SAMPLE_LINES:
                tail = text
                continue
            sample.lines += 1
            try:
                sample.add(fmt.parse(text))
            except LineRejected as exc:
                sample.reject(line_no, exc.reason, text)
    if tail is not None:
        # Unread, the span ends at the sample's last line: shorter, never wrongly longer.
        with contextlib.suppress(LineRejected):
            sample.add(fmt.parse(tail))
    return sample


def log_format(source: LogSource, path: Path, zone: tzinfo) -> LogFormat:
    """The configured format, or the preset `auto` picks from the file's first lines.

    Raises InputError when no preset reads them, as the nightly job would.
    """
    return file_format(source.format, path, zone)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
