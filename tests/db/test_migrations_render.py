"""Both editions' migrations render from the same templates (both are also applied to a real
server of each edition: see test_migrations.py)."""

from __future__ import annotations

import hashlib
import re

import pytest

from analyzer.db import migrate, templates
from analyzer.db.aggregates import AGGREGATES, template_context


def _rendered(edition: str) -> str:
    context = template_context(edition, "Europe/Paris")
    return "\n".join(
        templates.render(f"migrations/{m.name}", **context) for m in migrate.available()
    )


def test_timescale_edition_has_the_writer_create_continuous_aggregates_without_policies():
    sql = _rendered("timescale")
    created = sql.split("SET LOCAL ROLE analytics_writer;", 1)[1].split("RESET ROLE;", 1)[0]
    for agg in AGGREGATES:
        name = f"analytics.{agg.name}"
        assert re.search(
            rf"CREATE MATERIALIZED VIEW IF NOT EXISTS {name}\s+WITH \(timescaledb.continuous",
            created,
        ), agg.name
    assert "CREATE TABLE IF NOT EXISTS analytics.requests_hourly AS" not in sql
    # The owner cannot hand an aggregate over; the scheduler must not be needed.
    assert "OWNER TO" not in sql
    assert "add_continuous_aggregate_policy" not in sql
    assert "add_retention_policy" not in sql
    # The writer's CREATE on the schema lasts the migration's transaction only.
    assert sql.count("GRANT CREATE ON SCHEMA analytics TO analytics_writer") == sql.count(
        "REVOKE CREATE ON SCHEMA analytics FROM analytics_writer"
    )


# sha256 of the Apache rendering (Europe/Paris) of the texts that migrate.AMENDED accepts:
# amending a migration in place is only sound where what the Apache edition ran is unchanged.
APACHE_RENDERING_OF_AMENDED = {
    "0003": "fcff2c943d1b5b6ace04cd6a6e4421d3f421b2ad9f38a8c3c104be632894dce5",
    "0004": "ae52fdec0da55f175080afda1b40d5d9f6c486a56596153808747d097ccda25b",
}


@pytest.mark.parametrize("version", sorted(migrate.AMENDED))
def test_an_amended_migration_renders_for_the_apache_edition_as_it_did(version):
    (m,) = [m for m in migrate.available() if m.version == version]
    context = template_context("apache", "Europe/Paris")
    rendered = templates.render(f"migrations/{m.name}", **context)
    assert hashlib.sha256(rendered.encode()).hexdigest() == APACHE_RENDERING_OF_AMENDED[version]
    assert m.checksum not in migrate.AMENDED[version]


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
