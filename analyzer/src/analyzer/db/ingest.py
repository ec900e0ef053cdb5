"""The nightly ingest: every rotated log file not loaded yet, each in one transaction.

    report = run(settings, site=None, dry_run=False, jobs=None, progress=progress.for_stream())

Per file, one transaction holds the ledger row, the COPY of its requests and layers, and
the refresh of the rollups it touched (Apache edition); a crash anywhere leaves nothing
and the next run loads the file again, exactly once. Continuous aggregates (Timescale
edition) refresh right after each commit, and again at the start of the next run if a
crash came in between.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from analyzer.db import (
    aggregates,
    columnstore,
    connect,
    ledger,
    lock,
    migrate,
    retention,
    titles,
)
from analyzer.db.batches import ParseJob, parse_batches
from analyzer.db.discover import (
    Candidate,
    candidate_of,
    candidates,
    content_size,
    source_problem,
)
from analyzer.errors import DatabaseError, InputError
from analyzer.formats import AUTO, file_format
from analyzer.parsing import Tally
from analyzer.progress import Progress
from analyzer.row import LAYER_COLUMNS, REQUEST_COLUMNS
from analyzer.settings import Settings, SiteConfig

log = logging.getLogger(__name__)

LAYER_SEGMENT_BYTES = 8 << 20  # layer rows held in memory, then copied between requests
# One server session takes the COPY: past a few parsing processes it is the bottleneck, and
# each process costs memory (and, for a gzip file, one more full decompression).
MAX_DEFAULT_JOBS = 4


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
    too_old: int = 0  # files last written before the raw retention's cutoff
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
            f"{self.already_loaded} already loaded, {self.too_old} older than raw retention; "
            f"{lines:,} lines, {rejects:,} rejects, "
            f"{rows:,} rows, {self.seconds:.1f} s"
        ]


def run(
    settings: Settings,
    *,
    site: str | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Progress,
) -> RunReport:
    """Load what is new for every site (or only ``site``), then apply retention.

    ``jobs`` parsing processes per file (default: one per core, at most MAX_DEFAULT_JOBS).
    """
    started = time.monotonic()
    sites = [s for s in settings.sites if site is None or s.name == site]
    with _loading(settings, jobs, progress) as loader:
        conn = loader.conn
        if not dry_run:
            aggregates.refresh_after_commit(conn)  # settle what a crashed run left pending
        for site_config in sites:
            for candidate in loader.new_files(site_config):
                if dry_run:
                    loader.report.pending.append(candidate.path)
                else:
                    loader.load(site_config, candidate)
        if not dry_run:
            retention.apply(conn, settings.retention)
            columnstore.convert(conn, settings.columnstore_after)
            titles.update(conn, sites)  # the catalogues' titles of new records
    loader.report.seconds = time.monotonic() - started
    return loader.report


def reload(
    settings: Settings, site: SiteConfig, paths: list[Path], progress: Progress
) -> RunReport:
    """Load ``paths`` of ``site`` again: each file's earlier rows and their share of every
    aggregate are replaced by what it gives now, in the file's one transaction."""
    started = time.monotonic()
    with _loading(settings, None, progress) as loader:
        conn = loader.conn
        aggregates.refresh_after_commit(conn)
        for path in paths:
            candidate = candidate_of(site.logs, path)
            if candidate is None:
                problem = "not a rotated file of this site's logs (see `logs` in the config)"
            elif (earlier := ledger.loaded_id(conn, site.name, candidate.fingerprint)) is None:
                problem = "never loaded: `analyzer run` loads it"
            elif loader.older_than_raw_retention(candidate):
                problem = "older than the raw retention: its aggregates cannot be rebuilt"
            else:
                loader.load(site, candidate, forget=earlier)
                continue
            loader.fail(FileReport(site.name, path, error=problem))
    loader.report.seconds = time.monotonic() - started
    return loader.report


@contextmanager
def _loading(settings: Settings, jobs: int | None, progress: Progress) -> Iterator[_Loader]:
    """A loader on its own connection, holding the run locks: the state folder's and the
    database's. ``jobs`` parsing processes per file (default: cores, at most
    MAX_DEFAULT_JOBS)."""
    with ExitStack() as stack:
        stack.enter_context(_database_errors())
        stack.enter_context(lock.state_dir_lock(settings.state_dir))
        conn = stack.enter_context(connect.connect(settings.database_url, autocommit=True))
        stack.enter_context(lock.advisory_lock(conn))
        migrate.require_current(conn)
        jobs = jobs or min(os.cpu_count() or 1, MAX_DEFAULT_JOBS)
        yield _Loader(conn, settings, jobs, progress)


def _raw_cutoff(conn: psycopg.Connection, raw: str | None) -> float | None:
    """The epoch before which raw rows are dropped; the server reads the interval."""
    if raw is None:
        return None
    row = conn.execute("SELECT extract(epoch FROM now() - %s::interval)", [raw]).fetchone()
    return float(row[0]) if row else None


@contextmanager
def _database_errors() -> Iterator[None]:
    """The server's errors as DatabaseError (exit code 5), saying what to do if we know."""
    try:
        yield
    except psycopg.errors.InvalidSchemaName as exc:
        raise DatabaseError(
            f"the database has no analytics schema yet ({str(exc).strip()}): "
            "run `analyzer db migrate` first"
        ) from exc
    except psycopg.errors.UndefinedTable as exc:  # a table a later migration creates
        raise DatabaseError(
            f"the database schema is older than this analyzer, or missing "
            f"({str(exc).strip()}): run `analyzer db migrate` first"
        ) from exc
    except (
        psycopg.errors.UndefinedFunction,
        psycopg.errors.UndefinedColumn,
        psycopg.errors.InvalidColumnReference,  # a column generated before 0008
    ) as exc:
        raise DatabaseError(
            f"the database schema is older than this analyzer ({str(exc).strip()}): "
            "run `analyzer db migrate` first"
        ) from exc
    except psycopg.Error as exc:
        raise DatabaseError(f"database error: {str(exc).strip()}") from exc


class _Loader:
    """What loading needs for every file of a run, and what the run did so far."""

    def __init__(
        self, conn: psycopg.Connection, settings: Settings, jobs: int, progress: Progress
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.jobs = jobs
        self.progress = progress
        self.report = RunReport()
        self.raw_cutoff = _raw_cutoff(conn, settings.retention["raw"])
        self.unsummarized: tuple[datetime, datetime] | None = None  # the last load's span

    def new_files(self, site: SiteConfig) -> Iterator[Candidate]:
        known = ledger.known_fingerprints(self.conn, site.name)
        for source in site.logs:
            if problem := source_problem(source):
                self.fail(FileReport(site.name, source.path, error=problem))
                continue
            for candidate in candidates(source):
                if candidate.fingerprint in known:
                    self.report.already_loaded += 1
                    log.debug("%s: %s: already loaded", site.name, candidate.path)
                    continue
                known.add(candidate.fingerprint)  # a copy under two names loads once
                if self.older_than_raw_retention(candidate):
                    self.report.too_old += 1
                    log.warning(
                        "%s: last written before the raw retention's cutoff: not loaded",
                        candidate.path,
                    )
                    continue
                yield candidate

    def older_than_raw_retention(self, candidate: Candidate) -> bool:
        """Whether the file was last written before the raw retention's cutoff.

        Its rows would be dropped tonight and, outside the refresh windows, never reach the
        aggregates: loading it would only cost time. A log is appended in time order, so
        its modification time is not older than its last line.
        """
        modified = candidate.path.stat().st_mtime
        return self.raw_cutoff is not None and modified < self.raw_cutoff

    def load(self, site: SiteConfig, candidate: Candidate, forget: int | None = None) -> None:
        """Load one file in one transaction; a bad file fails alone, the run goes on.

        ``forget``: the ledger id of the file's earlier load, whose rows the same
        transaction removes (a reload: on failure, the earlier load stays)."""
        self._summarize_last_load()
        report = FileReport(site.name, candidate.path)
        # Named after the content too: tomorrow's access.log.1 must not overwrite today's.
        name = f"{candidate.path.name}.{candidate.fingerprint[:12]}.rejects"
        rejects = self.settings.state_dir / "rejects" / site.name / name
        partial = rejects.with_name(name + ".partial")
        try:
            report.totals, report.reasons = self._load_in_transaction(
                site, candidate, partial, forget
            )
        except (InputError, psycopg.errors.DataError) as exc:
            # A damaged file, or a value the server refuses: this file fails, others load.
            report.error = str(exc).strip()
            partial.unlink(missing_ok=True)
        else:
            if partial.exists():
                partial.replace(rejects)
            aggregates.refresh_after_commit(self.conn)
            if report.totals.first_ts and report.totals.last_ts:
                self.unsummarized = (report.totals.first_ts, report.totals.last_ts)
        if report.error:
            self.fail(report)
        else:
            log.info("%s", report.line())
            self.report.files.append(report)

    def fail(self, report: FileReport) -> None:
        log.error("%s", report.line())
        self.report.files.append(report)

    def _summarize_last_load(self) -> None:
        """Summarize the index ranges of the rows the last load appended (migration 0009):
        only a load that follows in the same run needs it, autovacuum does it otherwise."""
        if self.unsummarized is not None:
            with _timed("the last load's index ranges summarized"):
                self.conn.execute(
                    "SELECT analytics.summarize_new_ranges(%s, %s)", self.unsummarized
                )
            self.unsummarized = None

    def _load_in_transaction(
        self, site: SiteConfig, candidate: Candidate, rejects: Path, forget: int | None
    ) -> tuple[ledger.FileTotals, Counter[str]]:
        started = time.monotonic()
        with self.conn.transaction():
            span = ledger.FileTotals()  # what the rollups must be recomputed over
            if forget is not None:
                earlier = self.conn.execute(
                    "SELECT first_ts, last_ts FROM analytics.forget_file(%s)", [forget]
                ).fetchone()
                span.stretch(*(earlier or (None, None)))
            file_id = ledger.begin(self.conn, site.name, candidate)
            job = ParseJob(site, candidate, file_id, self.jobs)
            totals, reasons = load_file(self.conn, job, rejects, self.progress)
            _check_reject_share(site, candidate, totals, self.settings.max_reject_share)
            span.stretch(totals.first_ts, totals.last_ts)
            if span.first_ts and span.last_ts:
                with _timed(f"{candidate.path}: rollups refreshed"):
                    aggregates.refresh_rollups(self.conn, site.name, span.first_ts, span.last_ts)
            totals.seconds = time.monotonic() - started
            ledger.finish(self.conn, file_id, totals)
        return totals, reasons


def _check_reject_share(
    site: SiteConfig, candidate: Candidate, totals: ledger.FileTotals, limit: float
) -> None:
    """Fail the file (its transaction rolls back) when most of its lines were rejected: its
    format is most likely wrong, and once recorded as loaded it would never load again."""
    if not totals.lines or totals.rejects / totals.lines <= limit:
        return
    share = f"{totals.rejects:,} of {totals.lines:,} lines rejected"
    raise InputError(
        f"{share}, more than max_reject_share ({limit:.0%}): not loaded, so that it loads "
        f"once the cause is fixed. {_likely_format(candidate, ZoneInfo(site.timezone))}"
    )


def _likely_format(candidate: Candidate, zone: ZoneInfo) -> str:
    """What the file's first lines look like, as `auto` would read them."""
    configured = candidate.source.format
    try:
        fmt = file_format(AUTO, candidate.path, zone)
    except InputError:
        return f"No preset reads its first lines either: check `format` ({configured})."
    if fmt.name == configured:
        return f"Its first lines read as {configured}: the rejects file says which lines fail."
    return f"Its first lines read as the {fmt.name} preset, not {configured}: set `format`."


def load_file(
    conn: psycopg.Connection, job: ParseJob, rejects_path: Path, progress: Progress
) -> tuple[ledger.FileTotals, Counter[str]]:
    """COPY the file of ``job`` into the raw tables, inside the caller's transaction.

    One connection runs one COPY at a time: the requests stream in until the layer rows
    waiting in memory reach LAYER_SEGMENT_BYTES, then those are copied, and so on. The
    server copies layer rows while the workers go on parsing (`batches`).
    """
    totals, tally, done = ledger.FileTotals(), Tally(), 0
    size = content_size(job.candidate.path)
    progress.start(f"{job.site.name}/{job.candidate.path.name}", size)
    path = job.candidate.path
    with (
        conn.cursor() as cur,
        _RejectsFile(rejects_path) as rejects,
        _timed(f"{path}: parsed and copied"),
        parse_batches(job, size) as batches,
    ):
        finished = False
        while not finished:
            layers: list[bytes] = []
            waiting = 0
            with cur.copy(copy_statement("requests", REQUEST_COLUMNS)) as copy:
                for batch in batches:
                    copy.write(batch.requests)
                    layers.append(batch.layers)
                    waiting += len(batch.layers)
                    rejects.write(batch.rejects)
                    tally.add(batch.tally)
                    totals.stretch(batch.first_ts, batch.last_ts)
                    done += batch.size
                    progress.update(done, tally.lines)
                    if waiting >= LAYER_SEGMENT_BYTES:
                        break
                else:
                    finished = True
            if waiting:
                with cur.copy(copy_statement("request_layers", LAYER_COLUMNS)) as copy:
                    copy.write(b"".join(layers))
    progress.finish()
    totals.lines, totals.rows = tally.lines, tally.records
    totals.rejects = sum(tally.rejects.values())
    return totals, tally.rejects


@contextmanager
def _timed(what: str) -> Iterator[None]:
    """Log how long ``what`` took, at debug level (``analyzer -v run``)."""
    started = time.monotonic()
    yield
    log.debug("%s in %.1f s", what, time.monotonic() - started)


def copy_statement(table: str, columns: tuple[str, ...]) -> sql.Composed:
    return sql.SQL("COPY analytics.{} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


class _RejectsFile:
    """The rejects file of a load, created at its first reject only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out: TextIO | None = None

    def write(self, text: str) -> None:
        if text:
            if self.out is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.out = self.path.open("w", encoding="utf-8")
            self.out.write(text)

    def __enter__(self) -> _RejectsFile:
        return self

    def __exit__(self, *_: object) -> None:
        if self.out is not None:
            self.out.close()
