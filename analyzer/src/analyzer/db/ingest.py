"""The nightly ingest: every rotated log file not loaded yet, each in one transaction.

    report = run(settings, site=None, dry_run=False, progress=progress.for_stream())

Per file, one transaction holds the ledger row, the COPY of its requests and layers, and
the refresh of the rollups it touched (Apache edition); a crash anywhere leaves nothing
and the next run loads the file again, exactly once. Continuous aggregates (Timescale
edition) refresh right after each commit, and again at the start of the next run if a
crash came in between.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from analyzer.db import aggregates, connect, ledger, lock, retention
from analyzer.db.copy import LAYER_COLUMNS, REQUEST_COLUMNS, copy_statement
from analyzer.db.discover import Candidate, candidates, content_size
from analyzer.db.producer import Done, ParseJob, parse_in_child, warm_up
from analyzer.errors import InputError
from analyzer.progress import Progress
from analyzer.settings import Settings, SiteConfig

log = logging.getLogger(__name__)

LAYER_SPOOL_BYTES = 32 << 20  # layer rows kept in memory before spilling to disk


@dataclass(slots=True)
class FileReport:
    site: str
    path: Path
    totals: ledger.FileTotals = field(default_factory=ledger.FileTotals)
    reasons: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.site}: {self.path}: FAILED, nothing loaded: {self.error}"
        t = self.totals
        rate = t.lines / t.seconds if t.seconds else 0.0
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in self.reasons.most_common())
        return (
            f"{self.site}: {self.path}: {t.lines:,} lines, {t.rejects:,} rejects"
            f"{f' ({reasons})' if reasons else ''}, {t.rows:,} rows, "
            f"{t.seconds:.1f} s ({rate:,.0f} lines/s)"
        )


@dataclass(slots=True)
class RunReport:
    files: list[FileReport] = field(default_factory=list)
    pending: list[Path] = field(default_factory=list)  # what a dry run would load
    already_loaded: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def summary_lines(self) -> list[str]:
        """The run's totals, after a reminder of the files that failed (each file's own
        line was logged when it finished)."""
        loaded = [report for report in self.files if not report.error]
        lines = sum(r.totals.lines for r in loaded)
        rejects = sum(r.totals.rejects for r in loaded)
        rows = sum(r.totals.rows for r in loaded)
        return [report.line() for report in self.failures] + [
            f"run: {len(loaded)} files loaded, {len(self.failures)} failed, "
            f"{self.already_loaded} already loaded; {lines:,} lines, {rejects:,} rejects, "
            f"{rows:,} rows, {self.seconds:.1f} s"
        ]


def run(
    settings: Settings, *, site: str | None = None, dry_run: bool = False, progress: Progress
) -> RunReport:
    """Load what is new for every site (or only ``site``), then apply retention."""
    started = time.monotonic()
    report = RunReport()
    sites = [s for s in settings.sites if site is None or s.name == site]
    with ExitStack() as stack:
        stack.enter_context(lock.state_dir_lock(settings.state_dir))
        conn = stack.enter_context(connect.connect(settings.database_url, autocommit=True))
        stack.enter_context(lock.advisory_lock(conn))
        if not dry_run:
            aggregates.refresh_after_commit(conn)  # settle what a crashed run left pending
            warm_up()
        for site_config in sites:
            for candidate in _new_files(conn, site_config, report):
                if dry_run:
                    report.pending.append(candidate.path)
                else:
                    report.files.append(_load_one(conn, settings, site_config, candidate, progress))
        if not dry_run:
            retention.apply(conn, settings.retention)
    report.seconds = time.monotonic() - started
    return report


def _new_files(
    conn: psycopg.Connection, site: SiteConfig, report: RunReport
) -> Iterator[Candidate]:
    known = ledger.known_fingerprints(conn, site.name)
    for source in site.logs:
        for candidate in candidates(source):
            if candidate.fingerprint in known:
                report.already_loaded += 1
                log.debug("%s: %s: already loaded", site.name, candidate.path)
                continue
            known.add(candidate.fingerprint)  # a copy of a file under two names loads once
            yield candidate


def _load_one(
    conn: psycopg.Connection,
    settings: Settings,
    site: SiteConfig,
    candidate: Candidate,
    progress: Progress,
) -> FileReport:
    """Load one file; a bad file fails alone, the run goes on with the next."""
    report = FileReport(site.name, candidate.path)
    # Named after the content too: tomorrow's access.log.1 must not overwrite today's.
    name = f"{candidate.path.name}.{candidate.fingerprint[:12]}.rejects"
    rejects = settings.state_dir / "rejects" / site.name / name
    partial = rejects.with_name(name + ".partial")
    started = time.monotonic()
    try:
        with conn.transaction():
            file_id = ledger.begin(conn, site.name, candidate)
            job = ParseJob(site, candidate, file_id, partial)
            report.totals, report.reasons = load_file(conn, job, progress)
            if report.totals.first_ts and report.totals.last_ts:
                aggregates.refresh_rollups(
                    conn, site.name, report.totals.first_ts, report.totals.last_ts
                )
            report.totals.seconds = time.monotonic() - started
            ledger.finish(conn, file_id, report.totals)
    except InputError as exc:
        report.error = str(exc)
        partial.unlink(missing_ok=True)
    else:
        if partial.exists():
            partial.replace(rejects)
        aggregates.refresh_after_commit(conn)
    log.info("%s", report.line())
    return report


def load_file(
    conn: psycopg.Connection, job: ParseJob, progress: Progress
) -> tuple[ledger.FileTotals, Counter[str]]:
    """COPY the file of ``job`` into the raw tables, inside the caller's transaction.

    One connection runs one COPY at a time, so layer rows wait in a spooled temporary
    file (memory up to LAYER_SPOOL_BYTES, disk beyond) while the requests stream in.
    """
    done: Done | None = None
    progress.start(f"{job.site.name}/{job.candidate.path.name}", content_size(job.candidate.path))
    with (
        conn.cursor() as cur,
        tempfile.SpooledTemporaryFile(max_size=LAYER_SPOOL_BYTES) as layers,
        parse_in_child(job) as messages,
    ):
        with cur.copy(copy_statement("requests", REQUEST_COLUMNS)) as copy:
            for message in messages:
                if isinstance(message, Done):
                    done = message
                    break
                copy.write(message.requests)
                layers.write(message.layers)
                progress.update(message.position, message.lines)
        layers.seek(0)
        with cur.copy(copy_statement("request_layers", LAYER_COLUMNS)) as copy:
            while chunk := layers.read(1 << 20):
                copy.write(chunk)
    progress.finish()
    assert done is not None  # parse_in_child raises unless it ends with Done
    return done.totals, done.reasons
