"""Raw chunks into TimescaleDB's columnstore, once the nightly run no longer writes to them.

Timescale licence only (migration 0014): ``analytics.convert_to_columnstore`` converts, with
the owner's rights, the chunks of ``requests`` and ``request_layers`` that ended more than
``columnstore_after`` ago, and merges in what late rows or reloads changed in converted
ones. The run calls it after retention; nothing waits on TimescaleDB's scheduler.
"""

from __future__ import annotations

import logging

import psycopg

from analyzer.db.connect import edition
from analyzer.errors import DatabaseError

log = logging.getLogger(__name__)


def convert(conn: psycopg.Connection, after: str | None) -> list[tuple[str, str]]:
    """Convert the raw chunks older than ``after`` (None: never); (relation, what was done)."""
    if after is None or edition(conn) != "timescale":
        return []
    try:
        rows = conn.execute(
            "SELECT relation, detail FROM analytics.convert_to_columnstore(%s::interval)",
            [after],
        ).fetchall()
    except psycopg.Error as exc:
        raise DatabaseError(f"columnstore: {exc}") from exc
    for relation, detail in rows:
        level = logging.DEBUG if str(detail).startswith("0 ") else logging.INFO
        log.log(level, "columnstore: %s: %s", relation, detail)
    return [(str(relation), str(detail)) for relation, detail in rows]
