"""How long the Apache-licence rollup refresh takes for one day of requests.

    PYTHONPATH=. .local/venv/bin/python benchmarks/rollups.py [--rows 2000000]

Creates a scratch database on the local stack (./stack up), migrates it, inserts ``rows``
synthetic requests over one day (not timed: the tests' fixture, not the loader), then
times ``aggregates.refresh_rollups`` for that day as the nightly job runs it, inside the
load's transaction, and prints rows per second of wall time and of the server's CPU time
(its backend and parallel workers, read from /proc: the server runs on this machine),
which a busy machine distorts less. Drops the database.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from analyzer.db import aggregates
from analyzer.db.migrate import migrate
from tests.db.rows import SYNTHETIC_SQL
from tests.support.databases import Server, create_database, drop_database
from tests.support.stack import require, stack_env

DAY = datetime(2026, 11, 20, tzinfo=ZoneInfo("Europe/Paris"))


def _server() -> Server:
    env = stack_env()
    passwords = {
        role: psycopg.conninfo.conninfo_to_dict(env[var])["password"]
        for role, var in (
            ("analytics_owner", "ANALYTICS_OWNER_URL"),
            ("analytics_writer", "ANALYZER_DATABASE_URL"),
            ("analytics_reader", "ANALYTICS_READER_URL"),
        )
    }
    port = int(env.get("ANALYTICS_PG_PORT", "5432"))
    return Server("apache", require("ANALYTICS_ADMIN_URL"), passwords, "127.0.0.1", port)


def _server_cpu_seconds() -> float:
    """User + system CPU time of the server's processes, with their finished children's:
    the backend's parallel workers are children of the postmaster (fields 14 to 17 of
    /proc/<pid>/stat). Other activity on the server counts too: run it on a quiet stack."""
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "comm").read_text().strip() != "postgres":
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def _timed_refresh(conn: psycopg.Connection, rows: int) -> tuple[float, float]:
    with conn.transaction():
        (file_id,) = conn.execute(
            "INSERT INTO analytics.ingested_files (site, source, fingerprint, path)"
            " VALUES ('bench', 'access.log', 'bench', 'access.log.1') RETURNING id"
        ).fetchone()
        params = {"site": "bench", "file_id": file_id, "start": DAY, "span": timedelta(days=1)}
        for statement in SYNTHETIC_SQL:
            conn.execute(statement, {**params, "n": rows})
        started, cpu = time.monotonic(), _server_cpu_seconds()
        aggregates.refresh_rollups(conn, "bench", DAY, DAY + timedelta(days=1, seconds=-1))
        return time.monotonic() - started, _server_cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    server, name = _server(), "bench_rollups"
    create_database(server, name)
    try:
        migrate(server.url(name, "analytics_owner"))
        with psycopg.connect(server.url(name, "analytics_writer"), autocommit=True) as conn:
            wall, cpu = _timed_refresh(conn, args.rows)
        print(f"refresh of {args.rows} rows: {wall:.1f} s wall ({args.rows / wall:,.0f} rows/s),")
        print(f"{cpu:.1f} s of server CPU ({args.rows / cpu:,.0f} rows per CPU second)")
    finally:
        drop_database(server, name)


if __name__ == "__main__":
    main()
