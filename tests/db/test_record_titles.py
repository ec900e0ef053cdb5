"""Record titles from the site's GeoNetwork 4, fetched after the nightly run.

A local HTTP server answers the search API (``POST /srv/api/search/records/_search``) with
the shape GeoNetwork 4 documents (an Elasticsearch response whose sources hold ``uuid``
and ``resourceTitleObject.default``), as geonetwork-ui reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from analyzer.errors import ExitCode
from tests.db.ingest_support import configure, generate, run
from tests.support.catalogue import Catalogue, serving


@pytest.fixture
def catalogue() -> Iterator[Catalogue]:
    with serving() as server:
        yield server


class _Everything(set[str]):
    def __contains__(self, item: object) -> bool:
        return True


def _site_with_catalogue(root: Path, database_url: str, catalog: str, site: str) -> Path:
    generated = generate(root, f"{site}:secproxy", days=2)
    document = yaml.safe_load(generated.config.read_text())
    document["sites"][0]["catalog"] = catalog
    generated.config.write_text(yaml.safe_dump(document))
    return configure(generated.config, database_url)


def _records(url: str, site: str) -> tuple[set[str], dict[str, str | None]]:
    with psycopg.connect(url) as conn:
        viewed = {
            uuid
            for (uuid,) in conn.execute(
                "SELECT DISTINCT catalog_uuid FROM analytics.catalog_daily"
                " WHERE site = %s AND catalog_uuid IS NOT NULL",
                [site],
            )
        }
        titles = dict(
            conn.execute("SELECT uuid, title FROM analytics.record_titles WHERE site = %s", [site])
        )
    return viewed, titles


def test_each_record_viewed_gets_its_title_once(analytics_db, tmp_path, catalogue) -> None:
    config = _site_with_catalogue(tmp_path, analytics_db.writer_url, catalogue.url, "cat")
    assert run(config).returncode == ExitCode.OK

    viewed, titles = _records(analytics_db.writer_url, "cat")
    assert viewed and set(titles) == viewed
    assert all(titles[uuid] == f"Plan {uuid[:8]}" for uuid in viewed)
    asked = len(catalogue.asked)
    assert sorted(catalogue.asked) == sorted(viewed)  # each once
    assert run(config).returncode == ExitCode.OK
    assert len(catalogue.asked) == asked  # nothing asked again


def test_a_record_the_catalogue_does_not_know_keeps_no_title(
    analytics_db, tmp_path, catalogue
) -> None:
    config = _site_with_catalogue(tmp_path, analytics_db.writer_url, catalogue.url, "private")
    catalogue.unknown = _Everything()  # every record: deleted or private

    assert run(config).returncode == ExitCode.OK

    viewed, titles = _records(analytics_db.writer_url, "private")
    assert viewed and titles == dict.fromkeys(viewed)


def test_a_catalogue_that_does_not_answer_costs_a_warning_not_the_run(
    analytics_db, tmp_path, catalogue
) -> None:
    down = catalogue.url.replace(str(catalogue.server_address[1]), "9")  # nothing listens
    config = _site_with_catalogue(tmp_path, analytics_db.writer_url, down, "offline")

    done = run(config)

    assert done.returncode == ExitCode.OK
    assert f"offline: record titles not fetched from {down}" in done.stderr
    viewed, titles = _records(analytics_db.writer_url, "offline")
    assert viewed and titles == {}
