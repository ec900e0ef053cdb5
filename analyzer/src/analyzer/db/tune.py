"""postgresql.conf settings for a dedicated analytics server, from its memory and cores.

The formulas are timescaledb-tune's (the tool the official Docker image runs at first
start), so a server set up by the local stack, the Docker image or Ansible gets the same
values for the same host. Static settings live in ``timescaledb/conf/``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

KB, MB, GB = 1024, 1024**2, 1024**3
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": KB, "m": MB, "g": GB, "t": 1024 * GB}

MAINTENANCE_WORK_MEM_LIMIT = 2047 * MB  # PostgreSQL's own ceiling, less a megabyte
WORK_MEM_PER_GB_PER_CONNECTION = 6.4 * 20 * MB  # timescaledb-tune, derived from pgtune
TIMESCALEDB_BACKGROUND_WORKERS = 8  # refresh and retention jobs run through these
BUILT_IN_PROCESSES = 3  # checkpointer, WAL writer, autovacuum launcher
DEFAULT_MAX_CONNECTIONS = 50  # Superset's pool and the nightly job need few


@dataclass(frozen=True, slots=True)
class Host:
    memory: int  # bytes available to PostgreSQL
    cpus: int
    max_connections: int = DEFAULT_MAX_CONNECTIONS


def parse_size(text: str) -> int:
    """Bytes from ``4GB``, ``512MB``, ``8G``, ``1.5GiB`` or a plain number of bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 4GB or 512MB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def pg_size(value: float) -> str:
    """A PostgreSQL memory setting, in the largest unit that keeps it whole enough."""
    value = int(value)
    if value >= GB and value % GB == 0:
        return f"{value // GB}GB"
    if value >= MB:
        return f"{value // MB}MB"
    return f"{max(value // KB, 64)}kB"


def recommend(host: Host) -> dict[str, str]:
    """The tuned settings, in the order they are written."""
    if host.memory < 256 * MB or host.cpus < 1 or host.max_connections < 1:
        raise ValueError("need at least 256MB of memory, 1 CPU and 1 connection")
    gigabytes = host.memory / GB
    half_cpus = max((host.cpus + 1) // 2, 1)
    settings = {
        "shared_buffers": pg_size(host.memory / 4),
        "effective_cache_size": pg_size(host.memory * 3 / 4),
        "maintenance_work_mem": pg_size(min(gigabytes * 128 * MB, MAINTENANCE_WORK_MEM_LIMIT)),
        "work_mem": pg_size(
            gigabytes * WORK_MEM_PER_GB_PER_CONNECTION / host.max_connections / half_cpus
        ),
        "max_connections": str(host.max_connections),
        "timescaledb.max_background_workers": str(TIMESCALEDB_BACKGROUND_WORKERS),
        "max_worker_processes": str(
            BUILT_IN_PROCESSES + TIMESCALEDB_BACKGROUND_WORKERS + host.cpus
        ),
        "max_parallel_workers": str(host.cpus),
        "max_parallel_workers_per_gather": str(half_cpus if host.cpus > 1 else 0),
        "wal_buffers": pg_size(16 * MB if host.memory >= 2 * GB else gigabytes * 7864 * KB),
        "min_wal_size": "512MB",
        "max_wal_size": "1GB",
        "checkpoint_completion_target": "0.9",
        "default_statistics_target": "500",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "max_locks_per_transaction": str(_max_locks(host.memory)),
    }
    return settings


def _max_locks(memory: int) -> int:
    # Every chunk (and chunk index) a statement touches takes a lock; timescaledb-tune's
    # steps, with 128 as the floor: drop_chunks and refreshes span a year of weekly chunks.
    for floor_gb, locks in ((32, 512), (16, 256)):
        if memory >= floor_gb * GB:
            return locks
    return 128


def render(host: Host) -> str:
    """A postgresql.conf fragment (for a conf.d/ folder)."""
    lines = [
        f"# analyzer db tune --memory {pg_size(host.memory)} --cpus {host.cpus}"
        f" --max-connections {host.max_connections}",
        "# Derived like timescaledb-tune; static settings: timescaledb/conf/.",
    ]
    lines += [f"{key} = {value}" for key, value in recommend(host).items()]
    return "\n".join(lines) + "\n"


def detect_host() -> Host:
    """This machine's memory and cores, within its cgroup limits (containers)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            memory = min(memory, int(Path(limit_file).read_text().strip()))
        except (OSError, ValueError):  # absent, or "max"
            continue
    return Host(memory=memory, cpus=len(os.sched_getaffinity(0)))
