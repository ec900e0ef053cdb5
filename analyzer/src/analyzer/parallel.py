"""Parsing one input with several processes, output in input order.

The parent reads the input (plain, gzip or stdin alike) and cuts it at line boundaries
into chunks of 128 KiB, numbering each chunk's first line; workers parse and encode;
the parent writes the results in order. At most two chunks per worker are in flight, so
memory stays flat whatever the input size.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator

from analyzer.errors import InputError
from analyzer.output import ENCODERS, Encoder
from analyzer.parsing import LineParser, Parsed, ParseSetup, tune_runtime

CHUNK_SIZE = 128 << 10  # less in flight: 256 KiB cost 20 MB more, 1 MiB 80 MB, at the same speed
IN_FLIGHT_PER_JOB = 2

WARM_UP_BYTES = 64 << 10
# Built and warmed up in the parent, then inherited by the forked workers: the parser's
# read-only tables (compiled regexes, the user-agent parser's data) are shared between
# processes instead of built again in each, which keeps the memory of two jobs down.
_worker: tuple[LineParser, Encoder] | None = None


def _prepare_worker(setup: ParseSetup, output: str, first_chunk: bytes) -> None:
    global _worker
    parser = setup.parser()
    parser.parse_block(first_chunk[: first_chunk.rfind(b"\n", 0, WARM_UP_BYTES) + 1])
    _worker = (parser, ENCODERS[output]())


def _parse_chunk(chunk: bytes, line_no: int) -> Parsed:
    assert _worker is not None, "worker not prepared"
    parser, encoder = _worker
    parser.line_no = line_no
    records, rejects, tally = parser.parse_block(chunk)
    return encoder.encode(records), rejects, tally


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
