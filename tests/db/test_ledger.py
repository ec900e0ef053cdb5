"""The ledger: a file content is claimed once per site, inside the load's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from analyzer.db import ledger
from analyzer.db.discover import Candidate
from analyzer.settings import LogSource
from tests.support.databases import TestDatabase

SOURCE = LogSource(Path("/var/log/nginx/access.log"))


def _candidate(fingerprint: str, name: str = "access.log.1") -> Candidate:
    return Candidate(SOURCE.path.with_name(name), SOURCE, fingerprint)


def test_a_claim_rolled_back_leaves_the_content_unknown(analytics_db: TestDatabase) -> None:
    with psycopg.connect(analytics_db.writer_url) as conn:
        with pytest.raises(RuntimeError), conn.transaction():
            ledger.begin(conn, "rennes", _candidate("a" * 64))
            raise RuntimeError("the load failed")

        assert "a" * 64 not in ledger.known_fingerprints(conn, "rennes")


def test_the_same_content_cannot_be_claimed_twice_for_a_site(analytics_db: TestDatabase) -> None:
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as conn:
        with conn.transaction():
            ledger.begin(conn, "brest", _candidate("b" * 64))
        with conn.transaction():
            ledger.begin(conn, "quimper", _candidate("b" * 64))  # another site may

        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            ledger.begin(conn, "brest", _candidate("b" * 64, "access.log.2.gz"))

        assert ledger.known_fingerprints(conn, "brest") == {"b" * 64}


def test_finish_records_what_the_load_wrote(analytics_db: TestDatabase) -> None:
    totals = ledger.FileTotals(lines=10, rejects=2, rows=8, seconds=1.5)
    totals.stretch(datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC))
    totals.stretch(datetime(2026, 11, 26, 9, tzinfo=UTC), None)

    with psycopg.connect(analytics_db.writer_url) as conn:
        file_id = ledger.begin(conn, "lorient", _candidate("c" * 64))
        ledger.finish(conn, file_id, totals)
        row = conn.execute(
            "SELECT source, path, lines, rejects, rows, first_ts, last_ts, seconds"
            " FROM analytics.ingested_files WHERE id = %s",
            [file_id],
        ).fetchone()

    assert row == (
        "/var/log/nginx/access.log", "/var/log/nginx/access.log.1", 10, 2, 8,
        datetime(2026, 11, 26, 9, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC), 1.5,
    )  # fmt: skip
