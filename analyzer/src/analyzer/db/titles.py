"""Titles of the catalogue records the dashboards show, from each site's GeoNetwork.

After a run's loads, the records of a site that have no title yet (or whose catalogue did
not know them a week ago) are asked from the site's GeoNetwork 4 in batches, through its
search API (``POST <catalog>/srv/api/search/records/_search``, the Elasticsearch query
geonetwork-ui uses), and stored in ``analytics.record_titles``. A catalogue that does not
answer costs a warning, never the run: the titles come at the next one.
"""

from __future__ import annotations

import json
import logging
import urllib.request

import psycopg

from analyzer.settings import SiteConfig

log = logging.getLogger(__name__)

BATCH = 200  # records per search request
MAX_PER_RUN = 2000  # records asked per site and run: a first run catches up over nights
TIMEOUT_SECONDS = 20

_MISSING_SQL = """
SELECT DISTINCT c.catalog_uuid FROM analytics.catalog_daily AS c
WHERE c.site = %(site)s AND c.catalog_uuid IS NOT NULL
  AND NOT EXISTS (
      SELECT FROM analytics.record_titles AS t
      WHERE t.site = c.site AND t.uuid = c.catalog_uuid
        AND (t.title IS NOT NULL OR t.fetched_at > now() - INTERVAL '7 days'))
LIMIT %(limit)s
"""
_STORE_SQL = """
INSERT INTO analytics.record_titles (site, uuid, title) VALUES (%s, %s, %s)
ON CONFLICT (site, uuid) DO UPDATE SET title = excluded.title, fetched_at = now()
"""


def update(conn: psycopg.Connection, sites: list[SiteConfig]) -> int:
    """Fetch the missing titles of every site with a catalogue; return how many were found."""
    found = 0
    for site in sites:
        if site.catalog:
            found += _update_site(conn, site.name, site.catalog)
    return found


def _update_site(conn: psycopg.Connection, site: str, catalog: str) -> int:
    params = {"site": site, "limit": MAX_PER_RUN}
    missing = [uuid for (uuid,) in conn.execute(_MISSING_SQL, params).fetchall()]
    found = 0
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        try:
            titles = search_titles(catalog, batch)
        except (OSError, ValueError) as exc:  # unreachable, an HTTP error, not JSON
            log.warning("%s: record titles not fetched from %s: %s", site, catalog, exc)
            return found
        with conn.transaction():
            for uuid in batch:
                conn.execute(_STORE_SQL, (site, uuid, titles.get(uuid)))
        found += len(titles)
    if missing:
        log.info("%s: %d record titles of %d fetched from %s", site, found, len(missing), catalog)
    return found


def search_titles(catalog: str, uuids: list[str]) -> dict[str, str]:
    """uuid -> title, of the records the catalogue knows among ``uuids``."""
    body = {
        "size": len(uuids),
        "_source": ["uuid", "resourceTitleObject"],
        "query": {"terms": {"uuid": uuids}},
    }
    request = urllib.request.Request(
        f"{catalog}/srv/api/search/records/_search",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        answer = json.load(response)
    titles = {}
    for hit in answer.get("hits", {}).get("hits", []):
        source = hit.get("_source", {})
        title = (source.get("resourceTitleObject") or {}).get("default")
        if source.get("uuid") and title:
            titles[source["uuid"]] = str(title)
    return titles
