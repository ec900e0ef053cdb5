"""Parse a log file into COPY-ready batches, in child processes.

The loading process only forwards bytes to PostgreSQL, so parsing (the expensive part)
runs on the other cores:

    with parse_in_children(job) as batches:
        for batch in batches:          # in file order
            ...

Each of the N children reads the whole file (plain or gzip) but parses only every N-th
chunk of lines (`parallel.chunks` numbers them); a thread of the loader takes one batch
from each child in turn, which gives back the file order, and queues them, so that the
children go on while the loader waits on the server (`_ReadAhead`). Nothing flows
from the loader to the children, so no pipe can fill up both ways and deadlock.

A child that meets a damaged file sends `Failed`; the loader raises InputError so the
file's transaction rolls back. If the loader dies (kill -9), each child's next send fails
on the closed pipe and it exits.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from zoneinfo import ZoneInfo

from analyzer.clients import classify_agent
from analyzer.db.discover import Candidate
from analyzer.errors import AnalyzerError, InputError
from analyzer.fastpath import FastParser
from analyzer.formats import AUTO, LogFormat, resolve_format
from analyzer.interpret import SiteContext
from analyzer.outputs import CopyOutput
from analyzer.parallel import CHUNK_SIZE, chunks, widen_pipes
from analyzer.parsing import LineParser, Tally
from analyzer.privacy import key_from_env
from analyzer.reader import open_log, read_blocks
from analyzer.row import Source
from analyzer.runtime import tune_runtime
from analyzer.settings import SiteConfig

log = logging.getLogger(__name__)
_FORK = multiprocessing.get_context("fork")
READ_AHEAD = 64  # batches (about 128 KiB of log lines each) taken ahead of the loader


@dataclass(frozen=True, slots=True)
class ParseJob:
    site: SiteConfig
    candidate: Candidate
    file_id: int
    workers: int = 1  # parsing processes; fewer for a small file


@dataclass(slots=True)
class Batch:
    """One block of lines, parsed and encoded."""

    requests: bytes  # COPY text rows for analytics.requests
    layers: bytes  # COPY text rows for analytics.request_layers
    rejects: str  # rejects-file lines ("access.log.1:12: no match: ...")
    tally: Tally
    first_ts: datetime | None
    last_ts: datetime | None
    size: int  # bytes of decompressed input


@dataclass(slots=True)
class End:
    """A child has no more blocks."""


@dataclass(slots=True)
class Failed:
    message: str


def warm_up() -> None:
    """Load the user-agent parser's rules once, in the loader: every forked child then
    inherits them instead of spending half a second loading them again per file."""
    classify_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")


def produce(job: ParseJob, worker: int = 0, workers: int = 1) -> Iterator[Batch]:
    """Batches for chunks ``worker``, ``worker + workers``, ... of the file of ``job``."""
    path = job.candidate.path
    parser: FastParser | None = None
    with open_log(path) as stream:
        for index, (chunk, line_no) in enumerate(chunks(read_blocks(stream, str(path)))):
            if parser is None:
                context = SiteContext.for_site(job.site, key_from_env(os.environ))
                lines = LineParser(_log_format(job, chunk, worker == 0), context, str(path))
                parser = FastParser(lines, CopyOutput(Source(job.site.name, job.file_id)))
            if index % workers != worker:
                continue  # another child's chunk
            parser.lines.line_no = line_no
            encoded = parser.parse_block(chunk)
            yield Batch(
                encoded.rows.encode("utf-8", "replace"),
                encoded.layers.encode("utf-8", "replace"),
                "".join([f"{reject}\n" for reject in encoded.rejects]),
                encoded.tally,
                encoded.first_ts,
                encoded.last_ts,
                len(chunk),
            )


def _log_format(job: ParseJob, first_block: bytes, say: bool) -> LogFormat:
    spec, zone = job.candidate.source.format, ZoneInfo(job.site.timezone)
    fmt = resolve_format(spec, zone, first_block, str(job.candidate.path))
    if say and spec == AUTO:
        log.info("%s: format detected: %s", job.candidate.path, fmt.name)
    return fmt


def worker_count(job: ParseJob, size: int) -> int:
    """Up to ``job.workers``, but at least two chunks for each."""
    return max(1, min(job.workers, size // (2 * CHUNK_SIZE)))


@contextmanager
def parse_in_children(job: ParseJob, size: int) -> Iterator[Iterator[Batch]]:
    """Run `produce` in forked children; iterate over their batches in file order."""
    workers = worker_count(job, size)
    pipes = [_FORK.Pipe(duplex=False) for _ in range(workers)]
    widen_pipes([sender for _, sender in pipes])  # a child runs ahead of the loader
    receivers = [receiver for receiver, _ in pipes]
    children = []
    for worker, (_, sender) in enumerate(pipes):
        child = _FORK.Process(
            target=_child_main,
            args=(job, worker, workers, sender, pipes),
            name=f"parse {job.candidate.path.name} {worker + 1}/{workers}",
            daemon=True,
        )
        child.start()
        children.append(child)
    for _, sender in pipes:
        sender.close()  # each child holds the only writing end of its pipe: EOF if it dies
    ahead = _ReadAhead(_in_order(receivers, children, job))
    try:
        yield iter(ahead)
    finally:
        # The thread must be done with the pipes before they close: a child that neither
        # sends nor ends (a parser stuck in a loop) is killed to wake it with EOF.
        if not ahead.stop(timeout=1.0):
            for child in children:
                child.kill()
            ahead.stop()
        for receiver in receivers:
            receiver.close()
        for child in children:
            child.join(timeout=5)
            if child.is_alive():  # the loader gave up early (an error, a signal)
                child.kill()
                child.join()


def _child_main(
    job: ParseJob,
    worker: int,
    workers: int,
    sender: Connection,
    pipes: list[tuple[Connection, Connection]],
) -> None:
    # Fork copied every pipe end. Keep only our own writing end: a reading end left open
    # here would keep our pipe alive after a kill -9 of the loader (and we would block on
    # it forever), another child's writing end would hide that child's death.
    for receiver, other in pipes:
        receiver.close()
        if other is not sender:
            other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what a ^C means
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    tune_runtime()
    try:
        for batch in produce(job, worker, workers):
            sender.send(batch)
        sender.send(End())
    except (BrokenPipeError, ConnectionResetError):
        return  # the loader is gone; its transaction rolled back
    except AnalyzerError as exc:
        sender.send(Failed(str(exc)))
    except Exception:
        sender.send(Failed(f"{job.candidate.path}: parser crashed:\n{traceback.format_exc()}"))


class _ReadAhead:
    """Batches taken from the children by a thread, while the loader waits on the server.

    The loader also stops to copy layer rows; without this, each child would stop too once
    its pipe is full, and a core would idle."""

    def __init__(self, batches: Iterator[Batch]) -> None:
        self._queue: queue.Queue[Batch | BaseException | None] = queue.Queue(READ_AHEAD)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._take, args=(batches,), daemon=True)
        self._thread.start()

    def _take(self, batches: Iterator[Batch]) -> None:
        try:
            for batch in batches:
                if self._stopping.is_set():
                    return
                self._queue.put(batch)
            self._queue.put(None)
        except BaseException as exc:  # handed to the loader, which raises it
            self._queue.put(exc)

    def __iter__(self) -> Iterator[Batch]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self, timeout: float | None = None) -> bool:
        """Let the thread end, emptying the queue it may wait on; False if it still runs
        after ``timeout`` seconds (it waits for a child's next batch)."""
        self._stopping.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.is_alive():
            if deadline is not None and time.monotonic() > deadline:
                return False
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        return True


def _in_order(
    receivers: list[Connection], children: Sequence[BaseProcess], job: ParseJob
) -> Iterator[Batch]:
    """Batch 0 from child 0, batch 1 from child 1, ... until a child has no more."""
    for index in itertools.count():
        worker = index % len(receivers)
        try:
            message = receivers[worker].recv()
        except EOFError:
            children[worker].join(timeout=5)
            raise InputError(
                f"{job.candidate.path}: a parser process ended unexpectedly "
                f"(exit code {children[worker].exitcode})"
            ) from None
        if isinstance(message, Failed):
            raise InputError(message.message)
        if isinstance(message, End):
            return
        yield message
