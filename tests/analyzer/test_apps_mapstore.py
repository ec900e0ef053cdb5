"""MapStore URL shapes: maps and contexts are only seen through their REST calls."""

from __future__ import annotations

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, query: str | None = None, method: str = "GET") -> str | None:
    found = ROUTER.classify(method, path, query)
    assert (found.app, found.ogc, found.catalog) == ("mapstore", None, None)
    return found.action


def test_viewer_page_load():
    assert action("/mapstore/") == "page"
    assert action("/mapstore/index.html") == "page"
    assert action("/mapstore/embedded.html") == "page"


def test_map_content_load_through_the_geostore_data_api():
    assert action("/mapstore/rest/geostore/data/1042") == "map_load"


def test_context_load_by_name():
    path = "/mapstore/rest/geostore/misc/category/name/CONTEXT/resource/name/urbanisme"
    assert action(path) == "context_load"


def test_printing_and_proxy():
    assert action("/mapstore/pdf/create.json", method="POST") == "print"
    assert action("/mapstore/proxy/", "url=https%3A%2F%2Fexample.org%2Fwms") == "proxy"


def test_static_assets_and_other_api_calls_have_no_action():
    assert action("/mapstore/dist/ms2-geostore.js") is None
    assert action("/mapstore/rest/geostore/resources/search/list", "start=0") is None
    assert action("/mapstore/configs/localConfig.json") is None
