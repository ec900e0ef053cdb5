"""The parsing-worker engine (`analyzer.workers`) shared by `parse --jobs` and `run`:
results in input order, failures named, no worker left behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from analyzer.db.batches import ParseJob, parse_batches
from analyzer.db.discover import Candidate
from analyzer.errors import InputError
from analyzer.settings import LogSource, SiteConfig
from analyzer.workers import ChunkParser, parse_chunks

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
NGINX = (FIXTURES / "nginx.log").read_bytes()  # three valid lines
LINE = b"x" * 99 + b"\n"
BLOCKS = [LINE * 1000] * 40  # 4 MB: 20 chunks of two blocks, 2,000 lines each


def first_lines(_head: bytes) -> ChunkParser[tuple[int, int]]:
    """A chunk parser giving each chunk's first line number and line count."""
    return lambda chunk, line_no: (line_no + 1, chunk.count(b"\n"))


def failing_at(line: int, error: Exception) -> ChunkParser[tuple[int, int]]:
    def parse(chunk: bytes, line_no: int) -> tuple[int, int]:
        if line_no >= line:
            raise error
        return line_no + 1, chunk.count(b"\n")

    return parse


Counts = tuple[int, int]


def collect(
    blocks: Iterable[bytes], prepare: Callable[[bytes], ChunkParser[Counts]], workers: int
) -> list[Counts]:
    with parse_chunks("src.log", blocks, prepare, workers) as results:
        return list(results)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_several_workers_give_the_results_of_one_process_in_input_order(workers):
    serial = collect(iter(BLOCKS), first_lines, 0)
    assert [count for _, count in serial] and sum(count for _, count in serial) == 40_000
    assert collect(iter(BLOCKS), first_lines, workers) == serial


def test_prepare_gets_the_first_chunk_once_and_empty_input_gives_no_result():
    heads: list[bytes] = []

    def prepare(head: bytes) -> ChunkParser[tuple[int, int]]:
        heads.append(head)
        return first_lines(head)

    assert collect(iter(BLOCKS), prepare, 2)[:2] == [(1, 2_000), (2_001, 2_000)]
    assert collect(iter([]), prepare, 2) == []
    assert heads == [BLOCKS[0] * 2, b""]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (InputError("bad data"), "src.log: parse 2: bad data"),
        (ValueError("a bug"), "src.log: parse 2 crashed:\nTraceback"),
    ],
)
def test_a_failing_worker_ends_the_input_after_the_results_before_naming_itself(error, message):
    seen: list[tuple[int, int]] = []
    with (
        pytest.raises(InputError) as raised,
        parse_chunks("src.log", iter(BLOCKS), lambda _: failing_at(5_000, error), 2) as results,
    ):
        seen.extend(results)
    assert str(raised.value).startswith(message)
    assert seen == [(first, 2_000) for first in (1, 2_001, 4_001)]  # the chunks before 5,000
    assert multiprocessing.active_children() == []


def test_damaged_input_ends_after_the_results_of_what_was_read_before():
    def damaged():
        yield from BLOCKS[:10]
        raise InputError("src.log: damaged or truncated gzip data after 10000 lines")

    seen: list[tuple[int, int]] = []
    with (
        pytest.raises(InputError, match="after 10000 lines"),
        parse_chunks("src.log", damaged(), first_lines, 2) as results,
    ):
        seen.extend(results)
    assert sum(count for _, count in seen) == 10_000


def test_a_worker_killed_during_a_load_fails_the_file_naming_it(tmp_path):
    """The nightly run's batches come from the same engine: kill -9 of a worker is an
    InputError (the file's transaction rolls back), not a hang or a short load."""
    path = tmp_path / "access.log.1"
    path.write_bytes(NGINX * 50_000)
    source = LogSource(tmp_path / "access.log", format="nginx")
    job = ParseJob(SiteConfig(name="s"), Candidate(path, source, "f"), file_id=1, workers=2)
    with (
        pytest.raises(InputError) as raised,
        parse_batches(job, path.stat().st_size) as batches,
    ):
        next(batches)
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)
        for _ in batches:
            pass
    assert f"{path}: parse " in str(raised.value)
    assert "ended unexpectedly (exit code -9)" in str(raised.value)


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    """kill -9 of `analyzer parse` while its output waits unread: its workers exit."""
    path = tmp_path / "access.log"
    path.write_bytes(NGINX * 100_000)
    command = [sys.executable, "-m", "analyzer", "parse", str(path), "--site", "s", "--jobs", "2"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as parse:
        assert parse.stdout is not None
        parse.stdout.readline()  # the workers are parsing; nobody reads on
        workers = Path(f"/proc/{parse.pid}/task/{parse.pid}/children").read_text().split()
        assert len(workers) == 2
        parse.kill()
        parse.wait()
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its parent"
            time.sleep(0.1)


def _running(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
