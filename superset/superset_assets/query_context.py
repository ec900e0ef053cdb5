"""A chart's ``query_context`` derived from its ``params``, as Superset's frontend would.

The browser builds its own query from ``params`` when it draws a chart; the saved
``query_context`` is what ``/api/v1/chart/<id>/data/`` (tests, alerts, thumbnails) runs.
Deriving it here keeps the two from drifting. Its query is left flat (no pivot
post-processing): one row per group, easy to compare with SQL.
"""

from __future__ import annotations

import json
from typing import Any

from superset_assets import AssetsError

TIMESERIES = frozenset(
    {"echarts_timeseries_bar", "echarts_timeseries_line", "echarts_area", "echarts_timeseries"}
)
# Operators that take no comparator.
UNARY = frozenset({"IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"})
NO_FILTER = "No filter"


def complete(chart: dict[str, Any], dataset: dict[str, Any]) -> None:
    """Fill in the chart's defaults and its query_context; check names against the dataset."""
    params = chart["params"]
    params["viz_type"] = chart["viz_type"]
    filters = params.setdefault("adhoc_filters", [])
    if not any(f.get("operator") == "TEMPORAL_RANGE" for f in filters):
        # The hook the dashboard's time range filter sets.
        filters.insert(0, simple_filter(dataset["main_dttm_col"], "TEMPORAL_RANGE", NO_FILTER))
    for f in filters:
        f.setdefault("clause", "WHERE")
        f.setdefault("expressionType", "SIMPLE")
    _check_names(chart, dataset)
    chart["query_context"] = json.dumps(build(params))


def simple_filter(column: str, operator: str, comparator: Any = None) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "subject": column,
        "operator": operator,
        "comparator": comparator,
        "clause": "WHERE",
    }


def chart_metrics(params: dict[str, Any]) -> list[str]:
    """A chart's metrics: `metrics`, `metric`, or a deck.gl chart's `size`."""
    return list(params.get("metrics") or [params.get("metric") or params["size"]])


def chart_groupby(params: dict[str, Any]) -> list[str]:
    """What a chart groups by: `groupby`, or a deck.gl chart's point (`spatial`), which
    its own query groups by (a `groupby` naming them too would be refused as duplicates)."""
    spatial = params.get("spatial")
    if spatial and spatial.get("type") == "latlong":
        return [spatial["lonCol"], spatial["latCol"]]
    return list(params.get("groupby", []))


def build(params: dict[str, Any]) -> dict[str, Any]:
    """The query context of a saved chart (its datasource id is remapped at import)."""
    metrics = chart_metrics(params)
    groupby = chart_groupby(params)
    timeseries = params["viz_type"] in TIMESERIES
    columns = [_time_axis(params), *groupby] if timeseries else groupby
    query = {
        "filters": [_query_filter(f) for f in params["adhoc_filters"]],
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "columns": columns,
        "metrics": metrics,
        "orderby": _orderby(params, metrics, timeseries),
        "annotation_layers": [],
        "row_limit": params.get("row_limit", 10000),
        "series_columns": groupby if timeseries else [],
        "series_limit": params.get("series_limit", 0),
        "series_limit_metric": params.get("series_limit_metric"),
        "order_desc": params.get("order_desc", True),
        "time_range": params.get("time_range", NO_FILTER),
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    }
    return {
        "datasource": {"id": 0, "type": "table"},  # remapped by the import
        "force": False,
        "queries": [query],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }


def _orderby(params: dict[str, Any], metrics: list[str], timeseries: bool) -> list[list[Any]]:
    """Rankings sort on their metric; a time series sorts only to pick its top series."""
    if timeseries:
        limited = params.get("series_limit")
        return [[params.get("series_limit_metric") or metrics[0], False]] if limited else []
    if not params.get("groupby"):
        return []
    sort = params.get("timeseries_limit_metric") or metrics[0]
    return [[sort, not params.get("order_desc", True)]]


def _time_axis(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "timeGrain": params["time_grain_sqla"],
        "columnType": "BASE_AXIS",
        "sqlExpression": params["x_axis"],
        "label": params["x_axis"],
        "expressionType": "SQL",
        "isColumnReference": True,  # a dataset column, not free SQL (as the frontend says)
    }


def _query_filter(adhoc: dict[str, Any]) -> dict[str, Any]:
    if adhoc["expressionType"] != "SIMPLE":
        raise AssetsError(f"only SIMPLE adhoc filters are supported, got {adhoc}")
    result = {"col": adhoc["subject"], "op": adhoc["operator"]}
    if adhoc["operator"] not in UNARY:
        result["val"] = adhoc["comparator"]
    return result


def _check_names(chart: dict[str, Any], dataset: dict[str, Any]) -> None:
    params = chart["params"]
    metrics = {m["metric_name"] for m in dataset.get("metrics", [])}
    columns = {c["column_name"] for c in dataset.get("columns", [])}
    wanted_metrics = [*chart_metrics(params), params.get("timeseries_limit_metric")]
    wanted_columns = [*chart_groupby(params), params.get("x_axis")]
    wanted_columns += [f["subject"] for f in params["adhoc_filters"]]
    unknown = [m for m in wanted_metrics if m and m not in metrics]
    unknown += [c for c in wanted_columns if c and c not in columns]
    if unknown:
        raise AssetsError(
            f"chart {chart['slice_name']!r}: not in dataset {dataset['table_name']}: "
            + ", ".join(map(str, unknown))
        )
