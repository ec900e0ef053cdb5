"""Routing paths to application modules: geOrchestra defaults and per-site overrides."""

from __future__ import annotations

import pytest

from analyzer.apps import Router
from analyzer.apps.registry import MODULES
from analyzer.errors import ConfigError


@pytest.mark.parametrize(
    ("path", "app"),
    [
        ("/geoserver/wms", "geoserver"),
        ("/geoserver", "geoserver"),
        ("/geowebcache/service/wmts", "geowebcache"),
        ("/geoserver/gwc/service/wmts", "geowebcache"),
        ("/geonetwork/srv/eng/catalog.search", "geonetwork"),
        ("/mapstore/", "mapstore"),
        ("/datahub/", "datahub"),
        ("/console/account/new", "console"),
        ("/cadastrapp/services/getCommune", "cadastrapp"),
        ("/mviewer/", "mviewer"),
        ("/extractorapp/", "extractorapp"),
        ("/import/", "import"),
        ("/datafeeder/upload", "import"),
        ("/login", "login"),
        ("/cas/login", "login"),
        ("/header/", "other"),
        ("/", "other"),
        ("/wp-login.php", "other"),
        ("", "other"),
    ],
)
def test_default_routes_follow_georchestra(path, app):
    assert Router().classify("GET", path, None).app == app


def test_prefixes_match_whole_segments():
    assert Router().classify("GET", "/geoserverx/wms", None).app == "other"
    assert Router().classify("GET", "/geoserver/gwcx/service/wms", None).app == "geoserver"


def test_registry_holds_every_application_of_the_contract():
    assert set(MODULES) == {
        "geoserver", "geowebcache", "geonetwork", "datahub", "mapstore", "console",
        "cadastrapp", "mviewer", "extractorapp", "import", "login", "other",
    }  # fmt: skip


def test_site_route_sends_another_prefix_to_a_module():
    router = Router({"/ortho": "geoserver"})
    found = router.classify("GET", "/ortho", "service=WMS&request=GetMap&layers=ortho_2022")
    assert found.app == "geoserver"
    assert found.ogc.layers == ["ortho_2022"]


def test_site_route_replaces_a_default_and_accepts_a_trailing_slash():
    router = Router({"/geonetwork/": "other", "/catalogue": "geonetwork"})
    assert router.classify("GET", "/geonetwork/srv/eng/catalog.search", None).app == "other"
    assert (
        router.classify("GET", "/catalogue/srv/eng/catalog.search", None).catalog.action == "page"
    )


def test_site_route_for_root_replaces_the_fallback():
    router = Router({"/": "geoserver"})
    assert router.classify("GET", "/wms", "request=GetMap&layers=a:b").app == "geoserver"
    assert router.classify("GET", "/mapstore/", None).app == "mapstore"


def test_unknown_module_in_site_routes_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"'/carto' -> 'qgis-server': unknown application"):
        Router({"/carto": "qgis-server"})


def test_site_route_without_leading_slash_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'geoserver': a prefix starts with '/'"):
        Router({"geoserver": "geoserver"})


# A GetMap as any OGC module's routes may receive it: the router cuts BBOX, WIDTH and
# HEIGHT out of the query before a module describes it (apps/base.py), and reads them
# back only for a description that says how (AppMatch.placing).
GETMAP = (
    "SERVICE=WMS&REQUEST=GetMap&LAYERS=ws:roads&CRS=EPSG:3857&BBOX=1,2,3,4&WIDTH=256&HEIGHT=512"
)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_describing_a_kvp_request_gets_its_placing_back(name):
    router = Router()
    paths = [
        f"{route}{endpoint}"
        for route in MODULES[name].ROUTES
        for endpoint in ("", "/wms", "/ows", "/service/wms", "/ws/wms")
    ]
    described = [
        match.ogc
        for path in paths
        if (match := router.classify("GET", path, GETMAP)).ogc is not None
    ]
    for info in described:
        assert (info.bbox, info.width, info.height) == ([1.0, 2.0, 3.0, 4.0], 256, 512), name
