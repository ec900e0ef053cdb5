"""GeoWebCache URL shapes: TMS paths, WMTS (KVP and RESTful), WMS-C, standalone or in GeoServer."""

from __future__ import annotations

from analyzer.apps import Router
from analyzer.apps import ogc as ogc_module

ROUTER = Router()


def ogc(path: str, query: str | None = None):
    found = ROUTER.classify("GET", path, query)
    assert found.app == "geowebcache"
    return found.ogc


def test_tms_tile_path_gives_layer_gridset_and_mime_type():
    info = ogc(
        "/geoserver/gwc/service/tms/1.0.0/cadastre%3Aparcelles@EPSG%3A900913@png/12/2048/1365.png"
    )
    assert (info.service, info.request) == ("TMS", "GetTile")
    assert info.layers == ["cadastre:parcelles"]
    assert info.crs == "EPSG:3857"  # GeoWebCache's EPSG:900913 gridset is Web Mercator
    assert info.format == "image/png"
    assert info.tiled


def test_tms_vector_tile_extension_gives_its_mime_type():
    info = ogc("/geoserver/gwc/service/tms/1.0.0/osm:roads@EPSG:3857@pbf/10/511/340.pbf")
    assert info.format == "application/vnd.mapbox-vector-tile"


def test_tms_service_root_is_a_capabilities_request():
    info = ogc("/geoserver/gwc/service/tms/1.0.0")
    assert (info.service, info.request, info.layers) == ("TMS", "GetCapabilities", [])


def test_wmts_kvp_gives_tile_matrix_set_as_crs():
    info = ogc(
        "/geoserver/gwc/service/wmts",
        "layer=ortho%3Aortho_2022&style=&tilematrixset=EPSG%3A3857&Service=WMTS&Request=GetTile"
        "&Version=1.0.0&Format=image%2Fjpeg&TileMatrix=EPSG%3A3857%3A15&TileCol=16245&TileRow=11302",
    )
    assert (info.service, info.request) == ("WMTS", "GetTile")
    assert info.layers == ["ortho:ortho_2022"]
    assert info.crs == "EPSG:3857"
    assert info.format == "image/jpeg"
    assert info.tiled
    assert not info.download


def test_wmts_named_tile_matrix_set_is_kept_as_written():
    info = ogc(
        "/geowebcache/service/wmts", "request=GetTile&layer=a:b&tilematrixset=PM&format=image/png"
    )
    assert info.crs == "PM"  # a gridset of another name stays as it is


def test_wmts_restful_tile():
    info = ogc(
        "/geoserver/gwc/service/wmts/rest/ortho:ortho_2022/raster/EPSG:3857/EPSG:3857:15/11302/16245",
        "format=image/jpeg",
    )
    assert (info.request, info.layers, info.crs) == ("GetTile", ["ortho:ortho_2022"], "EPSG:3857")
    assert info.format == "image/jpeg"


def test_wmts_restful_feature_info_uses_info_format():
    info = ogc(
        "/geoserver/gwc/service/wmts/rest/a:b/default/EPSG:4326/EPSG:4326:3/2/5/100/120",
        "format=application/json",
    )
    assert (info.request, info.crs, info.format) == (
        "GetFeatureInfo",
        "EPSG:4326",
        "application/json",
    )


def test_wmts_restful_capabilities():
    assert ogc("/geowebcache/service/wmts/rest/WMTSCapabilities.xml").request == "GetCapabilities"


def test_wms_c_requests_are_tiled_even_without_the_tiled_parameter():
    info = ogc(
        "/geowebcache/service/wms",
        "SERVICE=WMS&REQUEST=GetMap&LAYERS=topp:states&SRS=EPSG:900913&BBOX=0,0,10,10"
        "&WIDTH=256&HEIGHT=256&FORMAT=image/png",
    )
    assert (info.service, info.request, info.tiled) == ("WMS", "GetMap", True)
    assert (info.width, info.height) == (256, 256)


def test_rest_and_demo_pages_are_actions_not_ogc():
    seed = ROUTER.classify("POST", "/geowebcache/rest/seed/topp:states.json", None)
    demo = ROUTER.classify("GET", "/geoserver/gwc/demo/topp:states", "gridSet=EPSG:4326")
    assert (seed.app, seed.ogc, seed.action) == ("geowebcache", None, "rest_api")
    assert (demo.app, demo.ogc, demo.action) == ("geowebcache", None, "demo")


def test_rest_tiles_say_how_their_path_places_them_and_nothing_else_does():
    """`AppMatch.tile` reads a REST tile's last three segments as the module does: the
    fast path then describes the tiles of a layer once (tests/analyzer/test_fastpath.py)."""
    tms = "/geoserver/gwc/service/tms/1.0.0/ws:a@EPSG:900913@png/12/2027/2649.png"
    wmts = "/geowebcache/service/wmts/rest/a/default/EPSG:900913/EPSG:900913:12/1446/2027"
    for path in (tms, wmts):
        match = ROUTER.classify("GET", path, "format=image/png")
        prefix, matrix, first, second, suffix = ogc_module.split_tile_path(path)
        assert path == f"{prefix}/{matrix}/{first}/{second}{suffix}"
        assert match.tile is not None and match.ogc is not None
        assert match.tile.view(matrix, first, second) == (12, 2027, 1446)
        assert (match.ogc.view_zoom, match.ogc.view_x, match.ogc.view_y) == (12, 2027, 1446)
    for path, query in [
        ("/geoserver/gwc/service/tms/1.0.0/ws:a@EPSG:900913@png", None),  # a TileMap
        ("/geoserver/gwc/service/wmts/rest/a/default/EPSG:4326/EPSG:4326:3/2/5/100/120", None),
        ("/geoserver/gwc/service/wmts", "REQUEST=GetTile&LAYER=a&TILEMATRIXSET=EPSG:3857"),
    ]:
        assert ROUTER.classify("GET", path, query).tile is None


def test_only_paths_ending_in_a_tiles_indices_are_split():
    split = ogc_module.split_tile_path
    matrix = "EPSG%3A900913%3A7"
    assert split(f"/x/{matrix}/40/64.png") == ("/x", matrix, "40", "64", ".png")
    for path in ["/x/wms", "/x/12/3/4/", "/x/12/3/4.tar.gz", "/x/12/\u0663/4", "/x//3/4",
                 "/x/12/3/1234567890", "/x/a b/3/4", "3/4", "/12/3"]:  # fmt: skip
        assert split(path) is None, path
