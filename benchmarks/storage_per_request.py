"""Disk and time per request for sizing a deployment (docs/docker.md, "Sizing").

Generates a site's logs, loads them with `analyzer run` into a fresh database of the local
stack, and prints the database's growth per request (raw rows, layers, aggregates,
indexes) and the load rate. Run with the stack up (./stack up):

    .local/venv/bin/python -m benchmarks.storage_per_request --days 3 --requests-per-day 200000

Numbers depend on the traffic mix of the generator and on the machine's load; the bytes
per request are the stable figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import yaml
from psycopg.conninfo import conninfo_to_dict

from tests.support.databases import Server, create_database, drop_database, server_edition
from tests.support.stack import require, stack_env

# The raw tables with their indexes, their chunks and (Timescale licence) the chunks in the
# columnstore: hypertable_size counts them all.
RAW_SIZES = "SELECT t, hypertable_size(t::regclass) FROM unnest(%s::text[]) AS t"
RAW_TABLES = ["analytics.requests", "analytics.request_layers"]


def local_server() -> Server:
    env = stack_env()
    roles = {"analytics_owner": "ANALYTICS_OWNER_URL", "analytics_writer": "ANALYZER_DATABASE_URL"}
    passwords = {role: conninfo_to_dict(env[key])["password"] for role, key in roles.items()}
    admin = require("ANALYTICS_ADMIN_URL")
    return Server(
        server_edition(admin), admin, passwords, "127.0.0.1", int(env["ANALYTICS_PG_PORT"])
    )


def generate(out: Path, days: int, per_day: int) -> Path:
    subprocess.run(
        [sys.executable, "-m", "analyzer", "generate", "--out", str(out), "--sites", "bench",
         "--days", str(days), "--requests-per-day", str(per_day), "--seed", "7"],
        check=True,
    )  # fmt: skip
    return out / "config.yaml"


def load(server: Server, database: str, config: Path, state: Path) -> float:
    settings = yaml.safe_load(config.read_text())
    settings["state_dir"] = str(state)
    settings["columnstore_after"] = "never"  # the row store; --columnstore converts after
    config.write_text(yaml.safe_dump(settings))
    env = os.environ | {"ANALYZER_DATABASE_URL": server.url(database, "analytics_writer")}
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "analyzer", "run", "--config", str(config)], check=True, env=env
    )
    return time.monotonic() - start


def to_columnstore(server: Server, database: str, segmentby: str, orderby: str) -> float:
    """Every raw chunk into the columnstore with these settings (what migration 0014's
    function does to chunks past `columnstore_after`); the seconds it took."""
    start = time.monotonic()
    with psycopg.connect(server.url(database), autocommit=True) as conn:
        for table in ("analytics.requests", "analytics.request_layers"):
            conn.execute(
                f"ALTER TABLE {table} SET (timescaledb.enable_columnstore = true,"
                f" timescaledb.segmentby = '{segmentby}', timescaledb.orderby = '{orderby}')"
            )
            conn.execute(f"SELECT compress_chunk(c) FROM show_chunks('{table}') AS c")
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - start


# What the dashboards ask, on the aggregates they read (never raw rows): a daily series, the
# latency by application, the top layers.
CHART_QUERIES = {
    "daily series": "SELECT bucket, site, sum(requests) FROM analytics.traffic_daily GROUP BY 1, 2",
    "latency by app": "SELECT app, analytics.latency_quantile(0.95, array_agg(bin),"
    " array_agg(requests)) FROM analytics.latency_daily GROUP BY app",
    "top layers": "SELECT layer, sum(requests) FROM analytics.layers_daily GROUP BY layer"
    " ORDER BY 2 DESC LIMIT 20",
}


def chart_times(server: Server, database: str) -> dict[str, float]:
    """Median milliseconds of each of CHART_QUERIES over 7 runs."""
    times = {}
    with psycopg.connect(server.url(database)) as conn:
        for name, query in CHART_QUERIES.items():
            runs = []
            for _ in range(7):
                start = time.perf_counter()
                conn.execute(query).fetchall()
                runs.append((time.perf_counter() - start) * 1000)
            times[name] = sorted(runs)[3]
    return times


def report(server: Server, database: str, seconds: float) -> None:
    with psycopg.connect(server.url(database)) as conn:
        requests = conn.execute("SELECT count(*) FROM analytics.requests").fetchone()[0]
        raw = conn.execute(RAW_SIZES, [RAW_TABLES]).fetchall()
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        empty = conn.execute("SELECT pg_database_size('template1')").fetchone()[0]
    print(f"edition {server.edition}: {requests:,} requests loaded in {seconds:.1f} s "
          f"({requests / seconds:,.0f} requests/s)")  # fmt: skip
    growth = total - empty
    print(f"database growth: {growth / requests:,.0f} bytes per request")
    for table, size in raw:
        print(f"  {table:<28} {size / requests:10,.1f} bytes per request")
    rest = growth - sum(size for _, size in raw)
    print(f"  {'aggregates and the rest':<28} {rest / requests:10,.1f} bytes per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--requests-per-day", type=int, default=200_000)
    parser.add_argument(
        "--columnstore", metavar="SEGMENTBY:ORDERBY", action="append", default=[],
        help="then convert every raw chunk with these settings and report again"
        " (Timescale licence; repeat to compare, each on a fresh load)",
    )  # fmt: skip
    args = parser.parse_args()
    server = local_server()
    with tempfile.TemporaryDirectory() as tmp:
        config = generate(Path(tmp) / "logs", args.days, args.requests_per_day)
        for setting in [None, *args.columnstore]:
            database = f"bench_storage_{os.getpid()}"
            create_database(server, database)
            try:
                from analyzer.db.migrate import migrate

                migrate(server.url(database, "analytics_owner"))
                # The newest rotated day waits for the "next night", after the conversion.
                newest = config.parent / "bench" / "access.log.1"
                held = newest.rename(Path(tmp) / "next-night.log")
                seconds = load(server, database, config, Path(tmp) / "state")
                if setting is None:
                    print("\nrow store")
                else:
                    segmentby, orderby = setting.split(":")
                    took = to_columnstore(server, database, segmentby, orderby)
                    print(f"\ncolumnstore segmentby '{segmentby}' orderby '{orderby}'"
                          f" (converted in {took:.1f} s)")  # fmt: skip
                held.rename(newest)
                night = load(server, database, config, Path(tmp) / "state")
                report(server, database, seconds + night)
                print(f"  the next night's run: {night:.1f} s")
                for name, ms in chart_times(server, database).items():
                    print(f"  chart query, {name}: {ms:.1f} ms")
            finally:
                drop_database(server, database)


if __name__ == "__main__":
    main()
