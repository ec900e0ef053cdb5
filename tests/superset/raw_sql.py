"""The SQL over raw rows that each dashboard dataset must agree with.

Each dataset (an aggregate) has a twin here: the raw table it comes from, the rows it
keeps, and each of its columns and metrics written against raw rows. A chart's saved
query (metrics, group-by, filters, time grain) is then replayed on the twin, so a chart
is checked against the raw rows without going through any aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from analyzer.db.aggregates import TERRITORY_ZOOM

# Superset's time grains as PostgreSQL date_trunc units.
GRAINS = {"P1D": "day", "P1W": "week", "P1M": "month"}
# What the latency aggregates give, computed from the raw rows' own bins: the same numbers
# whatever level and range a chart reads (their accuracy against percentile_cont over raw
# rows: tests/db/test_latency.py).
QUANTILE = (
    "analytics.latency_quantile({q}, array_agg(analytics.latency_bin(r.duration_ms)),"
    " array_agg(1::bigint))"
)
COUNTS = {
    "requests": "count(*)",
    "errors": "count(*) FILTER (WHERE r.status >= 400)",
    "bytes": "sum(r.bytes)",
}
LATENCY = {"latency_mean": "avg(r.duration_ms)"}
QUANTILES = {
    "timed": "count(*)",
    "latency_p50": QUANTILE.format(q=0.5),
    "latency_p95": QUANTILE.format(q=0.95),
    "latency_p99": QUANTILE.format(q=0.99),
}
USERS = {
    "distinct_users": "count(DISTINCT r.user_name)",
    "requests": "count(*)",
    # The organisation of the user's latest request that had one.
    "organisation": "(array_agg(r.org ORDER BY r.ts DESC) FILTER (WHERE r.org <> ''))[1]",
}


@dataclass(frozen=True)
class Twin:
    source: str  # FROM clause, raw rows aliased r
    where: str  # which raw rows the aggregate keeps
    metrics: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)  # when not simply r.<name>

    def column(self, name: str) -> str:
        return self.columns.get(name, f"r.{name}")


TWINS = {
    "requests_daily": Twin(
        "analytics.requests r",
        "true",
        {**COUNTS, **LATENCY},
        {"status_class": "analytics.status_class(r.status)"},
    ),
    "layers_daily": Twin(
        "analytics.request_layers r",
        "true",
        {k: v for k, v in {**COUNTS, **LATENCY}.items() if k != "bytes"},
    ),
    "ogc_daily": Twin(
        "analytics.requests r",
        "r.ogc_service IS NOT NULL",
        {**COUNTS, "layers": "sum(r.layer_count)"},
    ),
    "traffic_daily": Twin("analytics.requests r", "true", {**COUNTS, **LATENCY}),
    "ogc_services_daily": Twin(
        "analytics.requests r",
        "r.ogc_service IS NOT NULL",
        {**COUNTS, "layers": "sum(r.layer_count)"},
    ),
    "catalog_daily": Twin(
        "analytics.requests r",
        "r.catalog_action IS NOT NULL",
        {
            **COUNTS,
            "title": "max((SELECT t.title FROM analytics.record_titles AS t"
            " WHERE t.site = r.site AND t.uuid = r.catalog_uuid))",
        },
    ),
    "errors_daily": Twin(
        "analytics.requests r",
        "r.status >= 400",
        COUNTS,
        {
            "status_class": "analytics.status_class(r.status)",
            "path_prefix": "analytics.path_prefix(r.path)",
        },
    ),
    "latency_daily": Twin("analytics.requests r", "r.duration_ms IS NOT NULL", QUANTILES),
    "countries_daily": Twin("analytics.requests r", "true", COUNTS),
    "territory_daily": Twin(
        "analytics.request_layers r",
        "r.ogc_view_zoom IS NOT NULL",
        {"requests": "count(*)"},
        {
            "zoom": f"least(r.ogc_view_zoom, {TERRITORY_ZOOM})",
            "lon": f"analytics.tile_longitude(least(r.ogc_view_zoom, {TERRITORY_ZOOM})::smallint,"
            f" r.ogc_view_x >> greatest(r.ogc_view_zoom - {TERRITORY_ZOOM}, 0))",
            "lat": f"analytics.tile_latitude(least(r.ogc_view_zoom, {TERRITORY_ZOOM})::smallint,"
            f" r.ogc_view_y >> greatest(r.ogc_view_zoom - {TERRITORY_ZOOM}, 0))",
        },
    ),
    "layer_latency_daily": Twin(
        "analytics.request_layers r", "r.duration_ms IS NOT NULL", QUANTILES
    ),
    "users_daily": Twin("analytics.requests r", "r.user_name IS NOT NULL", USERS),
    "user_roles_daily": Twin(
        "analytics.requests r CROSS JOIN LATERAL unnest(r.roles) AS role",
        "r.user_name IS NOT NULL",
        USERS,
        {"role": "role"},
    ),
    "user_orgs_daily": Twin(
        "analytics.requests r",
        "r.user_name IS NOT NULL",
        {
            "active_users": "count(DISTINCT (r.site, r.user_name, coalesce(r.org, '')))",
            "requests": "count(*)",
        },
    ),
}
# Range datasets: the same rows whatever level each part of the range is read from.
TWINS |= {
    "layers_range": TWINS["layers_daily"],
    "countries_range": TWINS["countries_daily"],
    "territory_range": TWINS["territory_daily"],
    "latency_range": TWINS["latency_daily"],
    "layer_latency_range": TWINS["layer_latency_daily"],
    "users_range": TWINS["users_daily"],
    "user_roles_range": TWINS["user_roles_daily"],
}


def replay(
    conn: psycopg.Connection, table: str, query: dict[str, Any], timezone: str
) -> tuple[list[str], dict[tuple[Any, ...], dict[str, Any]]]:
    """Run a chart's query on raw rows: its dimension labels, and metrics by dimension key."""
    twin = TWINS[table]
    labels, expressions = [], []
    for column in query["columns"]:
        if isinstance(column, dict):  # the time axis: epoch ms of the local day, as Superset
            labels.append(column["label"])
            expressions.append(_local_period(GRAINS[column["timeGrain"]], timezone))
        else:
            labels.append(column)
            expressions.append(sql.SQL(twin.column(column)))
    metrics = [sql.SQL(f"{twin.metrics[m]} AS {m}") for m in query["metrics"]]
    where = [sql.SQL(twin.where), *(_condition(twin, f) for f in query["filters"])]
    if query.get("time_range", "No filter") != "No filter":
        where.append(_time_range(query["time_range"], timezone))
    statement = sql.SQL("SELECT {} FROM {} WHERE {}").format(
        sql.SQL(", ").join([*expressions, *metrics]),
        sql.SQL(twin.source),
        sql.SQL(" AND ").join(where),
    )
    if labels:
        positions = [sql.Literal(i + 1) for i in range(len(labels))]
        statement += sql.SQL(" GROUP BY {}").format(sql.SQL(", ").join(positions))
    rows = conn.execute(statement).fetchall()
    n = len(labels)
    return labels, {row[:n]: dict(zip(query["metrics"], row[n:], strict=True)) for row in rows}


def _local_period(unit: str, timezone: str) -> sql.Composable:
    return sql.SQL(
        "(extract(epoch FROM date_trunc({}, r.ts AT TIME ZONE {})) * 1000)::bigint"
    ).format(sql.Literal(unit), sql.Literal(timezone))


def _time_range(time_range: str, timezone: str) -> sql.Composable:
    """ "<start> : <end>" in local wall time, the end excluded, as Superset reads it."""
    start, end = (part.strip() for part in time_range.split(" : "))
    return sql.SQL(
        "r.ts >= ({}::timestamp AT TIME ZONE {}) AND r.ts < ({}::timestamp AT TIME ZONE {})"
    ).format(sql.Literal(start), sql.Literal(timezone), sql.Literal(end), sql.Literal(timezone))


def _condition(twin: Twin, f: dict[str, Any]) -> sql.Composable:
    column, op = sql.SQL(twin.column(f["col"])), f["op"]
    if op == "TEMPORAL_RANGE":
        assert f["val"] == "No filter", "saved charts read every day; dashboards narrow"
        return sql.SQL("true")
    if op in ("IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"):
        return sql.SQL("{} " + op).format(column)
    if op == "==":
        return sql.SQL("{} = {}").format(column, sql.Literal(f["val"]))
    if op == "!=":
        return sql.SQL("{} <> {}").format(column, sql.Literal(f["val"]))
    if op == "IN":
        return sql.SQL("{} = ANY({})").format(column, sql.Literal(list(f["val"])))
    raise AssertionError(f"filter operator {op!r} is not replayed on raw rows yet")
