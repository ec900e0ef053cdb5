"""The ledger ``analytics.ingested_files``: which file contents are already loaded.

The row of a file is written in the same transaction as its rows, so "in the ledger" and
"loaded" are the same fact: a crash rolls both back, a commit makes both visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from analyzer.db.discover import Candidate


@dataclass(slots=True)
class FileTotals:
    """What one load wrote, recorded in the file's ledger row."""

    lines: int = 0
    rejects: int = 0
    rows: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    seconds: float = 0.0

    def stretch(self, first: datetime | None, last: datetime | None) -> None:
        """Widen [first_ts, last_ts] to cover [first, last]."""
        if first is not None:
            self.first_ts = first if self.first_ts is None else min(self.first_ts, first)
        if last is not None:
            self.last_ts = last if self.last_ts is None else max(self.last_ts, last)


def known_fingerprints(conn: psycopg.Connection, site: str) -> set[str]:
    """Fingerprints of every file already loaded for ``site``."""
    rows = conn.execute(
        "SELECT fingerprint FROM analytics.ingested_files WHERE site = %s", (site,)
    ).fetchall()
    return {fingerprint for (fingerprint,) in rows}


def loaded_id(conn: psycopg.Connection, site: str, fingerprint: str) -> int | None:
    """The ledger id of the file of ``site`` with this content, if it was loaded."""
    row = conn.execute(
        "SELECT id FROM analytics.ingested_files WHERE site = %s AND fingerprint = %s",
        (site, fingerprint),
    ).fetchone()
    return int(row[0]) if row else None


def begin(conn: psycopg.Connection, site: str, candidate: Candidate) -> int:
    """Claim ``candidate`` for ``site`` inside the load transaction; return its file id.

    ``UNIQUE (site, fingerprint)`` makes a second claim of the same content fail, the
    last guard should two loaders ever get past the locks.
    """
    row = conn.execute(
        """
        INSERT INTO analytics.ingested_files
            (site, source, fingerprint, path, lines, rejects, rows, seconds)
        VALUES (%s, %s, %s, %s, 0, 0, 0, 0)
        RETURNING id
        """,
        (site, str(candidate.source.path), candidate.fingerprint, str(candidate.path)),
    ).fetchone()
    assert row is not None  # INSERT ... RETURNING always returns the row
    return int(row[0])


def finish(conn: psycopg.Connection, file_id: int, totals: FileTotals) -> None:
    """Record what the load wrote, still inside its transaction."""
    conn.execute(
        """
        UPDATE analytics.ingested_files
        SET lines = %s, rejects = %s, rows = %s, first_ts = %s, last_ts = %s, seconds = %s
        WHERE id = %s
        """,
        (
            totals.lines,
            totals.rejects,
            totals.rows,
            totals.first_ts,
            totals.last_ts,
            totals.seconds,
            file_id,
        ),
    )
