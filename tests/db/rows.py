"""Loading synthetic rows the way the nightly job does, for the schema's tests.

A "file" is a ledger row plus its rows, written in one transaction by the writer role,
with the rollups refreshed inside it (Apache licence) and after the commit (Timescale).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from analyzer.db import aggregates

_FIXTURE = Path(__file__).parent / "fixtures" / "synthetic_requests.sql"
# Statements with parameters go one at a time (the extended protocol takes one).
SYNTHETIC_SQL = [s for s in _FIXTURE.read_text().split(";\n") if s.strip()]
# A part for the schemas that have a column: /*table.column*/ ... /*end*/.
_OPTIONAL = re.compile(r"/\*(\w+)\.(\w+)\*/(.*?)/\*end\*/", re.S)


def load_file(
    conn: psycopg.Connection,
    site: str,
    start: datetime,
    span: timedelta,
    rows: int,
    *,
    settle: bool = True,
) -> int:
    """Load ``rows`` synthetic requests of ``site`` over [start, start + span); file id.

    ``settle=False`` stops after the commit, as a run killed before its refresh would.
    """
    with loading_file(conn, site, settle=settle) as file_id:
        params = {"site": site, "file_id": file_id, "start": start, "span": span, "n": rows}
        for statement in SYNTHETIC_SQL:
            conn.execute(_for_schema(conn, statement), params)
    return file_id


def _for_schema(conn: psycopg.Connection, statement: str) -> str:
    """`statement` without the parts whose column the schema does not have yet."""

    def kept(part: re.Match[str]) -> str:
        table, column, text = part.groups()
        return text if _has_column(conn, table, column) else ""

    return _OPTIONAL.sub(kept, statement)


def _has_column(conn: psycopg.Connection, table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'analytics'"
        " AND table_name = %s AND column_name = %s)",
        [table, column],
    ).fetchone()
    return bool(row and row[0])


@contextmanager
def loading_file(conn: psycopg.Connection, site: str, *, settle: bool = True) -> Iterator[int]:
    """A file of ``site`` loaded as the nightly job loads it: its ledger row, then the rows
    the block writes (with the file id it is given), the ledger's span and the rollups in
    the same transaction, and the refresh after the commit unless ``settle`` is False."""
    with conn.transaction():
        (file_id,) = conn.execute(
            "INSERT INTO analytics.ingested_files (site, source, fingerprint, path)"
            " VALUES (%s, 'access.log', gen_random_uuid()::text, 'access.log.1') RETURNING id",
            [site],
        ).fetchone()
        yield file_id
        rows, first, last = conn.execute(
            "SELECT count(*), min(ts), max(ts) FROM analytics.requests WHERE file_id = %s",
            [file_id],
        ).fetchone()
        conn.execute(
            "UPDATE analytics.ingested_files SET rows = %s, first_ts = %s, last_ts = %s"
            " WHERE id = %s",
            [rows, first, last, file_id],
        )
        aggregates.refresh_rollups(conn, site, first, last)
    if settle:
        aggregates.refresh_after_commit(conn)
