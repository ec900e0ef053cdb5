"""timescaledb/README.md is the schema contract other components code against: every
relation it lists has exactly the columns it lists, in that order."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from analyzer.db.aggregates import AGGREGATES
from analyzer.db.templates import sql_dir

README = (sql_dir() / "README.md").read_text()
RAW_TABLES = ("requests", "request_layers", "ingested_files")
FAMILIES = sorted(a.name.removesuffix("_hourly") for a in AGGREGATES if a.level == "hourly")
# Aggregates of one level, outside the hourly/daily/monthly families.
SINGLE = sorted(a.name for a in AGGREGATES if a.name.rsplit("_", 1)[0] not in FAMILIES)


def _section(heading: str) -> str:
    """The text under the ``###`` heading that starts with ``heading``, to the next one."""
    match = re.search(rf"^### {re.escape(heading)}.*?$(.*?)(?=^##)", README, re.S | re.M)
    assert match, f"README has no section starting {heading!r}"
    return match.group(1)


def _names(text: str) -> list[str]:
    """``a, b type, c`` -> ``[a, b, c]``: column names, without their types."""
    return [part.split()[0] for part in text.replace("\n", " ").split(",") if part.strip()]


def _raw_columns(table: str) -> list[str]:
    return re.findall(r"^\| `(\w+)` \|", _section(f"`analytics.{table}`"), re.M)


def _group(name: str) -> list[str]:
    """The columns of a shared measure group: quoted ``name type`` items and lat_ lists."""
    match = re.search(rf"^- \*\*{name}\*\*:(.*?)(?=^- \*\*|^###)", README, re.S | re.M)
    assert match, f"README has no measure group {name!r}"
    text = re.sub(r"\([^)]*\)", "", match.group(1).split("Mean:")[0])
    columns: list[str] = []
    for quoted in re.findall(r"`([^`]*)`", text):
        if quoted.startswith("lat_"):
            columns += _names(quoted)
        elif len(quoted.split()) > 1:  # "requests bigint"; a bare `duration_ms` is prose
            columns.append(quoted.split()[0])
    return columns


def _aggregate_columns(heading: str) -> list[str]:
    text = _section(heading)
    dimensions = re.search(r"Dimensions: `([^`]*)`", text)
    measures = re.search(r"Measures: (.*?)(?:;|\.\s*$)", text, re.S | re.M)
    assert dimensions and measures, f"README section {heading} lacks Dimensions or Measures"
    columns = _names(dimensions.group(1))
    for token in re.sub(r"\([^)]*\)", "", measures.group(1)).split(","):
        token = token.strip()
        columns += _group(token) if token in ("counts", "latency") else _names(token.strip("`"))
    return columns


def _columns(conn: psycopg.Connection, relation: str) -> list[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [f"analytics.{relation}"],
    ).fetchall()
    return [name for (name,) in rows]


@pytest.fixture(scope="module")
def owner(analytics_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(analytics_db.owner_url) as conn:
        yield conn


@pytest.mark.parametrize("table", RAW_TABLES)
def test_raw_tables_have_the_columns_the_readme_lists(owner, table):
    assert _columns(owner, table) == _raw_columns(table)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("level", ["hourly", "daily", "monthly"])
def test_aggregates_have_the_columns_the_readme_lists(owner, family, level):
    expected = _aggregate_columns(f"`{family}_{{hourly,daily,monthly}}`")
    assert _columns(owner, f"{family}_{level}") == expected


@pytest.mark.parametrize("name", SINGLE)
def test_single_level_aggregates_have_the_columns_the_readme_lists(owner, name):
    assert _columns(owner, name) == _aggregate_columns(f"`{name}`")


def test_the_readme_lists_every_aggregate():
    for agg in AGGREGATES:
        family = agg.name.rsplit("_", 1)[0]
        assert f"`{family}_{{hourly,daily,monthly}}`" in README or f"`{agg.name}`" in README
