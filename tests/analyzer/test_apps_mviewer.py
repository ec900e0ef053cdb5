"""mviewer URL shapes: the page and the XML file naming the application."""

from __future__ import annotations

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, query: str | None = None) -> str | None:
    found = ROUTER.classify("GET", path, query)
    assert (found.app, found.ogc, found.catalog) == ("mviewer", None, None)
    return found.action


def test_viewer_page_load():
    assert action("/mviewer/", "config=apps/urbanisme.xml") == "page"
    assert action("/mviewer/index.html") == "page"


def test_application_configuration_file():
    assert action("/mviewer/apps/urbanisme.xml", "timestamp=1700000000") == "app_config"
    assert action("/mviewer/apps/store/eau/eau.xml") == "app_config"


def test_proxy_and_static_assets():
    assert action("/mviewer/proxy/", "url=https%3A%2F%2Fexample.org") == "proxy"
    assert action("/mviewer/js/mviewer.js") is None
