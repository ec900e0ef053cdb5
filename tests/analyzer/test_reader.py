"""Reading input: gzip told by content, whole-line blocks, truncation, over-long lines."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.reader import KEPT_OF_LONG_LINE, open_log, read_blocks, split_lines

LINES = [f"line {n} é".encode() for n in range(1, 5001)]


def all_lines(path: Path | str, block_size: int = 4096) -> list[bytes]:
    with open_log(path) as stream:
        return [
            line
            for block in read_blocks(stream, str(path), block_size)
            for line in split_lines(block)
        ]


def test_plain_and_gzip_files_give_the_same_lines_whatever_their_names(tmp_path):
    plain = tmp_path / "access.log.gz"  # misleading names: content decides
    plain.write_bytes(b"\n".join(LINES) + b"\n")
    packed = tmp_path / "access.log.1"
    packed.write_bytes(gzip.compress(b"\n".join(LINES) + b"\n"))
    assert all_lines(plain) == all_lines(packed) == LINES


def test_a_last_line_without_newline_and_empty_lines_are_lines(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(b"a\n\n\nb")
    assert all_lines(path, block_size=2) == [b"a", b"", b"", b"b"]


def test_concatenated_gzip_members_are_read_through(tmp_path):
    path = tmp_path / "access.log.2.gz"
    path.write_bytes(gzip.compress(b"one\ntwo\n") + gzip.compress(b"three\n"))
    assert all_lines(path) == [b"one", b"two", b"three"]


def test_a_truncated_gzip_yields_the_lines_before_then_says_how_many(tmp_path):
    path = tmp_path / "access.log.3.gz"
    packed = gzip.compress(b"\n".join(LINES) + b"\n")
    path.write_bytes(packed[: len(packed) // 2])
    seen: list[bytes] = []
    with pytest.raises(InputError) as error, open_log(path) as stream:
        for block in read_blocks(stream, "access.log.3.gz", 4096):
            seen.extend(split_lines(block))
    assert 0 < len(seen) < len(LINES)
    assert seen == LINES[: len(seen)]
    assert f"access.log.3.gz: damaged or truncated gzip data after {len(seen)} lines" in str(
        error.value
    )


def test_an_over_long_line_is_cut_and_its_neighbours_are_intact(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(b"before\n" + b"x" * (3 * KEPT_OF_LONG_LINE) + b"\nafter\n")
    lines = all_lines(path, block_size=65536)
    assert [len(line) for line in lines] == [6, KEPT_OF_LONG_LINE, 5]
    assert (lines[0], lines[2]) == (b"before", b"after")


def test_a_missing_file_is_an_input_error_naming_it(tmp_path):
    with (
        pytest.raises(InputError, match=r"nowhere\.log: cannot open"),
        open_log(tmp_path / "nowhere.log"),
    ):
        pass
