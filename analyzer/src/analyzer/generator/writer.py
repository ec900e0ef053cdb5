"""Turning days of traffic into file contents, in slices that worker processes can share.

A day's timestamps come from the day's own random stream, and the monitoring checks
(`data.PROBES`) from a fixed schedule per site; its requests are then drawn in slices of
``SLICE_LINES``, each from a stream of its own. So the bytes depend only on the seed,
never on how many processes rendered them, and memory holds one day's timestamps and the
slices in flight whatever the file's size.
"""

from __future__ import annotations

import gzip
import os
from bisect import bisect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path
from random import Random
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from analyzer.generator import data
from analyzer.generator.clock import Clock, day_timestamps
from analyzer.generator.model import choose
from analyzer.generator.render import RENDERERS, Context, Renderer
from analyzer.generator.traffic import SiteTraffic

SLICE_LINES = 50_000
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Source:
    """One generated log: a site's traffic in one format (hashable, sent to workers)."""

    site: str
    format: str  # key of render.RENDERERS
    timezone: str
    seed: int
    junk_rate: float = 0.0
    # A weekday's requests of the site, which set how often it is checked (see
    # data.PROBE_VOLUME); 0: no monitoring checks.
    volume: int = 0


@dataclass(slots=True)
class FileReport:
    """What went into one file: the lines written and, among them, the junk lines."""

    path: Path
    lines: int = 0
    junk: int = 0


class Slice(NamedTuple):
    source: Source
    key: str  # seeds the slice's random stream
    stamps: list[float]
    first: int  # 1-based number of the slice's first request in its file
    checks: dict[int, int]  # position in stamps -> index in data.PROBES: a monitoring check


def day_slices(source: Source, day: date, count: int, first: int) -> list[Slice]:
    """The slices of ``count`` requests on the local ``day``, numbered from ``first``;
    the day's monitoring checks are among them."""
    key = f"{source.seed}:{source.site}:{day.isoformat()}"
    zone = ZoneInfo(source.timezone)
    checks = probe_checks(source, zone, day)[:count]
    stamps, at = _with_checks(day_timestamps(Random(key), zone, day, count - len(checks)), checks)
    return [
        Slice(
            source,
            f"{key}:{start}",
            stamps[start : start + SLICE_LINES],
            first + start,
            {i - start: probe for i, probe in at.items() if start <= i < start + SLICE_LINES},
        )
        for start in range(0, count, SLICE_LINES)
    ]


def probe_checks(source: Source, zone: ZoneInfo, day: date) -> list[tuple[float, int]]:
    """``(instant, index in data.PROBES)`` of the local day's checks, in time order: each
    probe checks every interval, at instants fixed for the site by the seed."""
    if not source.volume:
        return []
    start = datetime.combine(day, time(0), zone).timestamp()
    end = datetime.combine(day + timedelta(days=1), time(0), zone).timestamp()
    scale = max(1.0, data.PROBE_VOLUME / source.volume)
    phases = Random(f"{source.seed}:{source.site}:probes")
    checks = []
    for index, probe in enumerate(data.PROBES):
        interval = probe.interval_s * scale
        instant = start + (phases.random() * interval - start) % interval  # the first >= start
        while instant < end:
            checks.append((instant, index))
            instant += interval
    checks.sort()
    return checks


def _with_checks(
    stamps: list[float], checks: list[tuple[float, int]]
) -> tuple[list[float], dict[int, int]]:
    """The instants of both, in order, and which positions are checks (of which probe)."""
    merged: list[float] = []
    at: dict[int, int] = {}
    done = 0
    for instant, probe in checks:
        upto = bisect(stamps, instant, lo=done)
        merged += stamps[done:upto]
        done = upto
        at[len(merged)] = probe
        merged.append(instant)
    merged += stamps[done:]
    return merged, at


@lru_cache(maxsize=16)
def _site(source: Source) -> tuple[SiteTraffic, Renderer, Context]:
    """Per-process state of a source, built once: clients, renderer, clocks."""
    traffic = SiteTraffic(source.site, source.seed)
    context = Context(traffic.host, Clock(ZoneInfo(source.timezone)), Clock(_UTC))
    return traffic, RENDERERS[source.format], context


def render_slice(piece: Slice) -> tuple[bytes, int]:
    """The slice's bytes and how many junk lines they include."""
    traffic, render, context = _site(piece.source)
    rng = Random(piece.key)
    junk_rate = piece.source.junk_rate
    lines: list[str] = []
    junk = 0
    for number, hit in enumerate(traffic.hits(rng, piece.stamps, piece.checks), piece.first):
        line = render(hit, number, context)
        lines.append(line)
        if junk_rate and rng.random() < junk_rate:
            lines.append(_junk(rng, line))
            junk += 1
    lines.append("")  # the final newline
    # surrogateescape carries binary junk through str and back to the same bytes
    return "\n".join(lines).encode("utf-8", "surrogateescape"), junk


def _junk(rng: Random, line: str) -> str:
    """A line no parser should accept: a truncated real line or one from data.JUNK_LINES."""
    if rng.random() < 0.5:
        return line[: len(line) // 2]
    return choose(rng, data.JUNK_LINES).decode("utf-8", "surrogateescape")


class SliceWriter:
    """Renders slices in order into files, on worker processes when there are several.

    Use as a context manager: the worker pool lives as long as the ``with`` block.
    """

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: Pool | None = None

    def __enter__(self) -> SliceWriter:
        if self._workers > 1:
            self._pool = get_context("fork").Pool(self._workers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self._pool is not None:
            if exc_type is None:
                self._pool.close()  # all work is done: let the workers exit
            else:
                self._pool.terminate()
            self._pool.join()

    def write(self, stream: BinaryIO, pieces: list[Slice], report: FileReport) -> None:
        """Append ``pieces`` to one open file."""
        _append(stream, pieces, self._render(pieces), report)

    def write_files(self, files: list[tuple[FileReport, list[Slice]]]) -> None:
        """Write each report's file from its slices; the workers share all the files."""
        rendered = self._render([piece for _, pieces in files for piece in pieces])
        for report, pieces in files:
            with open_output(report.path) as stream:
                _append(stream, pieces, rendered, report)

    def _render(self, pieces: list[Slice]) -> Iterator[tuple[bytes, int]]:
        if self._pool is not None and len(pieces) > 1:
            return self._pool.imap(render_slice, pieces)
        return map(render_slice, pieces)


def _append(
    stream: BinaryIO, pieces: list[Slice], rendered: Iterator[tuple[bytes, int]], report: FileReport
) -> None:
    """Write the next ``len(pieces)`` rendered slices, counting lines and junk."""
    for piece in pieces:
        content, junk = next(rendered)
        stream.write(content)
        report.lines += len(piece.stamps) + junk
        report.junk += junk


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


@contextmanager
def open_output(path: Path) -> Iterator[BinaryIO]:
    """A binary stream to ``path``, gzip-compressed when it ends in ``.gz``.

    The gzip header gets a zero mtime so that the same seed gives the same bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw:
        if path.suffix != ".gz":
            yield raw
            return
        with gzip.GzipFile(path.name, "wb", compresslevel=6, fileobj=raw, mtime=0) as stream:
            yield stream  # type: ignore[misc]
