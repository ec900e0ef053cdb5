"""The provisioned dashboards, in a real Superset, against SQL over raw rows."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from superset_assets import bundle, settings

from tests.superset.conftest import DASHBOARDS, TIMEZONE, RunningSuperset
from tests.superset.raw_sql import replay

pytestmark = [pytest.mark.slow]

CHARTS = sorted(p.name.removesuffix(".yaml.j2") for p in (bundle.TEMPLATES / "charts").glob("*.j2"))


@pytest.fixture(scope="module")
def rendered(superset: RunningSuperset) -> bundle.Bundle:
    return bundle.render(settings.from_env(superset.env))


@pytest.fixture(scope="module")
def chart_ids(superset: RunningSuperset) -> dict[str, int]:
    return superset.client().chart_ids()


def test_every_dashboard_has_its_charts_and_time_and_site_filters(superset, rendered):
    client = superset.client()
    placed = set()
    for slug in DASHBOARDS:
        metadata = json.loads(client.dashboard(slug)["json_metadata"])
        filters = {f["name"]: f for f in metadata["native_filter_configuration"]}
        assert filters["Time range"]["filterType"] == "filter_time"
        assert filters["Site"]["targets"][0]["column"] == {"name": "site"}
        assert filters["Site"]["targets"][0]["datasetId"] > 0  # remapped from its UUID
        placed |= {c["slice_name"] for c in client.dashboard_charts(slug)}
    names = {c["slice_name"] for c in rendered.of_kind("charts").values()}
    assert placed == names, "every chart template is on a dashboard"


@pytest.mark.parametrize("name", CHARTS)
def test_chart_data_matches_sql_over_raw_rows(name, superset, rendered, chart_ids):
    chart = rendered.files[f"charts/{name}.yaml"]
    query = json.loads(chart["query_context"])["queries"][0]
    rows = superset.client().chart_data(chart_ids[chart["uuid"]])
    _compare(name, rows, query, _replay(superset, rendered, chart, query))


@pytest.mark.parametrize("name", CHARTS)
def test_chart_data_narrowed_by_site_and_one_local_day_matches_raw_rows(
    name, superset, rendered, chart_ids
):
    """What the dashboards' Site and Time range filters add to each chart's query."""
    chart = rendered.files[f"charts/{name}.yaml"]
    client = superset.client()
    context = json.loads(client.chart(chart_ids[chart["uuid"]])["query_context"])
    query = context["queries"][0]
    day = date.today() - timedelta(days=3)  # the first day loaded (conftest)
    query["time_range"] = f"{day}T00:00:00 : {day + timedelta(days=1)}T00:00:00"
    query["filters"].append({"col": "site", "op": "IN", "val": ["alpha"]})
    _compare(name, client.query_data(context), query, _replay(superset, rendered, chart, query))


def _replay(superset, rendered, chart, query):
    table = rendered.by_uuid()[chart["dataset_uuid"]]["table_name"]
    with psycopg.connect(superset.db.admin_url) as conn:
        return replay(conn, table, query, TIMEZONE)


def _compare(name, rows, query, replayed) -> None:
    """Every row Superset gives is the raw rows' answer, and no group is missing."""
    labels, raw = replayed
    assert rows, f"{name}: no data; the test data set must exercise every chart"
    for row in rows:
        key = tuple(row[label] for label in labels)
        assert key in raw, f"{name}: {key} is not in the raw rows"
        for metric, expected in raw[key].items():
            actual = row[metric]
            assert _same(actual, expected), f"{name} {key} {metric}: {actual} != {expected}"
    _check_limits(name, query, labels, rows, raw)


def _same(actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, str):  # a text metric (a user's organisation)
        return actual == expected
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-6)


def _check_limits(name, query, labels, rows, raw) -> None:
    """As many rows as the raw groups allow, and the top ones when the chart ranks."""
    series_limit = query.get("series_limit") or 0
    if series_limit:
        drawn = {tuple(r[x] for x in labels[1:]) for r in rows}
        assert len(drawn) == min(series_limit, len({key[1:] for key in raw})), name
        return
    assert len(rows) == min(query["row_limit"], len(raw)), name
    if query["orderby"] and len(raw) > len(rows):
        metric, ascending = query["orderby"][0]
        best = sorted((m[metric] for m in raw.values()), reverse=not ascending)[: len(rows)]
        assert sorted(float(r[metric]) for r in rows) == sorted(float(v) for v in best), name
