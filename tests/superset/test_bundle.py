"""Rendering the assets bundle: no Superset needed."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pytest
import yaml
from superset_assets import AssetsError, bundle, dashboards, settings

READER = "postgresql://analytics_reader:s3cr%40t@db.example:5433/analytics"


def _render(**env: str) -> bundle.Bundle:
    return bundle.render(settings.from_env({"ANALYTICS_READER_URL": READER, **env}))


def test_bundle_has_five_dashboards_each_with_time_and_site_filters():
    rendered = _render()
    slugs = {d["slug"]: d for d in rendered.of_kind("dashboards").values()}
    assert sorted(slugs) == ["catalog", "ogc-services", "overview", "quality", "territory", "users"]
    for dashboard in slugs.values():
        filters = dashboard["metadata"]["native_filter_configuration"]
        assert [f["filterType"] for f in filters[:2]] == ["filter_time", "filter_select"]
        assert filters[1]["targets"][0]["column"] == {"name": "site"}


def test_every_chart_carries_a_query_context_with_the_dashboard_time_hook():
    for path, chart in _render().of_kind("charts").items():
        query = json.loads(chart["query_context"])["queries"][0]
        assert query["metrics"], path
        assert {"col": "bucket", "op": "TEMPORAL_RANGE", "val": "No filter"} in query["filters"]


# Datasets without a client class, and why their charts need no filter on probes.
WITHOUT_CLIENT_CLASS = {
    "layers_range": "probes have no request_layers rows",
    "layer_latency_range": "probes have no request_layers rows",
    "territory_range": "probes have no request_layers rows",
    "latency_daily": "quality of service: probes included",
    "latency_range": "quality of service: probes included",
    "users_range": "signed-in users: probes are anonymous",
    "user_roles_range": "signed-in users: probes are anonymous",
    "user_orgs_daily": "signed-in users: probes are anonymous",
}


def test_usage_charts_leave_monitoring_probes_out_and_quality_charts_keep_them():
    """Every chart on a dataset with a client class filters it (usage: probes out), but the
    client classes pie, which shows them, and the Quality of service charts."""
    rendered = _render()
    datasets = rendered.by_uuid()
    quality = next(d for d in rendered.of_kind("dashboards").values() if d["slug"] == "quality")
    kept = {p["meta"]["uuid"] for k, p in quality["position"].items() if k.startswith("CHART-")}
    charts = rendered.of_kind("charts").values()
    kept.add(next(c["uuid"] for c in charts if c["params"].get("groupby") == ["agent_class"]))
    for chart in charts:
        columns = {c["column_name"] for c in datasets[chart["dataset_uuid"]]["columns"]}
        on_class = [
            (f["operator"], f["comparator"])
            for f in chart["params"]["adhoc_filters"]
            if f["subject"] == "agent_class"
        ]
        name, table = chart["slice_name"], datasets[chart["dataset_uuid"]]["table_name"]
        if "agent_class" not in columns:
            assert table in WITHOUT_CLIENT_CLASS, f"{name}: are probes in {table}?"
        elif name == "Monitoring probes":
            assert on_class == [("==", "probe")]
        elif chart["uuid"] in kept:
            assert on_class == [], name
        else:
            assert on_class in ([("!=", "probe")], [("==", "gis")]), name


def test_uuids_depend_on_template_paths_only():
    first = _render()
    other = bundle.render(
        settings.from_env(
            {
                "ANALYTICS_READER_URL": READER.replace("db.example", "elsewhere"),
                "ANALYTICS_TIMEZONE": "UTC",
                "ANALYTICS_SITES": "a,b",
            }
        )
    )
    assert {p: c["uuid"] for p, c in first.files.items()} == {
        p: c["uuid"] for p, c in other.files.items()
    }
    assert len(set(first.by_uuid())) == len(first.files)


def test_the_password_travels_apart_from_the_bundle():
    rendered = _render()
    archive = zipfile.ZipFile(io.BytesIO(rendered.to_zip()))
    assert all(b"s3cr@t" not in archive.read(name) for name in archive.namelist())
    database = yaml.safe_load(archive.read("georchestra_analytics/databases/analytics.yaml"))
    assert database["sqlalchemy_uri"] == (
        "postgresql+psycopg2://analytics_reader:XXXXXXXXXX@db.example:5433/analytics"
    )
    assert rendered.import_passwords() == {"databases/analytics.yaml": "s3cr@t"}
    assert "georchestra_analytics/metadata.yaml" in archive.namelist()


def test_time_zone_sets_the_session_and_the_local_day_of_every_dataset():
    rendered = _render(ANALYTICS_TIMEZONE="America/Cayenne")
    database = rendered.files["databases/analytics.yaml"]
    options = database["extra"]["engine_params"]["connect_args"]["options"]
    assert options == "-c timezone=America/Cayenne"
    for dataset in rendered.of_kind("datasets").values():
        days = [c for c in dataset["columns"] if c["column_name"] == "day"]
        if dataset["sql"]:  # a range dataset: months and days mixed, no day axis
            assert not days and "whole_months_start" in dataset["sql"]
            continue
        (day,) = days
        assert day["expression"] == "bucket AT TIME ZONE 'America/Cayenne'"


def test_sites_are_listed_under_each_dashboard_title():
    for dashboard in _render(ANALYTICS_SITES="rennes, brest").of_kind("dashboards").values():
        assert "Sites: rennes, brest" in dashboard["position"]["MARKDOWN-intro"]["meta"]["code"]


def test_a_chart_naming_an_unknown_metric_fails_naming_its_template(tmp_path):
    templates = tmp_path / "assets"
    shutil.copytree(bundle.TEMPLATES, templates)
    chart = templates / "charts" / "overview_top_orgs.yaml.j2"
    chart.write_text(chart.read_text().replace("[requests, bytes]", "[requests, hits]"))
    expected = r"charts/overview_top_orgs.yaml.j2: .* not in dataset requests_daily: hits"
    with pytest.raises(AssetsError, match=expected):
        bundle.render(settings.from_env({"ANALYTICS_READER_URL": READER}), templates)


def test_a_value_filter_leaves_out_charts_whose_dataset_lacks_its_column():
    with_org = {"uuid": "d1", "columns": [{"column_name": "org"}]}
    without = {"uuid": "d2", "columns": [{"column_name": "site"}]}
    charts = {
        "a": {"uuid": "c1", "slice_name": "A", "dataset_uuid": "d1"},
        "b": {"uuid": "c2", "slice_name": "B", "dataset_uuid": "d2"},
    }
    dashboard = {
        "dashboard_title": "T",
        "layout": [{"a": 6, "b": 6}],
        "filters": [{"name": "Organisation", "column": "org", "dataset_uuid": "d1"}],
    }
    dashboards.expand(dashboard, charts, {"d1": with_org, "d2": without})
    (org_filter,) = dashboard["metadata"]["native_filter_configuration"]
    assert org_filter["scope"]["excluded"] == [2]
    assert dashboard["position"]["CHART-b"]["meta"]["chartId"] == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set ANALYTICS_READER_URL"),
        ({"ANALYTICS_READER_URL": "mysql://u:p@h/d"}, "expected a postgresql:// URL"),
        ({"ANALYTICS_READER_URL": "postgresql://u@h/d"}, "user, password, host and database"),
        ({"ANALYTICS_READER_URL": READER, "ANALYTICS_TIMEZONE": "Mars/Olympus"}, "time zone"),
    ],
)
def test_settings_refuse_an_incomplete_environment(env, message):
    with pytest.raises(AssetsError, match=message):
        settings.from_env(env)


def test_settings_accept_the_parts_the_local_stack_gives():
    parts = {
        "ANALYTICS_DB_HOST": "127.0.0.1",
        "ANALYTICS_DB_PORT": "5432",
        "ANALYTICS_DB_NAME": "analytics",
        "ANALYTICS_READER_PASSWORD": "pw",
    }
    connection = settings.from_env(parts).connection
    assert (connection.user, connection.host, connection.port) == (
        "analytics_reader",
        "127.0.0.1",
        5432,
    )
