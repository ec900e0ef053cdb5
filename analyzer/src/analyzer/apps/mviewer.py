"""mviewer: a viewer page whose application is an XML file under ``apps/``.

``/mviewer/?config=apps/foo.xml`` loads the page, which then fetches
``/mviewer/apps/foo.xml``: that second request names the application without parsing
the query.
"""

from __future__ import annotations

from analyzer.apps.base import ActionTable, AppMatch, segments

NAME = "mviewer"
ROUTES = ("/mviewer",)

TABLE = ActionTable(NAME, {"proxy": "proxy"})
PAGE = AppMatch(NAME, action="page")
APP_CONFIG = AppMatch(NAME, action="app_config")


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if not parts or parts == ["index.html"]:
        return PAGE
    if parts[0] == "apps" and parts[-1].endswith(".xml"):
        return APP_CONFIG
    return TABLE.match(parts)
