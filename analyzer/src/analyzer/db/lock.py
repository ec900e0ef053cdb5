"""Keep two runs from overlapping.

Two locks, both released by the kernel or the server when the process dies (so a crash
never leaves a stale lock behind):
- a lock file in ``state_dir`` (``flock``), for two runs on the same host, taken before
  anything else so even a dry run or a run that cannot reach the database is exclusive;
- a PostgreSQL session advisory lock, for two hosts loading into the same database.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from analyzer.errors import AnalyzerError, ExitCode

LOCK_FILE_NAME = "analyzer.lock"
# The bigint key of pg_try_advisory_lock: the bytes of "analyzer", fixed forever.
ADVISORY_LOCK_KEY = int.from_bytes(b"analyzer", "big")


class LockBusy(AnalyzerError):
    exit_code = ExitCode.BUSY


@contextmanager
def state_dir_lock(state_dir: Path) -> Iterator[Path]:
    """Hold ``state_dir/analyzer.lock`` for the duration of the block."""
    path = state_dir / LOCK_FILE_NAME
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise AnalyzerError(f"{path}: cannot open the lock file: {exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockBusy(f"{path}: another run is in progress (pid {holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def advisory_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the ingest's session advisory lock on ``conn`` for the duration of the block.

    ``conn`` should be in autocommit mode: a session lock outlives the transactions the
    block runs, and a rollback does not release it.
    """
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
    if not row or not row[0]:
        raise LockBusy(
            "another run holds the database's ingest lock "
            f"(pg_advisory_lock {ADVISORY_LOCK_KEY}); see pg_locks for its pid"
        )
    try:
        yield
    finally:
        if not conn.broken and not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
