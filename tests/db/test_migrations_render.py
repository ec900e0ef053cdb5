"""Both editions' migrations render from the same templates (both are also applied to a real
server of each edition: see test_migrations.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.db import aggregates, migrate, templates
from analyzer.db.aggregates import AGGREGATES, Aggregate, aggregates_until, template_context


def _rendered(edition: str) -> str:
    context = template_context(edition, "Europe/Paris")
    return "\n".join(
        templates.render(f"migrations/{m.name}", **context) for m in migrate.available()
    )


def test_timescale_edition_has_the_writer_create_continuous_aggregates_without_policies():
    sql = _rendered("timescale")
    created = "".join(  # what each migration creates as the writer
        part.split("RESET ROLE;", 1)[0]
        for part in sql.split("SET LOCAL ROLE analytics_writer;")[1:]
    )
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


PINNED = Path(__file__).parent / "fixtures" / "migration_renderings.txt"
# The Apache renderings of 0003 and 0004 before they were amended for the Timescale edition
# (migrate.EARLIER_TEXTS): amending them in place was only sound because these stayed.
APACHE_BEFORE_AMENDING = {
    "0003": "fcff2c943d1b5b6ace04cd6a6e4421d3f421b2ad9f38a8c3c104be632894dce5",
    "0004": "ae52fdec0da55f175080afda1b40d5d9f6c486a56596153808747d097ccda25b",
}


def _pinned() -> dict[tuple[str, str], str]:
    lines = [line.split() for line in PINNED.read_text().splitlines() if line[:1].isdigit()]
    return {(version, edition): sha for version, edition, sha in lines}


def test_every_migration_renders_what_databases_ran():
    """Frozen: a change to a migration, a template it includes or an aggregate definition
    that alters what a past migration renders fails here (and `db migrate` refuses it)."""
    pinned = _pinned()
    rendered = {}
    for edition in ("apache", "timescale"):
        context = template_context(edition, "Europe/Paris")
        for m in migrate.available():
            rendered[(m.version, edition)] = migrate.checksum(m.render(context))
    changed = sorted(key for key in pinned if rendered.get(key) != pinned[key])
    assert changed == [], "a past migration renders differently: put the change in a new one"
    new = sorted(f"{v} {e} {sha}" for (v, e), sha in rendered.items() if (v, e) not in pinned)
    assert new == [], f"add to {PINNED.name}:\n" + "\n".join(new)


@pytest.mark.parametrize("version", sorted(APACHE_BEFORE_AMENDING))
def test_an_amended_migration_renders_for_the_apache_edition_as_it_did(version):
    assert _pinned()[(version, "apache")] == APACHE_BEFORE_AMENDING[version]
    (m,) = [m for m in migrate.available() if m.version == version]
    assert m.text_checksum not in migrate.EARLIER_TEXTS[version]


def test_a_new_aggregate_leaves_every_earlier_migration_as_it_rendered(monkeypatch):
    """An aggregate that the next migration would add."""
    latest = migrate.available()[-1].version
    following = f"{int(latest) + 1:04d}"
    later = Aggregate(
        "requests_weekly", "daily", "requests_rollup.sql", "analytics.requests_daily", following
    )
    monkeypatch.setattr(aggregates, "AGGREGATES", (*AGGREGATES, later))
    assert later in aggregates_until(following) and later not in aggregates_until(latest)
    pinned = _pinned()
    context = template_context("timescale", "Europe/Paris")
    for m in migrate.available():
        assert migrate.checksum(m.render(context)) == pinned[(m.version, "timescale")], m.name
