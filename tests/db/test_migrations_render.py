"""Both editions' migrations render from the same templates (the Timescale-License one is
also checked on a real server when TEST_TIMESCALE_URL is set: see test_migrations.py)."""

from __future__ import annotations

import re

import pytest

from analyzer.db import migrate, templates
from analyzer.db.aggregates import AGGREGATES, template_context


def _rendered(edition: str) -> str:
    context = template_context(edition, "Europe/Paris")
    return "\n".join(
        templates.render(f"migrations/{m.name}", **context) for m in migrate.available()
    )


def test_timescale_edition_creates_continuous_aggregates_with_policies_handed_to_the_writer():
    sql = _rendered("timescale")
    for agg in AGGREGATES:
        name = f"analytics.{agg.name}"
        assert re.search(
            rf"CREATE MATERIALIZED VIEW IF NOT EXISTS {name}\s+WITH \(timescaledb.continuous", sql
        ), agg.name
        assert f"ALTER MATERIALIZED VIEW {name} OWNER TO analytics_writer" in sql
        assert f"add_continuous_aggregate_policy('{name}'" in sql
    assert "CREATE TABLE IF NOT EXISTS analytics.requests_hourly AS" not in sql


def test_apache_edition_creates_plain_tables_without_timescale_only_calls():
    sql = _rendered("apache")
    for agg in AGGREGATES:
        assert f"CREATE TABLE IF NOT EXISTS analytics.{agg.name} AS" in sql
    for licensed in ("timescaledb.continuous", "add_continuous_aggregate_policy",
                     "add_retention_policy", "refresh_continuous_aggregate"):  # fmt: skip
        assert licensed not in sql


@pytest.mark.parametrize("edition", ["apache", "timescale"])
def test_hierarchical_levels_read_the_level_below(edition):
    sql = _rendered(edition)
    for family in ("requests", "layers", "ogc", "catalog", "errors"):
        daily = sql.split(f"analytics.{family}_daily", 1)[1].split(";", 1)[0]
        assert f"FROM analytics.{family}_hourly" in daily
        monthly = sql.split(f"analytics.{family}_monthly", 1)[1].split(";", 1)[0]
        assert f"FROM analytics.{family}_daily" in monthly
