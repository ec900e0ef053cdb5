"""Parsing one input in worker processes, the results in input order.

    with parse_chunks(source, blocks, prepare, workers=2) as results:
        for result in results:  # one per chunk, in input order
            ...

The input (blocks of whole lines: plain, gzip or stdin alike) is regrouped into chunks of
at least 128 KiB, each numbered by the lines before it: a block of `reader.read_blocks`
(256 KiB) is a chunk of its own. ``prepare(first_chunk)`` builds the chunk parser once, in
the calling process, where the format is detected; the workers are forked from it, so
they inherit it warmed up, its read-only tables shared instead of built again.

The calling process reads the input and deals the chunks out from a thread: chunk k goes to
worker k mod N, whose result pipe gives it back, so taking a result from each worker in
turn gives the input order back. A second thread takes the results ahead of the caller,
so the workers parse on while the caller waits (on the database, on its output). Each pipe
holds 1 MiB and the queue ``ahead`` results: memory stays flat whatever the input size.

A worker that fails (an error, a crash, a kill -9) ends the input with an InputError
naming the source and the worker, after the results of the chunks before; so does damaged
input (a truncated gzip). If the calling process dies, the workers' pipes close and they
exit. With ``workers=0`` the chunks are parsed in the calling process, one after another.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import itertools
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from analyzer.errors import AnalyzerError, InputError
from analyzer.runtime import tune_runtime

# Less in flight: 256 KiB cost 20 MB more, 1 MiB 80 MB, at the same speed. Chunks of two
# 256 KiB blocks parsed 9 % slower with two jobs (benchmarks/pairs.sh), of 128 KiB blocks
# no faster.
CHUNK_SIZE = 128 << 10
PIPE_SIZE = 1 << 20  # a pipe between two processes: neither waits on every step of the other
WARM_UP_BYTES = 64 << 10  # of the first chunk, parsed before the fork
WRITES_AHEAD = 3  # results a worker holds while it waits for its turn to write them
_TOKEN = b"t"
_PR_SET_PDEATHSIG = 1  # prctl(2)
_FORK = multiprocessing.get_context("fork")  # the workers inherit the prepared parser

R = TypeVar("R")
# A chunk and the number of lines before it, parsed: what the caller makes of it.
ChunkParser = Callable[[bytes, int], R]


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


@contextmanager
def parse_chunks(
    source: str,
    blocks: Iterable[bytes],
    prepare: Callable[[bytes], ChunkParser[R]],
    workers: int,
    ahead: int = 4,
    write: Callable[[R], R] | None = None,
) -> Iterator[Iterator[R]]:
    """The results of `prepare(first_chunk)` on every chunk of `blocks`, in input order,
    from `workers` forked processes (none: in this one). ``prepare`` gets b"" for empty
    input. An InputError (damaged input, a failed worker) comes after the results before
    it; ``ahead`` results at most wait for the caller.

    With ``write``, each result is first given to it where it was made, in input order
    and one process at a time (a token goes round the workers), and what it returns
    reaches the caller: output written to a file by the workers never crosses a pipe."""
    pieces = chunks(blocks)
    first = next(pieces, None)
    parse = prepare(b"" if first is None else first[0])
    if first is None:
        yield iter(())
    elif workers < 1:
        results: Iterator[R] = itertools.starmap(parse, itertools.chain([first], pieces))
        yield results if write is None else map(write, results)
    else:
        parse(first[0][: first[0].rfind(b"\n", 0, WARM_UP_BYTES) + 1], 0)  # lazy tables loaded
        pending = itertools.chain([first], pieces)
        with _Workers(source, parse, workers, pending, ahead, write) as results:
            yield results


def widen_pipes(pipes: Iterable[Connection]) -> None:
    """Let each pipe hold PIPE_SIZE bytes instead of 64 KiB, so that its writer goes on
    while its reader is busy elsewhere (Linux; a speed-up only, so a refusal is fine)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        for pipe in pipes:
            with contextlib.suppress(OSError):  # past fs.pipe-max-size or a user's quota
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)


@dataclass(frozen=True, slots=True)
class _End:
    """A worker has parsed every chunk dealt to it."""


@dataclass(frozen=True, slots=True)
class _Failed:
    message: str


class _Workers(Generic[R]):
    """The forked workers of one input, the thread that deals them its chunks and the one
    that takes their results in order, as a context: on exit, nothing of them is left."""

    def __init__(
        self,
        source: str,
        parse: ChunkParser[R],
        count: int,
        pieces: Iterator[tuple[bytes, int]],
        ahead: int,
        write: Callable[[R], R] | None,
    ) -> None:
        self.source = source
        self.write = write
        self.parent = os.getpid()
        # Per worker: chunks in (its end, ours), results back (ours, its end), and with
        # `write` the token: worker i waits for it on turns[i], passes it on turns[i + 1].
        self.chunk_pipes = [_FORK.Pipe(duplex=False) for _ in range(count)]
        self.result_pipes = [_FORK.Pipe(duplex=False) for _ in range(count)]
        self.turns = [os.pipe() for _ in range(count)] if write is not None else []
        widen_pipes(reader for reader, _ in (*self.chunk_pipes, *self.result_pipes))
        self.processes = [
            _FORK.Process(
                target=self._work, args=(parse, index), name=f"parse {index + 1}", daemon=True
            )
            for index in range(count)
        ]
        for process in self.processes:
            process.start()
        for (theirs, _), (_, their_results) in zip(
            self.chunk_pipes, self.result_pipes, strict=True
        ):
            theirs.close()
            their_results.close()
        if self.turns:
            os.write(self.turns[0][1], _TOKEN)  # the first chunk's worker goes first
            for read, write_end in self.turns:
                os.close(read)
                os.close(write_end)
        self.receivers = [ours for ours, _ in self.result_pipes]
        self.dealer = _Dealer(pieces, [ours for _, ours in self.chunk_pipes])
        self.ahead = _ReadAhead(self._in_order(), ahead)

    def __enter__(self) -> Iterator[R]:
        return iter(self.ahead)

    def __exit__(self, *_: object) -> None:
        # The thread must be done with the pipes before they close: a worker that neither
        # sends nor ends (a parser stuck in a loop) is killed to wake it with EOF.
        if not self.ahead.stop(timeout=1.0):
            self._kill()
            self.ahead.stop()
        for receiver in self.receivers:
            receiver.close()  # a worker still sending gets EPIPE and ends
        for process in self.processes:
            process.join(timeout=5)
        self._kill()  # the caller gave up early (an error, a signal)
        self.dealer.join()

    def _kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()

    def _work(self, parse: ChunkParser[R], index: int) -> None:
        """A worker: parse each chunk dealt to it, send back each result (with `write`:
        what it leaves, once written in turn), then _End."""
        chunks_in, results = self._keep_own_ends(index)
        _die_with(self.parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what a ^C means
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        tune_runtime()
        in_turn = None
        if self.write is not None:
            in_turn = _InTurn(self.write, results.send, *self._own_turns(index))
        send = results.send if in_turn is None else in_turn.put
        try:
            while True:
                try:
                    chunk, line_no = chunks_in.recv()
                except EOFError:
                    break
                send(parse(chunk, line_no))
            if in_turn is not None:
                in_turn.close()
            results.send(_End())
            return
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent is gone, or gave up on this input
        except AnalyzerError as exc:
            failure = f"parse {index + 1}: {exc}"
        except Exception:
            failure = f"parse {index + 1} crashed:\n{traceback.format_exc()}"
        if in_turn is not None:
            in_turn.stop()  # what it holds goes first, and nothing after our message
        results.send(_Failed(failure))

    def _keep_own_ends(self, index: int) -> tuple[Connection, Connection]:
        """Close every pipe end the fork copied but worker ``index``'s own: one left open
        would keep a pipe alive after its other end died (a kill -9 of the parent, of
        another worker), and we, or they, would wait on it forever."""
        for number, ((chunk_in, chunk_out), (result_in, result_out)) in enumerate(
            zip(self.chunk_pipes, self.result_pipes, strict=True)
        ):
            chunk_out.close()
            result_in.close()
            if number != index:
                chunk_in.close()
                result_out.close()
        return self.chunk_pipes[index][0], self.result_pipes[index][1]

    def _own_turns(self, index: int) -> tuple[int, int]:
        """Worker ``index``'s token ends (its own, the next worker's); the others closed,
        so that a dead worker's next one sees EOF instead of waiting forever."""
        after = (index + 1) % len(self.turns)
        for number, (read, write_end) in enumerate(self.turns):
            if number != index:
                os.close(read)
            if number != after:
                os.close(write_end)
        return self.turns[index][0], self.turns[after][1]

    def _in_order(self) -> Iterator[R]:
        """Result 0 from worker 0, result 1 from worker 1, ... until a worker has no more;
        then the input's own error, if it ended early."""
        for index in itertools.count():
            worker = index % len(self.receivers)
            try:
                message = self.receivers[worker].recv()
            except EOFError:
                self.processes[worker].join(timeout=5)
                code = self.processes[worker].exitcode
                raise InputError(
                    f"{self.source}: parse {worker + 1} ended unexpectedly (exit code {code})"
                ) from None
            if isinstance(message, _Failed):
                raise InputError(f"{self.source}: {message.message}")
            if isinstance(message, _End):
                break
            yield message
        self.dealer.join()
        if self.dealer.error is not None:
            raise self.dealer.error


class _InTurn(Generic[R]):
    """Gives a worker's results to `write` each when the token comes, then sends what it
    returns: from a thread, so that the worker parses on while it waits."""

    def __init__(
        self, write: Callable[[R], R], send: Callable[[R], None], my_turn: int, next_turn: int
    ) -> None:
        self.write, self.send = write, send
        self.my_turn, self.next_turn = my_turn, next_turn
        self.queue: queue.Queue[R | None] = queue.Queue(WRITES_AHEAD)
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, name="in turn", daemon=True)
        self.thread.start()

    def put(self, result: R) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(result)

    def close(self) -> None:
        """Once everything put is written and sent."""
        self.stop()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        try:
            while (result := self.queue.get()) is not None:
                if os.read(self.my_turn, 1) != _TOKEN:
                    raise InputError("stopped: the worker before it ended unexpectedly")
                left = self.write(result)
                # A closed pipe: the next worker is done, its chunks were all before ours.
                with contextlib.suppress(BrokenPipeError):
                    os.write(self.next_turn, _TOKEN)
                self.send(left)
        except Exception as exc:
            self.error = exc
            while self.queue.get() is not None:  # so that `put` never waits forever
                pass


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent dies (Linux): a worker blocked on
    a pipe nobody reads (its output, with `write`) would never see it otherwise."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that
        os._exit(1)


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to file descriptor ``fd`` (a pipe may take less at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Dealer:
    """A thread reading the input and dealing its chunks to the workers in turn; the
    workers' EOF once the input ends, or a worker is gone (its result pipe says so)."""

    def __init__(self, pieces: Iterator[tuple[bytes, int]], senders: list[Connection]) -> None:
        self.error: Exception | None = None  # what ended the input early (InputError)
        self.thread = threading.Thread(target=self._deal, args=(pieces, senders), daemon=True)
        self.thread.start()

    def _deal(self, pieces: Iterator[tuple[bytes, int]], senders: list[Connection]) -> None:
        try:
            for index, piece in enumerate(pieces):
                senders[index % len(senders)].send(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # handed to the caller after the results before it
            self.error = exc
        finally:
            for sender in senders:
                sender.close()

    def join(self) -> None:
        # Reading stdin may block for as long as its writer likes: not past the end.
        self.thread.join(timeout=1.0)


class _ReadAhead(Generic[R]):
    """Results taken from the workers by a thread while the caller is busy elsewhere:
    without it, each worker would stop once its pipe is full, and a core would idle."""

    def __init__(self, results: Iterator[R], size: int) -> None:
        self._queue: queue.Queue[R | BaseException | None] = queue.Queue(size)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._take, args=(results,), daemon=True)
        self._thread.start()

    def _take(self, results: Iterator[R]) -> None:
        try:
            for result in results:
                if self._stopping.is_set():
                    return
                self._queue.put(result)
            self._queue.put(None)
        except BaseException as exc:  # handed to the caller, which raises it
            self._queue.put(exc)

    def __iter__(self) -> Iterator[R]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self, timeout: float | None = None) -> bool:
        """Let the thread end, emptying the queue it may wait on; False if it still runs
        after ``timeout`` seconds (it waits for a worker's next result)."""
        self._stopping.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.is_alive():
            if deadline is not None and time.monotonic() > deadline:
                return False
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        return True
