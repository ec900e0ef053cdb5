"""Query time of every dashboard chart on a year of aggregates (issue 5's benchmark).

    ./stack up
    .local/venv/bin/python benchmarks/superset_charts.py [--days 365] [--sites 3] [--runs 5]

1. creates the database `bench_superset_charts` (migrated like production) and fills the
   daily aggregates straight with SQL, at the cardinality a site serving about one
   million requests a day has (see ROWS_PER_DAY);
2. asks the local stack's Superset for the SQL of each chart (`result_type: query`), for
   the whole year (the saved chart) and for the dashboards' default range (Last month);
3. runs that SQL as `analytics_reader`, as Superset would, and prints the median of
   `--runs` runs per chart. Target: under one second each. Writes the table to
   artifacts/benchmarks/superset_charts.md. `--keep` keeps the database, `--reuse`
   measures a kept one again without filling it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "superset")]

from superset_assets import bundle, settings  # noqa: E402
from superset_assets.client import SupersetClient  # noqa: E402

from tests.support.databases import Server, create_database, drop_database  # noqa: E402
from tests.support.stack import require, stack_env  # noqa: E402

DATABASE = "bench_superset_charts"
TIMEZONE = "Europe/Paris"
REQUESTS_PER_DAY = 1_000_000
# The saved charts read every day; the dashboards open on the last month.
RANGES = ("No filter", "Last month")
# Aggregate rows per site and day for a busy platform (distinct dimension combinations).
ROWS_PER_DAY = {
    "requests_daily": 1500,
    "layers_daily": 6000,
    "ogc_daily": 3000,
    "catalog_daily": 800,
    "errors_daily": 500,
    "users_daily": 1500,
}
# population model: each site's combinations of a table are this many times a day's rows.
POPULATION = 3
POOLS = {
    "app": [
        "geoserver",
        "geowebcache",
        "geonetwork",
        "mapstore",
        "datahub",
        "console",
        "cadastrapp",
        "mviewer",
        "extractorapp",
        "import",
        "login",
        "header",
        "other",
    ],
    "status_class": ["2xx", "3xx", "4xx", "5xx"],
    "agent_class": ["browser", "gis", "bot", "script", "unknown"],
    "agent_name": [
        "Chrome",
        "Firefox",
        "Safari",
        "Edge",
        "QGIS",
        "ArcGIS",
        "GDAL",
        "OWSLib",
        "curl",
        "python-requests",
        "Googlebot",
        "bingbot",
    ],
    "ogc_service": ["WMS", "WFS", "WCS", "WMTS", "TMS", "OGCAPI-FEATURES"],
    "ogc_request": [
        "GetMap",
        "GetCapabilities",
        "GetFeatureInfo",
        "GetLegendGraphic",
        "GetFeature",
        "GetCoverage",
        "GetTile",
        "DescribeFeatureType",
    ],
    "ogc_crs": ["EPSG:3857", "EPSG:2154", "EPSG:4326", "EPSG:900913", "EPSG:3948"],
    "ogc_format": [
        "image/png",
        "image/jpeg",
        "application/json",
        "text/csv",
        "shape-zip",
        "image/tiff",
        "application/gml+xml",
    ],
    "catalog_action": ["metadata_view", "metadata_export", "download", "search", "page"],
    "path_prefix": [
        "/geoserver/wms",
        "/geoserver/ows",
        "/geonetwork/srv",
        "/mapstore/rest",
        "/console/account",
        "/datahub/dataset",
        "/cadastrapp/services",
    ],
}


def pick(column: str, draw: Callable[[], str]) -> str:
    """A value for a dimension column from uniform draws; skewed (u^3): some values dominate."""

    def skew(n: int) -> str:
        return f"floor({n} * {draw()} ^ 3)::int"

    if column in POOLS:
        values = sql.Literal(POOLS[column]).as_string(None)
        return f"({values}::text[])[1 + {skew(len(POOLS[column]))}]"
    generated = {
        "org": lambda: f"CASE WHEN {draw()} < 0.6 THEN NULL ELSE 'org-' || {skew(60)} END",
        "layer": lambda: f"'ws' || mod({skew(400)}, 25) || ':layer_' || {skew(400)}",
        "workspace": lambda: f"'ws' || {skew(25)}",
        "catalog_uuid": lambda: f"md5({skew(5000)}::text)",
        "user_name": lambda: f"'user.' || {skew(3000)}",
        "status": lambda: (
            f"(ARRAY[200, 304, 400, 403, 404, 500, 502])[1 + floor(7 * {draw()})::int]"
        ),
        "roles": lambda: (
            "ARRAY['ROLE_USER', (ARRAY['ROLE_ADMIN', 'ROLE_EDITOR', 'ROLE_GN'])"
            f"[1 + floor(3 * {draw()})::int]]"
        ),
        "ogc_tiled": lambda: f"{draw()} < 0.4",
        "ogc_download": lambda: f"{draw()} < 0.1",
    }
    return generated[column]()


def draws(column: str, model: str) -> Callable[[], str]:
    """Uniform draws in [0, 1) for a column: fresh per row (independent), or fixed per
    combination c.k of the site's population (population: the same combinations recur)."""
    if model == "independent":
        return lambda: "random()"
    seen = itertools.count()
    return lambda: (
        f"((hashtext(c.k || '/{column}/{next(seen)}')::bigint + 2147483648) / 4294967296.0)"
    )


def measure(column: str, per_row: int) -> str:
    """A count-like value averaging per_row requests per aggregate row."""
    if column.startswith("lat_") or column == "errors":
        return f"floor(random() * {max(per_row // 10, 1)})::bigint"
    scaled = {"bytes": 25_000, "duration_ms_sum": 180, "duration_ms_max": 0}
    if column == "duration_ms_max":
        return "30000 * random()"
    base = f"(1 + floor(random() * {2 * per_row}))"
    return f"{base} * {scaled.get(column, 1)}"


def fill(
    conn: psycopg.Connection, table: str, rows: int, days: int, sites: list[str], model: str
) -> None:
    """``rows`` rows per site and day for the ``days`` days up to yesterday, the last day a
    nightly run has loaded."""
    columns = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'analytics' AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    names = [c[0] for c in columns]
    per_row = REQUESTS_PER_DAY // rows
    dimensions = {"bucket": "d.day", "site": "s.site"}
    values = [
        dimensions.get(n)
        or (pick(n, draws(n, model)) if n in POOLS or not _is_measure(n) else measure(n, per_row))
        for n in names
    ]
    statement = f"""
        INSERT INTO analytics.{table} ({", ".join(names)})
        SELECT {", ".join(values)}
        FROM generate_series(
                 date_trunc('day', now() AT TIME ZONE '{TIMEZONE}') - interval '{days} days',
                 date_trunc('day', now() AT TIME ZONE '{TIMEZONE}') - interval '1 day',
                 interval '1 day'
             ) AS g(local_day)
        CROSS JOIN LATERAL (SELECT g.local_day AT TIME ZONE '{TIMEZONE}' AS day) AS d
        CROSS JOIN unnest(%s::text[]) AS s(site)
        CROSS JOIN LATERAL ({_combinations(rows, model)}) AS c
    """
    conn.execute(statement, [sites])


def _combinations(rows: int, model: str) -> str:
    """The day's rows of a site: ``rows`` combinations, each row a number c.k.

    population: ``rows`` distinct combinations out of POPULATION times as many, drawn
    without replacement with Zipf weights 1/(k+1) (Efraimidis-Spirakis keys): the popular
    combinations recur every day, the tail rotates, and a month sees most of them.
    """
    if model == "independent":
        return f"SELECT k FROM generate_series(1, {rows}) AS k"
    # The reference to d and s makes PostgreSQL draw again for every day and site.
    return (
        f"SELECT k FROM generate_series(0, {POPULATION * rows - 1}) AS k"
        " WHERE d.day IS NOT NULL AND s.site IS NOT NULL"
        f" ORDER BY -ln(1 - random()) * (k + 1) LIMIT {rows}"
    )


def _is_measure(column: str) -> bool:
    return column in {"requests", "bytes", "errors", "timed", "layers"} or column.startswith(
        ("lat_", "duration_ms")
    )


def chart_sql(client: SupersetClient, chart: dict, chart_id: int, time_range: str) -> str:
    context = json.loads(chart["query_context"])
    saved = client.chart(chart_id)
    context["datasource"] = json.loads(saved["query_context"])["datasource"]
    query = context["queries"][0]
    query["filters"] = [
        {**f, "val": time_range} if f["op"] == "TEMPORAL_RANGE" else f for f in query["filters"]
    ]
    query["time_range"] = time_range
    context["result_type"] = "query"
    answer = client.request("POST", "/api/v1/chart/data", json=context)
    return answer["result"][0]["query"]


def median_seconds(reader_url: str, text: str, runs: int) -> float:
    timings = []
    with psycopg.connect(reader_url, options=f"-c timezone={TIMEZONE}") as conn:
        for _ in range(runs):
            start = time.perf_counter()
            conn.execute(text).fetchall()
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def prepare(server: Server, days: int, sites: list[str], model: str) -> None:
    from analyzer.db.migrate import migrate

    create_database(server, DATABASE)
    migrate(server.url(DATABASE, "analytics_owner"))
    with psycopg.connect(server.url(DATABASE), autocommit=True) as conn:
        for table, rows in ROWS_PER_DAY.items():
            start = time.perf_counter()
            fill(conn, table, rows, days, sites, model)
            _report(conn, "filled", table, start)
        derive(conn)


def _report(conn: psycopg.Connection, verb: str, table: str, start: float) -> None:
    conn.execute(f"ANALYZE analytics.{table}")
    total = conn.execute(f"SELECT count(*) FROM analytics.{table}").fetchone()[0]
    print(f"{verb} {table}: {total:,} rows in {time.perf_counter() - start:.0f} s", flush=True)


def derive(conn: psycopg.Connection) -> None:
    """Fill the other daily and monthly aggregates from the generated daily rows.

    In production the daily rollups come from the hourly level, which is not generated
    here; over the daily rows of the same days their SELECT gives the same rows. Monthly
    rows come from daily ones, as in production; user_orgs_daily from users_daily, as
    migration 0006 fills it.
    """
    from analyzer.db.aggregates import AGGREGATES, RAW_TABLES, select_sql

    for agg in AGGREGATES:
        source = agg.source.replace("_hourly", "_daily")
        if agg.name in ROWS_PER_DAY or agg.level == "hourly":
            continue
        start = time.perf_counter()
        if agg.name == "user_orgs_daily":
            conn.execute(
                "INSERT INTO analytics.user_orgs_daily SELECT bucket, site, user_name, org,"
                " sum(requests) FROM analytics.users_daily GROUP BY 1, 2, 3, 4"
            )
        elif source not in RAW_TABLES:
            conn.execute(f"INSERT INTO analytics.{agg.name} {select_sql(agg, TIMEZONE, source)}")
        else:
            continue
        _report(conn, "derived", agg.name, start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept before")
    parser.add_argument(
        "--model",
        choices=["population", "independent"],
        default="population",
        help="population: the same combinations recur from day to day (default);"
        " independent: every row drawn afresh, no two days alike (a worst case)",
    )
    args = parser.parse_args()
    env = stack_env()
    server = _server(env)
    if not args.reuse:
        prepare(server, args.days, [f"site-{n}" for n in range(1, args.sites + 1)], args.model)
    try:
        lines = run_charts(env, server, args.runs)
    finally:
        if not args.keep:
            drop_database(server, DATABASE)
    out = REPO / "artifacts" / "benchmarks" / "superset_charts.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0


def run_charts(env: dict[str, str], server: Server, runs: int) -> list[str]:
    """Ask Superset for every chart's SQL first (its login token is short-lived), then time."""
    rendered = bundle.render(settings.from_env(env))
    client = SupersetClient(require("SUPERSET_URL")).login(
        require("SUPERSET_ADMIN_USER"), require("SUPERSET_ADMIN_PASSWORD")
    )
    ids = client.chart_ids()
    texts = {
        Path(path).stem: [chart_sql(client, chart, ids[chart["uuid"]], r) for r in RANGES]
        for path, chart in sorted(rendered.of_kind("charts").items())
    }
    reader = server.url(DATABASE, "analytics_reader")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Median of {runs} runs; load average {load} at the start (2 cores).",
        "",
        "| chart | whole year (s) | last month (s) |",
        "|---|---:|---:|",
    ]
    for name, (year, month) in texts.items():
        timings = [median_seconds(reader, text, runs) for text in (year, month)]
        lines.append(f"| {name} | {timings[0]:.3f} | {timings[1]:.3f} |")
        print(lines[-1], flush=True)
    lines.append(f"\nLoad average at the end: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    return lines


def _server(env: dict[str, str]) -> Server:
    from tests.conftest import _password

    roles = {
        "analytics_owner": env["ANALYTICS_OWNER_URL"],
        "analytics_writer": env["ANALYZER_DATABASE_URL"],
        "analytics_reader": env["ANALYTICS_READER_URL"],
    }
    passwords = {role: _password(url) for role, url in roles.items()}
    port = int(env.get("ANALYTICS_PG_PORT", "5432"))
    return Server("apache", require("ANALYTICS_ADMIN_URL"), passwords, "127.0.0.1", port)


if __name__ == "__main__":
    sys.exit(main())
