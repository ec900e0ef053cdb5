"""MapStore: the viewer page, maps and contexts loaded through its REST API, printing.

Fragments (``#/viewer/<id>``, ``#/context/<name>``) never reach the server: a map or a
context is only seen through the REST call that loads it.
"""

from __future__ import annotations

from analyzer.apps.base import ActionTable, AppMatch, segments

NAME = "mapstore"
ROUTES = ("/mapstore",)

TABLE = ActionTable(
    NAME,
    {
        "rest/geostore/data": "map_load",  # data/<id>: the content of a map or context
        "rest/geostore/misc/category/name/CONTEXT/resource/name": "context_load",
        "pdf": "print",
        "print": "print",
        "proxy": "proxy",
    },
)
PAGE = AppMatch(NAME, action="page")
PAGES = frozenset({"index.html", "embedded.html", "dashboard-embedded.html"})


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if not parts or (len(parts) == 1 and parts[0] in PAGES):
        return PAGE
    return TABLE.match(parts)
