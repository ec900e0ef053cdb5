"""Reading log files: plain or gzip (told by content, not name), or stdin, streamed.

Input comes out as blocks of whole lines, so parsing can split a block once in C and
memory stays flat whatever the file size: at most one block plus one over-long line.

    with open_log(path) as stream:
        for block in read_blocks(stream, name):
            lines = block.split(b"\n")  # see `split_lines`
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import InputError

STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
MAX_LINE = 64 * 1024  # characters: longer lines are rejected
# Of an over-long line only this much is kept: enough bytes for MAX_LINE characters.
KEPT_OF_LONG_LINE = 4 * MAX_LINE
BLOCK_SIZE = 256 << 10  # larger blocks cost memory and gain no speed


@contextmanager
def open_log(name: str | Path) -> Iterator[BinaryIO]:
    """Open a log file (or stdin for "-") for binary reading, decompressing gzip."""
    name = str(name)
    try:
        raw: BinaryIO = sys.stdin.buffer if name == STDIN else open(name, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{name}: cannot open: {exc.strerror}") from exc
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type,type-var]
    try:
        if buffered.peek(2)[:2] == GZIP_MAGIC:
            yield gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[misc]
        else:
            yield buffered
    finally:
        if name != STDIN:
            buffered.close()


def read_blocks(stream: BinaryIO, name: str, block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Blocks of whole lines. An over-long line comes cut to KEPT_OF_LONG_LINE bytes.

    A damaged or truncated gzip stream raises InputError naming the file and how many
    lines came out before it, after those lines have been yielded.
    """
    carry = b""  # start of a line whose end is in a later read
    skipping = False  # inside an over-long line: drop bytes until its end
    lines = 0
    # Only a gzip stream can fail half-way, and its error says after how many lines:
    # counting them in a plain file would cost a pass over every byte for nothing.
    counting = isinstance(stream, gzip.GzipFile)
    while data := _read(stream, name, block_size, lines):
        if skipping:
            end = data.find(b"\n")
            if end < 0:
                continue
            data, skipping = data[end:], False  # the newline closes the kept prefix
        cut = data.rfind(b"\n") + 1
        if cut:
            block = carry + data[:cut]
            if counting:
                lines += block.count(b"\n")
            yield block
            carry = data[cut:]
        else:
            carry += data
        if len(carry) > KEPT_OF_LONG_LINE:
            carry, skipping = carry[:KEPT_OF_LONG_LINE], True
    if carry:
        yield carry


def _read(stream: BinaryIO, name: str, size: int, lines: int) -> bytes:
    # read1, not read: read() loops over raw reads and would lose what it gathered before
    # a gzip error; read1 hands over each piece, so every line before the damage comes out.
    try:
        return stream.read1(size)  # type: ignore[attr-defined]
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(
            f"{name}: damaged or truncated gzip data after {lines} lines ({exc})"
        ) from exc


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a block, without their line endings (the last may lack one)."""
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines
