"""geonetwork-ui's datahub: a single-page application served below /datahub.

The server sees a page load when a user opens or reloads a datahub URL: the home and
its tabs (``home/search``, ``home/news``, ``home/organisations``), ``search``,
``organization/<name>``, and a record page (``dataset/<uuid>``, ``service/<uuid>``,
``reuse/<uuid>``). Navigation inside the application only calls GeoNetwork's API, which
the geonetwork module counts. Static assets have no catalog action.
"""

from __future__ import annotations

from urllib.parse import unquote

from analyzer.apps.base import AppMatch, is_static, segments
from analyzer.record import CatalogInfo

NAME = "datahub"
ROUTES = ("/datahub",)

NOTHING = AppMatch(NAME)
PAGE = AppMatch(NAME, catalog=CatalogInfo("page"))
PAGES = frozenset({"index.html", "home", "search", "news", "organisations", "organization"})
RECORD_PAGES = frozenset({"dataset", "service", "reuse"})


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    if method not in ("GET", "HEAD"):
        return NOTHING
    parts = segments(subpath)
    if not parts or parts[0] in PAGES:
        return PAGE
    if parts[0] in RECORD_PAGES and len(parts) >= 2 and not is_static(subpath):
        return AppMatch(NAME, catalog=CatalogInfo("metadata_view", unquote(parts[1])))
    return NOTHING
