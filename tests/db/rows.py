"""Loading synthetic rows the way the nightly job does, for the schema's tests.

A "file" is a ledger row plus its rows, written in one transaction by the writer role,
with the rollups refreshed inside it (Apache licence) and after the commit (Timescale).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from analyzer.db import aggregates

_FIXTURE = Path(__file__).parent / "fixtures" / "synthetic_requests.sql"
# Statements with parameters go one at a time (the extended protocol takes one).
SYNTHETIC_SQL = [s for s in _FIXTURE.read_text().split(";\n") if s.strip()]


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
    with conn.transaction():
        (file_id,) = conn.execute(
            "INSERT INTO analytics.ingested_files (site, source, fingerprint, path)"
            " VALUES (%s, 'access.log', gen_random_uuid()::text, 'access.log.1') RETURNING id",
            [site],
        ).fetchone()
        params = {"site": site, "file_id": file_id, "start": start, "span": span, "n": rows}
        for statement in SYNTHETIC_SQL:
            conn.execute(statement, params)
        first, last = conn.execute(
            "SELECT min(ts), max(ts) FROM analytics.requests WHERE file_id = %s", [file_id]
        ).fetchone()
        conn.execute(
            "UPDATE analytics.ingested_files SET rows = %s, first_ts = %s, last_ts = %s"
            " WHERE id = %s",
            [rows, first, last, file_id],
        )
        aggregates.refresh_rollups(conn, site, first, last)
    if settle:
        aggregates.refresh_after_commit(conn)
    return file_id
