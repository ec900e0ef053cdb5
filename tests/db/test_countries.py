"""Clients by country: the nightly run stores each request's country and region, and the
countries aggregates count them as the raw rows do, on both editions.

The generated logs come with a GeoIP database of their clients' networks (`analyzer
generate`, generator.geoip): every client address is in it, some outside France.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import yaml

from analyzer.errors import ExitCode
from tests.db.ingest_support import configure, generate, rotated_valid_lines, run
from tests.support.databases import TestDatabase

SITES = ("alpha", "beta")


@pytest.fixture(scope="module")
def loaded(analytics_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory):
    generated = generate(tmp_path_factory.mktemp("logs"), "alpha:nginx,beta:secproxy", days=3)
    config = configure(generated.config, analytics_db.writer_url)
    assert yaml.safe_load(config.read_text())["geoip_database"]
    done = run(config)
    assert done.returncode == ExitCode.OK, done.stderr
    return generated


def test_every_request_of_a_known_network_has_its_country(loaded, analytics_db) -> None:
    with psycopg.connect(analytics_db.owner_url) as conn:
        located = dict(
            conn.execute(
                "SELECT site, count(*) FILTER (WHERE country IS NOT NULL) FROM analytics.requests"
                " GROUP BY site"
            ).fetchall()
        )
        countries = {
            row[0] for row in conn.execute("SELECT DISTINCT country FROM analytics.requests")
        }
        # The monitoring probes check from addresses of no generated network (data.PROBES).
        probes = dict(
            conn.execute(
                "SELECT site, count(*) FROM analytics.requests WHERE agent_class = 'probe'"
                " GROUP BY site"
            ).fetchall()
        )
    assert located == {site: rotated_valid_lines(loaded, site) - probes[site] for site in SITES}
    assert {"FR", "BE", "CA", "DE"} <= countries


@pytest.mark.parametrize("level", ["daily", "monthly"])
def test_the_countries_aggregates_count_what_the_raw_rows_hold(
    loaded, analytics_db: TestDatabase, level: str
) -> None:
    width = {"daily": "1 day", "monthly": "1 month"}[level]
    group = "site, app, country, region, agent_class, org"
    with psycopg.connect(analytics_db.owner_url) as conn:
        zone = conn.execute(
            "SELECT value FROM analytics.settings WHERE key = 'bucket_timezone'"
        ).fetchone()
        assert zone is not None
        raw = conn.execute(
            f"SELECT time_bucket('{width}', ts, %s) AS bucket, {group}, count(*),"
            " count(*) FILTER (WHERE status >= 400), sum(bytes)"
            f" FROM analytics.requests GROUP BY bucket, {group} ORDER BY 1, 2, 3, 4, 5, 6, 7",
            zone,
        ).fetchall()
    with psycopg.connect(analytics_db.reader_url) as conn:
        aggregated = conn.execute(
            f"SELECT bucket, {group}, requests, errors, bytes"
            f" FROM analytics.countries_{level} ORDER BY 1, 2, 3, 4, 5, 6, 7"
        ).fetchall()
    assert aggregated == raw


def test_a_run_without_a_database_leaves_countries_empty(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "gamma:nginx", days=2)
    config = configure(generated.config, analytics_db.writer_url, geoip_database=None)
    done = run(config)
    assert done.returncode == ExitCode.OK, done.stderr
    with psycopg.connect(analytics_db.owner_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(country), count(region) FROM analytics.requests"
            " WHERE site = 'gamma'"
        ).fetchone()
    assert row is not None and row[0] > 0 and row[1:] == (0, 0)
