"""Expand a dashboard template's short ``layout`` and ``filters`` into Superset's format.

``layout`` is a list of rows, each a mapping of chart name (the chart template's file
name) to width out of 12, or to ``[width, height]`` for a chart taller than the others
(a map). ``filters`` lists native filters: ``{name, time_range}`` for the
time range, ``{name, column, dataset_uuid}`` for a value list. A value filter applies to
every chart whose dataset has its column; the others are left out of its scope, since
Superset would otherwise send them a filter on a column they do not have.
``intro`` (optional) is Markdown shown above the charts.
"""

from __future__ import annotations

from typing import Any

from superset_assets import AssetsError

GRID_WIDTH = 12
CHART_HEIGHT = 50
ROOT_PARENTS = ["ROOT_ID", "GRID_ID"]
DEFAULT_METADATA = {
    "color_scheme": "supersetColors",
    "refresh_frequency": 0,
    "expanded_slices": {},
    "label_colors": {},
    "shared_label_colors": [],
    "timed_refresh_immune_slices": [],
    "cross_filters_enabled": False,
}


def expand(
    dashboard: dict[str, Any],
    charts: dict[str, dict[str, Any]],
    datasets: dict[str, dict[str, Any]],
) -> None:
    """Replace ``layout``/``filters``/``intro`` by ``position`` and native filters."""
    position, placed = _position(
        dashboard["dashboard_title"], dashboard.pop("layout"), dashboard.pop("intro", None), charts
    )
    dashboard["position"] = position
    metadata = {**DEFAULT_METADATA, **dashboard.get("metadata", {})}
    metadata["native_filter_configuration"] = [
        _native_filter(spec, placed, datasets) for spec in dashboard.pop("filters", [])
    ]
    dashboard["metadata"] = metadata


def _position(
    title: str, rows: list[dict[str, int]], intro: str | None, charts: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The v2 layout tree, and the charts placed in it by their id in this file."""
    placed: dict[int, dict[str, Any]] = {}
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": title}},
    }
    if intro:
        _add_row(position, "ROW-intro", [_markdown_node("MARKDOWN-intro", intro)])
    for index, row in enumerate(rows, start=1):
        sizes = {name: _size(size) for name, size in row.items()}
        if sum(width for width, _ in sizes.values()) > GRID_WIDTH:
            raise AssetsError(f"layout row {index} is wider than {GRID_WIDTH}")
        nodes = []
        for name, (width, height) in sizes.items():
            if name not in charts:
                raise AssetsError(f"layout row {index}: no chart template named {name!r}")
            placed[len(placed) + 1] = charts[name]
            nodes.append(_chart_node(name, len(placed), charts[name], width, height))
        _add_row(position, f"ROW-{index}", nodes)
    return position, placed


def _add_row(position: dict[str, Any], row_id: str, nodes: list[dict[str, Any]]) -> None:
    position["GRID_ID"]["children"].append(row_id)
    position[row_id] = {
        "type": "ROW",
        "id": row_id,
        "children": [node["id"] for node in nodes],
        "parents": list(ROOT_PARENTS),
        "meta": {"background": "BACKGROUND_TRANSPARENT"},
    }
    for node in nodes:
        node["parents"] = [*ROOT_PARENTS, row_id]
        position[node["id"]] = node


def _size(size: int | list[int]) -> tuple[int, int]:
    """(width, height) of a layout entry: a width, or [width, height]."""
    if isinstance(size, int):
        return size, CHART_HEIGHT
    width, height = size
    return width, height


def _chart_node(
    name: str, chart_id: int, chart: dict[str, Any], width: int, height: int
) -> dict[str, Any]:
    return {
        "type": "CHART",
        "id": f"CHART-{name}",
        "children": [],
        "meta": {
            "chartId": chart_id,
            "uuid": chart["uuid"],
            "sliceName": chart["slice_name"],
            "width": width,
            "height": height,
        },
    }


def _markdown_node(node_id: str, text: str) -> dict[str, Any]:
    meta = {"code": text, "width": GRID_WIDTH, "height": 12}
    return {"type": "MARKDOWN", "id": node_id, "children": [], "meta": meta}


def _native_filter(
    spec: dict[str, Any], placed: dict[int, dict[str, Any]], datasets: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    common = {
        "name": spec["name"],
        "type": "NATIVE_FILTER",
        "description": spec.get("description", ""),
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
    }
    if "time_range" in spec:
        value = spec["time_range"]
        return {
            **common,
            "id": "NATIVE_FILTER-time_range",
            "filterType": "filter_time",
            "targets": [{}],
            "controlValues": {"enableEmptyFilter": False},
            "defaultDataMask": {
                "extraFormData": {"time_range": value},
                "filterState": {"value": value},
            },
        }
    column, dataset_uuid = spec["column"], spec["dataset_uuid"]
    if dataset_uuid not in datasets or not _has_column(datasets[dataset_uuid], column):
        raise AssetsError(f"filter {spec['name']!r}: its dataset has no column {column!r}")
    common["scope"]["excluded"] = [
        chart_id
        for chart_id, chart in placed.items()
        if not _has_column(datasets[chart["dataset_uuid"]], column)
    ]
    return {
        **common,
        "id": f"NATIVE_FILTER-{column}",
        "filterType": "filter_select",
        "targets": [{"datasetUuid": dataset_uuid, "column": {"name": column}}],
        "controlValues": {
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "multiSelect": True,
            "searchAllOptions": False,
            "inverseSelection": False,
        },
        "defaultDataMask": {"extraFormData": {}, "filterState": {}},
    }


def _has_column(dataset: dict[str, Any], column: str) -> bool:
    return any(c["column_name"] == column for c in dataset.get("columns", []))
