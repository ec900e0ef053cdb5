"""Titles and OGC layers of the catalogue records the dashboards show, from each site's
GeoNetwork.

After a run's loads, the records of a site that were never asked, or whose answer is old,
are asked from the site's GeoNetwork 4 in batches, through its search API (``POST
<catalog>/srv/api/search/records/_search``, the Elasticsearch query geonetwork-ui uses).
Their titles go to ``analytics.record_titles``, and the layers their online resources
publish (protocol ``OGC:WMS``, ``OGC:WFS`` or ``OGC:WMTS``; the resource's name is the
layer) to ``analytics.record_layers``. A record is asked again once its answer is 30 days
old (a week when the catalogue did not know it), so that renamed records and new links
show. A catalogue that does not answer costs a warning, never the run: the titles come at
the next one.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

from analyzer.apps.base import segments
from analyzer.apps.geoserver import PATH_SERVICES
from analyzer.apps.ogc import qualify
from analyzer.settings import SiteConfig

log = logging.getLogger(__name__)

BATCH = 200  # records per search request
MAX_PER_RUN = 2000  # records asked per site and run: a first run catches up over nights
TIMEOUT_SECONDS = 20
# The online resources that publish a layer, by protocol (``OGC:WMS-1.3.0-http-get-map``
# is a WMS too), and the first path segments of a GeoServer URL that name no workspace.
_OGC_PROTOCOL = re.compile(r"OGC:(WMS|WFS|WMTS)", re.IGNORECASE)
_NOT_WORKSPACES = frozenset({*PATH_SERVICES, "gwc", "ogc"})

# Never asked first, then the oldest answers; those without a title after a week.
_MISSING_SQL = """
SELECT c.uuid FROM (
    SELECT DISTINCT catalog_uuid AS uuid FROM analytics.catalog_daily
    WHERE site = %(site)s AND catalog_uuid IS NOT NULL
) AS c
LEFT JOIN analytics.record_titles AS t ON t.site = %(site)s AND t.uuid = c.uuid
WHERE t.uuid IS NULL
   OR t.fetched_at < now() - CASE WHEN t.title IS NULL THEN INTERVAL '7 days'
                                  ELSE INTERVAL '30 days' END
ORDER BY t.fetched_at NULLS FIRST
LIMIT %(limit)s
"""
_STORE_SQL = """
INSERT INTO analytics.record_titles (site, uuid, title) VALUES (%s, %s, %s)
ON CONFLICT (site, uuid) DO UPDATE SET title = excluded.title, fetched_at = now()
"""
_FORGET_LAYERS_SQL = "DELETE FROM analytics.record_layers WHERE site = %s AND uuid = ANY(%s)"
_STORE_LAYER_SQL = "INSERT INTO analytics.record_layers (site, uuid, layer) VALUES (%s, %s, %s)"


@dataclass(frozen=True, slots=True)
class Record:
    """What the catalogue says of a record: its title and the layers it publishes."""

    title: str | None
    layers: frozenset[str] = frozenset()


def update(conn: psycopg.Connection, sites: list[SiteConfig]) -> int:
    """Fetch the missing records of every site with a catalogue; return how many were found."""
    found = 0
    for site in sites:
        if site.catalog:
            found += _update_site(conn, site.name, site.catalog)
    return found


def _update_site(conn: psycopg.Connection, site: str, catalog: str) -> int:
    params = {"site": site, "limit": MAX_PER_RUN}
    missing = [uuid for (uuid,) in conn.execute(_MISSING_SQL, params).fetchall()]
    found = 0  # records the catalogue knows
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        try:
            records = search_records(catalog, batch)
        except (OSError, ValueError) as exc:  # unreachable, an HTTP error, not JSON
            log.warning("%s: record titles not fetched from %s: %s", site, catalog, exc)
            return found
        _store(conn, site, batch, records)
        found += sum(uuid in records for uuid in batch)
    if missing:
        log.info("%s: %d records of %d found in %s", site, found, len(missing), catalog)
    return found


def _store(
    conn: psycopg.Connection, site: str, batch: list[str], records: dict[str, Record]
) -> None:
    """The batch's answers replace what was known of its records (a record the catalogue
    no longer knows keeps no title and no layers)."""
    answers = [(uuid, records.get(uuid, Record(None))) for uuid in batch]
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(_STORE_SQL, [(site, uuid, record.title) for uuid, record in answers])
        cursor.execute(_FORGET_LAYERS_SQL, (site, batch))
        cursor.executemany(
            _STORE_LAYER_SQL,
            [(site, uuid, layer) for uuid, record in answers for layer in sorted(record.layers)],
        )


def search_records(catalog: str, uuids: list[str]) -> dict[str, Record]:
    """uuid -> title and layers, of the records the catalogue knows among ``uuids``."""
    body = {
        "size": len(uuids),
        "_source": ["uuid", "resourceTitleObject", "link"],
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
    records = {}
    for hit in answer.get("hits", {}).get("hits", []):
        source = hit.get("_source", {})
        if source.get("uuid"):
            title = _text(source.get("resourceTitleObject"))
            records[source["uuid"]] = Record(title, frozenset(_layers(source.get("link"))))
    return records


def _layers(links: Any) -> Iterator[str]:
    """The layer names of a record's online resources with an OGC protocol."""
    for link in links if isinstance(links, list) else [links]:
        if not isinstance(link, dict):
            continue
        match = _OGC_PROTOCOL.match(str(link.get("protocol") or ""))
        name = _text(link.get("nameObject")) or _text(link.get("name"))
        if match and name:
            url = _text(link.get("urlObject")) or _text(link.get("url")) or ""
            yield qualify(name, _workspace(url), match.group(1).upper())


def _workspace(url: str) -> str | None:
    """The workspace of a GeoServer URL (``.../geoserver/<ws>/wms``), as the analyzer reads
    it from the requests it logs."""
    parts = segments(urlsplit(url).path)
    if "geoserver" not in parts:
        return None
    after = parts[parts.index("geoserver") + 1 :]
    if len(after) > 1 and after[0].lower() not in _NOT_WORKSPACES:
        return unquote(after[0])
    return None


def _text(value: Any) -> str | None:
    """A GeoNetwork multilingual field (``{"default": ..., "langfre": ...}``) or a string."""
    if isinstance(value, dict):
        value = value.get("default")
    text = str(value).strip() if value else ""
    return text or None
