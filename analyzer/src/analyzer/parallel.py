"""Parsing one input, in one process or several, output in input order.

The input (plain, gzip or stdin alike) is cut at line boundaries into chunks of 128 KiB,
each numbered by its first line.

With several jobs, the parent reads and cuts, and deals the chunks out to forked workers
in turn: chunk k goes to worker k mod N. Each worker parses its chunks and writes their
output and rejects itself, each when its turn comes: a token (one byte through a pipe)
goes round the workers in the same order, so the output keeps the input's order. The
parent thus only reads, and no output crosses a pipe. Each worker's pipe holds a few
chunks, so memory stays flat whatever the input size; each worker sends its counts back
at the end.

Every output takes the fast path (`fastpath`).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import BinaryIO, TextIO

from analyzer.errors import InputError
from analyzer.fastpath import FastParser
from analyzer.outputs import OUTPUTS
from analyzer.parsing import Parsed, ParseSetup, Reject, Tally
from analyzer.row import Source
from analyzer.runtime import tune_runtime

CHUNK_SIZE = 128 << 10  # less in flight: 256 KiB cost 20 MB more, 1 MiB 80 MB, at the same speed
PIPE_SIZE = 1 << 20  # a pipe between two processes: neither waits on every step of the other
WRITES_AHEAD = 3  # parsed chunks a worker holds while it waits for its turn to write
WARM_UP_BYTES = 64 << 10
_TOKEN = b"t"
_FORK = multiprocessing.get_context("fork")  # the workers inherit the prepared parser


class ChunkParser:
    """Parses the chunks of one input into encoded output."""

    def __init__(self, setup: ParseSetup, output: str) -> None:
        self.lines = setup.parser()
        self.blocks = FastParser(self.lines, OUTPUTS[output](Source(setup.site.name)))

    def parse(self, chunk: bytes, line_no: int) -> Parsed:
        self.lines.line_no = line_no
        encoded = self.blocks.parse_block(chunk)
        return encoded.rows.encode(), encoded.rejects, encoded.tally


def parse_serial(setup: ParseSetup, output: str, blocks: Iterable[bytes]) -> Iterator[Parsed]:
    parser = ChunkParser(setup, output)
    for chunk, line_no in chunks(blocks):
        yield parser.parse(chunk, line_no)


def chunks(blocks: Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[tuple[bytes, int]]:
    """Blocks regrouped into chunks of about `size` bytes, with the number of lines before
    each chunk. Blocks end at line ends (except the input's last), so chunks do too. An
    InputError from `blocks` comes after the chunk of what was read before it."""
    pending: list[bytes] = []
    pending_size = lines_before = 0
    error: InputError | None = None
    try:
        for block in blocks:
            pending.append(block)
            pending_size += len(block)
            if pending_size >= size:
                chunk = b"".join(pending)
                yield chunk, lines_before
                lines_before += chunk.count(b"\n")
                pending, pending_size = [], 0
    except InputError as exc:
        error = exc
    if pending:
        yield b"".join(pending), lines_before
    if error is not None:
        raise error


def widen_pipes(pipes: list[Connection]) -> None:
    """Let each pipe hold PIPE_SIZE bytes instead of 64 KiB, so that its writer goes on
    while its reader is busy elsewhere (Linux; a speed-up only, so a refusal is fine)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        for pipe in pipes:
            with contextlib.suppress(OSError):  # past fs.pipe-max-size or a user's quota
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)


@dataclass(frozen=True, slots=True)
class _Ring:
    """The pipes between the parent and `jobs` workers: chunks in, counts back, and the
    token, which worker i waits for on tokens[i] and passes on through tokens[i + 1]."""

    chunks: list[tuple[Connection, Connection]]  # (worker's end, parent's end)
    reports: list[tuple[Connection, Connection]]  # (parent's end, worker's end)
    tokens: list[tuple[int, int]]

    @classmethod
    def open(cls, jobs: int) -> _Ring:
        ring = cls(
            [_FORK.Pipe(duplex=False) for _ in range(jobs)],
            [_FORK.Pipe(duplex=False) for _ in range(jobs)],
            [os.pipe() for _ in range(jobs)],
        )
        widen_pipes([sender for _, sender in ring.chunks])
        return ring

    # Each process closes every end that is not its own: when one dies, the last writing
    # end of what the others read from it closes with it, and they see EOF instead of
    # waiting forever.

    def keep_parents(self) -> None:
        for receiver, _ in self.chunks:
            receiver.close()
        for _, sender in self.reports:
            sender.close()
        os.write(self.tokens[0][1], _TOKEN)  # the first chunk's worker goes first
        for read, write in self.tokens:
            os.close(read)
            os.close(write)

    def keep_workers(self, worker: int) -> tuple[Connection, Connection, int, int]:
        """Worker `worker`'s ends: chunks in, counts out, its token in, the next's out."""
        after = (worker + 1) % len(self.chunks)
        for index, ((chunk_in, chunk_out), (report_in, report_out), (read, write)) in enumerate(
            zip(self.chunks, self.reports, self.tokens, strict=True)
        ):
            chunk_out.close()
            report_in.close()
            if index != worker:
                chunk_in.close()
                report_out.close()
                os.close(read)
            if index != after:
                os.close(write)
        return (
            self.chunks[worker][0],
            self.reports[worker][1],
            self.tokens[worker][0],
            self.tokens[after][1],
        )


# Built in the parent, then inherited by the forked workers: read-only tables (compiled
# regexes, the user-agent parser's data) are shared between processes instead of built
# again in each, which keeps the memory of several jobs down.
_worker: ChunkParser | None = None


def _prepare_worker(setup: ParseSetup, output: str, first_chunk: bytes) -> None:
    global _worker
    _worker = ChunkParser(setup, output)
    _worker.lines.parse_block(first_chunk[: first_chunk.rfind(b"\n", 0, WARM_UP_BYTES) + 1])


def parse_parallel(
    setup: ParseSetup,
    output: str,
    blocks: Iterable[bytes],
    jobs: int,
    out: BinaryIO,
    rejects: TextIO | None,
) -> tuple[Tally, InputError | None]:
    """Like `parse_serial` with `jobs` worker processes, which write the output to `out`
    and the rejected lines to `rejects` themselves: the counts, and the error that ended
    the input early (a truncated gzip, a worker that died), after the output of every
    chunk read before it.
    """
    pieces = chunks(blocks)
    first = next(pieces, None)
    if first is None:
        return Tally(), None
    _prepare_worker(setup, output, first[0])
    out.flush()
    if rejects is not None:
        rejects.flush()
    targets = (out.fileno(), None if rejects is None else rejects.fileno())
    ring = _Ring.open(jobs)
    workers = []
    for worker in range(jobs):
        process = _FORK.Process(
            target=_work, args=(ring, worker, targets), name=f"parse {worker + 1}", daemon=True
        )
        process.start()
        workers.append(process)
    ring.keep_parents()
    error: InputError | None = None
    try:
        for index, piece in enumerate(itertools.chain([first], pieces)):
            ring.chunks[index % jobs][1].send(piece)
    except InputError as exc:
        error = exc
    except BrokenPipeError:
        pass  # a worker is gone: its report below says so
    for _, sender in ring.chunks:
        sender.close()  # the workers' EOF: no more chunks
    tally, failures = Tally(), []
    for (receiver, _), process in zip(ring.reports, workers, strict=True):
        try:
            report = receiver.recv()
        except EOFError:
            process.join()
            report = f"{process.name} ended unexpectedly (exit code {process.exitcode})"
        if isinstance(report, Tally):
            tally.add(report)
        else:
            failures.append(report)
        receiver.close()
    for process in workers:
        process.join()
    if failures:
        return tally, InputError(f"{setup.source}: " + "; ".join(failures))
    return tally, error


def _work(ring: _Ring, worker: int, targets: tuple[int, int | None]) -> None:
    """A worker: parse each chunk dealt to it; a thread writes them in turn meanwhile."""
    chunks_in, report, my_turn, next_turn = ring.keep_workers(worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what a ^C means
    tune_runtime()
    assert _worker is not None, "worker not prepared"
    tally = Tally()
    try:
        writer = _TurnWriter(targets, my_turn, next_turn)
        while True:
            try:
                chunk, line_no = chunks_in.recv()
            except EOFError:
                break
            encoded, rejected, counts = _worker.parse(chunk, line_no)
            writer.put(encoded, rejected)
            tally.add(counts)
        writer.close()
        report.send(tally)
    except InputError as exc:
        report.send(f"parse {worker + 1} {exc}")
    except Exception:
        report.send(f"parse {worker + 1} crashed:\n{traceback.format_exc()}")


class _TurnWriter:
    """Writes a worker's parsed chunks, each when the token comes, from a thread: the
    worker parses on while it waits (the thread waits and writes without the GIL)."""

    def __init__(self, targets: tuple[int, int | None], my_turn: int, next_turn: int) -> None:
        self.out, self.rejects = targets
        self.my_turn, self.next_turn = my_turn, next_turn
        self.queue: queue.Queue[tuple[bytes, list[Reject]] | None] = queue.Queue(WRITES_AHEAD)
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self.thread.start()

    def put(self, encoded: bytes, rejected: list[Reject]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((encoded, rejected))

    def close(self) -> None:
        """Once everything put is written."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                if os.read(self.my_turn, 1) != _TOKEN:
                    raise InputError("stopped: the worker before it ended unexpectedly")
                encoded, rejected = item
                _write_all(self.out, encoded)
                if self.rejects is not None and rejected:
                    _write_all(self.rejects, "".join([f"{r}\n" for r in rejected]).encode())
                self._pass_turn()
        except Exception as exc:
            self.error = exc
            while self.queue.get() is not None:  # so that `put` never waits forever
                pass

    def _pass_turn(self) -> None:
        # A closed pipe: the next worker is done, its chunks were all before this one.
        with contextlib.suppress(BrokenPipeError):
            os.write(self.next_turn, _TOKEN)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
