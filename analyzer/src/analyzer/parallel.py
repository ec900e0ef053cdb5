"""Parsing one input, in one process or several, output in input order.

The input (plain, gzip or stdin alike) is cut at line boundaries into chunks of 128 KiB,
each numbered by its first line. With several jobs, the parent reads and cuts, forked
workers parse and encode, and the parent writes the results in order; at most two chunks
per worker are in flight, so memory stays flat whatever the input size.

JSON lines take the fast path (`fastpath`), other outputs the line path.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator

from analyzer.errors import InputError
from analyzer.fastpath import FastParser, JsonLayout
from analyzer.output import ENCODERS, Encoder
from analyzer.parsing import Parsed, ParseSetup, tune_runtime

CHUNK_SIZE = 128 << 10  # less in flight: 256 KiB cost 20 MB more, 1 MiB 80 MB, at the same speed
IN_FLIGHT_PER_JOB = 2

WARM_UP_BYTES = 64 << 10


class ChunkParser:
    """Parses the chunks of one input into encoded output."""

    def __init__(self, setup: ParseSetup, output: str) -> None:
        self.lines = setup.parser()
        self.encoder: Encoder | None = None
        self.blocks: FastParser | None = None
        if output == "jsonl":
            self.blocks = FastParser(self.lines, JsonLayout(setup.site.name))
        else:
            self.encoder = ENCODERS[output]()

    def parse(self, chunk: bytes, line_no: int) -> Parsed:
        self.lines.line_no = line_no
        if self.blocks is not None:
            encoded = self.blocks.parse_block(chunk)
            return encoded.rows.encode(), encoded.rejects, encoded.tally
        assert self.encoder is not None
        records, rejects, tally = self.lines.parse_block(chunk)
        return self.encoder.encode(records), rejects, tally


def parse_serial(setup: ParseSetup, output: str, blocks: Iterable[bytes]) -> Iterator[Parsed]:
    parser = ChunkParser(setup, output)
    for chunk, line_no in chunks(blocks):
        yield parser.parse(chunk, line_no)


# Built in the parent, then inherited by the forked workers: read-only tables (compiled
# regexes, the user-agent parser's data) are shared between processes instead of built
# again in each, which keeps the memory of several jobs down.
_worker: ChunkParser | None = None


def _prepare_worker(setup: ParseSetup, output: str, first_chunk: bytes) -> None:
    global _worker
    _worker = ChunkParser(setup, output)
    _worker.lines.parse_block(first_chunk[: first_chunk.rfind(b"\n", 0, WARM_UP_BYTES) + 1])


def _parse_chunk(chunk: bytes, line_no: int) -> Parsed:
    assert _worker is not None, "worker not prepared"
    return _worker.parse(chunk, line_no)


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


def parse_parallel(
    setup: ParseSetup, output: str, blocks: Iterable[bytes], jobs: int
) -> Iterator[Parsed]:
    """Like `parsing.parse_serial`, with `jobs` worker processes.

    An InputError from the input (a truncated gzip) comes after the results of every
    chunk read before it.
    """
    pieces = chunks(blocks)
    first = next(pieces, None)
    if first is None:
        return
    _prepare_worker(setup, output, first[0])
    # fork, not spawn: the workers must inherit the prepared parser.
    with multiprocessing.get_context("fork").Pool(jobs, tune_runtime) as pool:
        pending: deque = deque()
        error: InputError | None = None
        try:
            for chunk, lines_before in itertools.chain([first], pieces):
                pending.append(pool.apply_async(_parse_chunk, (chunk, lines_before)))
                if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                    yield pending.popleft().get()
        except InputError as exc:
            error = exc
        while pending:
            yield pending.popleft().get()
        if error is not None:
            raise error
