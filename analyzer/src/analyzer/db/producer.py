"""Parse a log file into COPY-ready batches, in a child process.

The loading process only forwards bytes to PostgreSQL, so parsing (the expensive part)
runs on another core while the server ingests the previous batch:

    with parse_in_child(job) as messages:
        for message in messages:       # Batch ..., then one Done
            ...

A child that meets a damaged file sends `Failed`; the loader turns it into InputError so
the file's transaction rolls back. If the loader dies (kill -9), the child's next send
fails on the closed pipe and it exits.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from analyzer.clients import classify_agent
from analyzer.db.copy import RowEncoder
from analyzer.db.discover import Candidate
from analyzer.db.ledger import FileTotals
from analyzer.errors import AnalyzerError, InputError
from analyzer.formats import AUTO, SAMPLE_LINES, LogFormat, build_format, detect_format
from analyzer.parsing import LineParser, Reject, Tally, tune_gc
from analyzer.pipeline import SiteContext
from analyzer.privacy import key_from_env
from analyzer.reader import open_log, read_blocks, split_lines
from analyzer.settings import SiteConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParseJob:
    site: SiteConfig
    candidate: Candidate
    file_id: int
    rejects_path: Path  # written only when a line is rejected


@dataclass(slots=True)
class Batch:
    requests: bytes  # COPY text rows for analytics.requests
    layers: bytes  # COPY text rows for analytics.request_layers
    lines: int  # lines read so far
    position: int  # decompressed bytes read so far


@dataclass(slots=True)
class Done:
    totals: FileTotals  # seconds is left to the loader
    reasons: Counter[str]


@dataclass(slots=True)
class Failed:
    message: str


def warm_up() -> None:
    """Load the user-agent parser's rules once, in the loader: every forked child then
    inherits them instead of spending half a second loading them again per file."""
    classify_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")


def produce(job: ParseJob) -> Iterator[Batch | Done]:
    """Read, parse and encode the file of ``job``, one batch per block of lines."""
    path = job.candidate.path
    encoder = RowEncoder(job.site.name, job.file_id)
    totals, tally, position = FileTotals(), Tally(), 0
    with ExitStack() as stack:
        stream = stack.enter_context(open_log(path))
        rejects = _RejectsFile(job.rejects_path, stack)
        parser: LineParser | None = None
        for block in read_blocks(stream, str(path)):
            if parser is None:
                context = SiteContext.for_site(job.site, key_from_env(os.environ))
                parser = LineParser(_log_format(job, block), context, str(path))
            records, rejected, counts = parser.parse_block(block)
            tally.add(counts)
            rejects.write(rejected)
            position += len(block)
            if records:
                first, last = min(r.ts for r in records), max(r.ts for r in records)
                totals.first_ts = min(first, totals.first_ts or first)
                totals.last_ts = max(last, totals.last_ts or last)
            encoded = [encoder.encode(record) for record in records]
            yield Batch(
                "".join([row for row, _ in encoded]).encode("utf-8", "replace"),
                "".join([layers for _, layers in encoded]).encode("utf-8", "replace"),
                tally.lines,
                position,
            )
    totals.lines, totals.rows = tally.lines, tally.records
    totals.rejects = sum(tally.rejects.values())
    yield Done(totals, tally.rejects)


def _log_format(job: ParseJob, first_block: bytes) -> LogFormat:
    spec, zone = job.candidate.source.format, ZoneInfo(job.site.timezone)
    if spec != AUTO:
        return build_format(spec, zone)
    sample = [raw.decode("utf-8", "replace") for raw in split_lines(first_block)[:SAMPLE_LINES]]
    fmt = detect_format(sample, zone, str(job.candidate.path))
    log.info("%s: format detected: %s", job.candidate.path, fmt.name)
    return fmt


class _RejectsFile:
    """``<file>.rejects``: one line per rejected line, opened at the first reject."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self.path = path
        self.stack = stack
        self.out: TextIO | None = None

    def write(self, rejects: list[Reject]) -> None:
        if not rejects:
            return
        if self.out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.out = self.stack.enter_context(self.path.open("w", encoding="utf-8"))
        self.out.writelines(f"{reject}\n" for reject in rejects)


@contextmanager
def parse_in_child(job: ParseJob) -> Iterator[Iterator[Batch | Done]]:
    """Run `produce` in a forked child; iterate over its messages in the parent."""
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_child_main,
        args=(job, sender, receiver),
        name=f"parse {job.candidate.path.name}",
    )
    child.daemon = True
    child.start()
    sender.close()  # the child holds the only writing end: EOF when it dies
    try:
        yield _receive(receiver, child, job)
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():  # the loader gave up early (an error, a signal)
            child.kill()
            child.join()


def _child_main(job: ParseJob, sender: Connection, receiver: Connection) -> None:
    # Fork copied the reading end too: close it, or the pipe would outlive the loader
    # and a child blocked on a full pipe would wait forever after a kill -9.
    receiver.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what a ^C means
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    tune_gc()
    try:
        for message in produce(job):
            sender.send(message)
    except (BrokenPipeError, ConnectionResetError):
        return  # the loader is gone; its transaction rolled back
    except AnalyzerError as exc:
        sender.send(Failed(str(exc)))
    except Exception:
        sender.send(Failed(f"{job.candidate.path}: parser crashed:\n{traceback.format_exc()}"))


def _receive(
    receiver: Connection, child: multiprocessing.process.BaseProcess, job: ParseJob
) -> Iterator[Batch | Done]:
    while True:
        try:
            message = receiver.recv()
        except EOFError:
            child.join(timeout=5)
            raise InputError(
                f"{job.candidate.path}: the parser process ended unexpectedly "
                f"(exit code {child.exitcode})"
            ) from None
        if isinstance(message, Failed):
            raise InputError(message.message)
        yield message
        if isinstance(message, Done):
            return
