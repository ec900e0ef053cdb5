"""Retention per level: raw rows, hourly, daily and monthly aggregates.

``analytics.apply_retention`` (migration 0004) does the work as the schema owner: it drops
raw chunks, then old aggregate rows (Apache licence) or old chunks of the continuous
aggregates (Timescale licence), right away: no retention policy, nothing waits on
TimescaleDB's scheduler. This module checks the periods first: each must outlast the
rebuild windows that read its level, or a refresh would rebuild aggregates from rows
already dropped.
"""

from __future__ import annotations

import logging

import psycopg

from analyzer import levels
from analyzer.db.aggregates import AGGREGATES, RAW_TABLES, Aggregate
from analyzer.errors import ConfigError, DatabaseError
from analyzer.levels import Retention

log = logging.getLogger(__name__)
# One argument per level, by name (migration 0004 names the parameters after the levels).
_APPLY_SQL = "SELECT relation, detail FROM analytics.apply_retention({})".format(
    ", ".join(f"{name} => %({name})s::interval" for name in levels.NAMES)
)


def _source_level(agg: Aggregate) -> str:
    if agg.source in RAW_TABLES:
        return "raw"
    return next(a.level for a in AGGREGATES if f"analytics.{a.name}" == agg.source)


def minimums() -> dict[str, list[str]]:
    """Per level, the rebuild windows its retention must outlast (its own, and its readers')."""
    needs: dict[str, set[str]] = {level: set() for level in levels.NAMES}
    for agg in AGGREGATES:
        needs[agg.level].add(agg.rebuild_window)
        needs[_source_level(agg)].add(agg.rebuild_window)
    return {level: sorted(windows) for level, windows in needs.items() if windows}


def check(conn: psycopg.Connection, retention: Retention) -> None:
    """Refuse a period that is not an interval or is shorter than a refresh window."""
    for level, windows in minimums().items():
        keep = retention[level]
        if keep is None:
            continue
        try:
            row = conn.execute(
                "SELECT %s::interval > ALL(%s::interval[])", [keep, windows]
            ).fetchone()
        except psycopg.errors.DataError as exc:
            raise ConfigError(f"retention.{level}: {keep!r} is not an interval") from exc
        if not (row and row[0]):
            raise ConfigError(
                f"retention.{level}: {keep!r} is shorter than the refresh window that reads "
                f"this level ({', '.join(windows)}); keep it longer, or forever"
            )


def apply(conn: psycopg.Connection, retention: Retention) -> list[tuple[str, str]]:
    """Apply ``retention``; return (relation, what was done) for each relation touched."""
    check(conn, retention)
    try:
        rows = conn.execute(_APPLY_SQL, dict(retention)).fetchall()
    except psycopg.Error as exc:
        raise DatabaseError(f"retention: {exc}") from exc
    for relation, detail in rows:
        # Most nights drop nothing: say so once instead of once per relation.
        level = logging.DEBUG if str(detail).startswith("0 ") else logging.INFO
        log.log(level, "retention: %s: %s", relation, detail)
    if all(str(detail).startswith("0 ") for _, detail in rows):
        log.info("retention: nothing to drop")
    return [(str(relation), str(detail)) for relation, detail in rows]
