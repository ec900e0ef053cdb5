"""Provisioning again updates the dashboards in place; Superset reads as the reader role."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from superset_assets import AssetsError, bundle, settings

from tests.superset.conftest import RunningSuperset

pytestmark = [pytest.mark.slow]

CHART = "overview_top_orgs"


def _provision(superset: RunningSuperset, rendered: bundle.Bundle) -> None:
    superset.client().import_assets(rendered.to_zip(), rendered.import_passwords())


def test_editing_a_chart_template_and_provisioning_again_changes_that_chart(superset, tmp_path):
    templates = tmp_path / "assets"
    shutil.copytree(bundle.TEMPLATES, templates)
    template = templates / "charts" / f"{CHART}.yaml.j2"
    text = template.read_text()
    assert "slice_name: Top organisations\n" in text and "row_limit: 15\n" in text
    template.write_text(
        text.replace(
            "slice_name: Top organisations\n", "slice_name: Top 3 organisations\n"
        ).replace("row_limit: 15\n", "row_limit: 3\n")
    )
    client = superset.client()
    before = client.chart_ids()
    chart_uuid = bundle.asset_uuid(f"charts/{CHART}")
    try:
        _provision(superset, bundle.render(settings.from_env(superset.env), templates))
        after = client.chart_ids()
        assert after == before, "updated in place: same charts, same ids"
        assert client.chart(after[chart_uuid])["slice_name"] == "Top 3 organisations"
        assert len(client.chart_data(after[chart_uuid])) == 3
    finally:
        _provision(superset, bundle.render(settings.from_env(superset.env)))
    assert client.chart(before[chart_uuid])["slice_name"] == "Top organisations"


def test_superset_queries_run_as_the_reader_role_which_sees_no_raw_rows(superset):
    client = superset.client()
    databases = client.request("GET", "/api/v1/database/")["result"]
    (database,) = [d for d in databases if d["database_name"] == "geOrchestra Analytics"]

    def run(query: str) -> list[dict]:
        body = {"database_id": database["id"], "sql": query, "runAsync": False}
        return client.request("POST", "/api/v1/sqllab/execute/", json=body)["data"]

    # Superset refuses current_user in SQL; ask what the connection's role may do instead.
    rights = "SELECT has_table_privilege({!r}, {!r}) AS granted"
    assert run(rights.format("analytics.requests_daily", "SELECT")) == [{"granted": True}]
    assert run(rights.format("analytics.requests_daily", "INSERT")) == [{"granted": False}]
    assert run(rights.format("analytics.requests", "SELECT")) == [{"granted": False}]
    assert run("SELECT count(*) > 0 AS ok FROM analytics.requests_daily") == [{"ok": True}]
    for table in ("analytics.requests", "analytics.request_layers", "analytics.ingested_files"):
        with pytest.raises(AssetsError, match="permission denied"):
            run(f"SELECT * FROM {table} LIMIT 1")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1 FROM analytics.requests LIMIT 1",
        "SELECT 1 FROM analytics.ingested_files LIMIT 1",
        "INSERT INTO analytics.requests_daily (bucket, site) VALUES (now(), 'x')",
        "DELETE FROM analytics.users_daily",
        "UPDATE analytics.settings SET value = 'x'",
        "CREATE TABLE analytics.intruder (id int)",
        "CREATE TABLE public.intruder (id int)",
    ],
)
def test_the_reader_role_cannot_read_raw_rows_nor_write_nor_create(statement, superset):
    with (
        psycopg.connect(superset.db.reader_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)
