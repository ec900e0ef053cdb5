"""The range datasets' SQL on the real server: any time range gives the daily level's answer.

A range dataset reads the whole months of a chart's time range from the monthly level and
only the days at its edges from the daily one (superset/assets/_macros.j2, range_sql).
Its SQL is rendered here as Superset renders it (Jinja with from_dttm and to_dttm), on the
data of tests/db/test_aggregates.py, which spans the end of October and the start of
November 2026, and compared with the same totals over the daily level alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from jinja2.sandbox import SandboxedEnvironment
from superset_assets import bundle, settings

from tests.db.rows import load_file
from tests.db.test_aggregates import FILES

# (dataset, the daily relation it stands for, a total that must not change with the level)
RANGE_DATASETS = [
    ("layers_range", "layers_daily", "sum(requests), sum(lat_le_100ms), max(duration_ms_max)"),
    ("countries_range", "countries_daily", "count(DISTINCT country), sum(requests), sum(bytes)"),
    ("territory_range", "territory_daily", "count(DISTINCT (zoom, x, y)), sum(requests)"),
    ("users_range", "users_daily", "analytics.distinct_count(array_agg(user_name)), sum(requests)"),
    ("user_roles_range", "user_roles_daily", "count(DISTINCT (role, user_name)), sum(requests)"),
    (
        "latency_range",
        "latency_daily",
        "sum(requests), analytics.latency_quantile(0.95, array_agg(bin), array_agg(requests))",
    ),
    (
        "layer_latency_range",
        "layer_latency_daily",
        "sum(requests), analytics.latency_quantile(0.5, array_agg(bin), array_agg(requests))",
    ),
]
# Local wall times, as Superset gives them; None is an open bound.
RANGES = [
    (None, None),  # whole months only
    (datetime(2026, 10, 1), datetime(2026, 12, 1)),  # two whole months
    (datetime(2026, 10, 25), datetime(2026, 11, 2)),  # no whole month: days only
    (datetime(2026, 9, 15), datetime(2026, 11, 1, 12)),  # October whole, the edges daily
    (datetime(2026, 10, 26), None),  # days of October, then November whole
    (None, datetime(2026, 11, 2)),  # October whole, a day of November
    (datetime(2026, 10, 1), datetime(2026, 11, 20)),  # nothing after Nov 20: November whole
]


@pytest.fixture(scope="module")
def loaded(analytics_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as conn:
        for site, start, span, rows in FILES:
            load_file(conn, site, start, span, rows)
    with psycopg.connect(analytics_db.reader_url, options="-c timezone=Europe/Paris") as conn:
        yield conn


@pytest.fixture(scope="module")
def dataset_sql() -> dict[str, str]:
    rendered = bundle.render(
        settings.from_env({"ANALYTICS_READER_URL": "postgresql://reader:secret@db/analytics"})
    )
    return {
        d["table_name"]: d["sql"] for d in rendered.of_kind("datasets").values() if d.get("sql")
    }


def _as_superset_renders(template: str, lo: datetime | None, hi: datetime | None) -> str:
    env = SandboxedEnvironment()
    return env.from_string(template).render(from_dttm=lo, to_dttm=hi)


def test_every_range_dataset_is_checked(dataset_sql):
    assert sorted(dataset_sql) == sorted(name for name, _, _ in RANGE_DATASETS)


@pytest.mark.parametrize(("lo", "hi"), RANGES)
@pytest.mark.parametrize(("dataset", "daily", "totals"), RANGE_DATASETS)
def test_a_range_dataset_gives_the_daily_levels_totals(
    loaded, dataset_sql, dataset, daily, totals, lo, hi
):
    sql = _as_superset_renders(dataset_sql[dataset], lo, hi)
    # What Superset wraps around a virtual dataset: the chart's time range on `bucket`.
    bounds = (
        "(%(lo)s::timestamp IS NULL OR bucket >= %(lo)s::timestamp)"
        " AND (%(hi)s::timestamp IS NULL OR bucket < %(hi)s::timestamp)"
    )
    params = {"lo": lo, "hi": hi}
    per_site = "SELECT site, {totals} FROM {source} WHERE {bounds} GROUP BY site ORDER BY site"
    actual = loaded.execute(
        per_site.format(totals=totals, source=f"({sql}) AS virtual_table", bounds=bounds), params
    ).fetchall()
    expected = loaded.execute(
        per_site.format(totals=totals, source=f"analytics.{daily}", bounds=bounds), params
    ).fetchall()
    assert actual and actual == expected


@pytest.mark.parametrize(
    ("lo", "hi", "monthly", "daily"),
    [
        (datetime(2026, 10, 1), datetime(2026, 12, 1), "[2026-10-01, 2026-12-01)", None),
        (
            datetime(2026, 9, 15),
            datetime(2026, 11, 1, 12),
            "[2026-10-01, 2026-11-01)",
            "[2026-11-01, 2026-11-01 12:00)",
        ),
        (datetime(2026, 10, 25), datetime(2026, 11, 2), None, "[2026-10-25, 2026-11-02)"),
        # Loaded up to 2 November: the rest of November is in its monthly row already.
        (
            datetime(2026, 10, 25),
            datetime(2026, 11, 20),
            "[2026-11-01, 2026-12-01)",
            "[2026-10-25, 2026-11-01)",
        ),
    ],
)
def test_whole_months_come_from_the_monthly_level_and_only_the_edges_from_the_daily(
    loaded, dataset_sql, lo, hi, monthly, daily
):
    """The point of it: the rows read are the monthly ones of whole months, plus edge days."""
    sql = _as_superset_renders(dataset_sql["layers_range"], lo, hi)
    read = loaded.execute(
        f"SELECT count(*) FROM ({sql}) AS v WHERE bucket >= %s AND bucket < %s", [lo, hi]
    ).fetchone()[0]
    expected = 0
    for relation, span in (("layers_monthly", monthly), ("layers_daily", daily)):
        if span:
            expected += loaded.execute(
                f"SELECT count(*) FROM analytics.{relation}"
                " WHERE bucket >= lower(%s::tsrange) AND bucket < upper(%s::tsrange)",
                [span, span],
            ).fetchone()[0]
    assert read == expected > 0


def test_month_bounds_follow_the_bucket_time_zone(loaded):
    last = "'2026-11-02 00:00+01'::timestamptz"  # the last daily bucket loaded
    assert (
        loaded.execute(
            "SELECT analytics.whole_months_start('2026-10-01') = '2026-10-01 00:00+02',"
            " analytics.whole_months_start('2026-10-01 00:00:01') = '2026-11-01 00:00+01',"
            " analytics.month_start('2026-11-30 23:00') = '2026-11-01 00:00+01',"
            f" analytics.loaded_since('2026-11-02', {last}),"
            f" NOT analytics.loaded_since('2026-11-02 00:00:01', {last}),"
            " NOT analytics.loaded_since('2026-11-02', NULL)"
        ).fetchone()
        == (True,) * 6
    )
