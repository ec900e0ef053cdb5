"""GeoServer URL shapes: OGC KVP services, virtual services, OGC API Features."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from analyzer.apps import Router

ROUTER = Router()


def ogc(path: str, query: str | None = None, method: str = "GET"):
    found = ROUTER.classify(method, path, query)
    assert found.app == "geoserver"
    return found.ogc


def test_wms_getmap_qualifies_layers_with_path_workspace():
    info = ogc(
        "/geoserver/nurc/wms",
        "service=WMS&version=1.1.0&request=GetMap&layers=Arc_Sample,nurc%3Amosaic"
        "&bbox=-180.0%2C-90.0%2C180.0%2C90.0&width=768&height=384&srs=EPSG%3A4326"
        "&styles=&format=application/openlayers",
    )
    assert info.service == "WMS"
    assert info.request == "GetMap"
    assert info.layers == ["nurc:Arc_Sample", "nurc:mosaic"]
    assert info.crs == "EPSG:4326"
    assert info.format == "application/openlayers"
    assert info.bbox == [-180.0, -90.0, 180.0, 90.0]
    assert (info.width, info.height) == (768, 384)
    assert not info.tiled
    assert not info.download


def test_parameter_names_and_values_are_case_insensitive():
    info = ogc("/geoserver/ows", "SERVICE=wms&REQUEST=getmap&LAYERS=topp:states&SRS=epsg:3857")
    assert (info.service, info.request) == ("WMS", "GetMap")
    assert info.layers == ["topp:states"]
    assert info.crs == "EPSG:3857"


def test_layer_specific_service_takes_its_layer_from_the_path():
    info = ogc("/geoserver/topp/states/wms", "service=WMS&request=GetMap&bbox=1,2,3,4")
    assert info.layers == ["topp:states"]


def test_ows_without_service_guesses_it_from_the_operation():
    info = ogc("/geoserver/ows", "request=GetFeature&typeName=topp:states&maxFeatures=50")
    assert (info.service, info.request) == ("WFS", "GetFeature")
    assert info.download


def test_wfs_getfeature_is_a_download_with_its_output_format_and_crs():
    info = ogc(
        "/geoserver/wfs",
        "service=WFS&version=2.0.0&request=GetFeature&typeNames=urba%3Aplu_zonage"
        "&outputFormat=application%2Fjson&srsName=urn%3Aogc%3Adef%3Acrs%3AEPSG%3A%3A2154",
    )
    assert info.layers == ["urba:plu_zonage"]
    assert info.format == "application/json"
    assert info.crs == "EPSG:2154"
    assert info.download


def test_wfs_result_type_hits_is_not_a_download():
    info = ogc("/geoserver/wfs", "service=WFS&request=GetFeature&typeNames=a:b&resultType=hits")
    assert not info.download


def test_describe_feature_type_is_not_a_download():
    info = ogc("/geoserver/wfs", "service=WFS&request=DescribeFeatureType&typeName=a:b")
    assert info.request == "DescribeFeatureType"
    assert not info.download


def test_wcs_20_coverage_id_with_double_underscore_becomes_workspace_name():
    info = ogc(
        "/geoserver/wcs",
        "service=WCS&version=2.0.1&request=GetCoverage&coverageId=ortho__ortho_2022"
        "&format=image/tiff",
    )
    assert info.layers == ["ortho:ortho_2022"]
    assert info.format == "image/tiff"
    assert info.download


def test_getfeatureinfo_reports_queried_layers_and_info_format():
    info = ogc(
        "/geoserver/ows",
        "SERVICE=WMS&REQUEST=GetFeatureInfo&LAYERS=base%3Aroads%2Cbase%3Aparcels"
        "&QUERY_LAYERS=base%3Aparcels&INFO_FORMAT=application%2Fjson&FORMAT=image%2Fpng"
        "&X=50&Y=50&WIDTH=101&HEIGHT=101&CRS=EPSG%3A2154",
    )
    assert info.request == "GetFeatureInfo"
    assert info.layers == ["base:parcels"]
    assert info.format == "application/json"


@pytest.mark.parametrize(
    "written",
    [
        "EPSG:2154",
        "epsg:2154",
        "urn:ogc:def:crs:EPSG::2154",
        "urn:ogc:def:crs:EPSG:6.6:2154",
        "urn:x-ogc:def:crs:EPSG:2154",
        "http://www.opengis.net/def/crs/EPSG/0/2154",
        "http://www.opengis.net/gml/srs/epsg.xml#2154",
    ],
)
def test_crs_is_written_epsg_code_whatever_the_form(written):
    info = ogc("/geoserver/wfs", f"request=GetFeature&typeName=a:b&srsName={quote(written)}")
    assert info.crs == "EPSG:2154"


def test_crs84_is_written_crs_84():
    info = ogc("/geoserver/wms", "request=GetMap&layers=a:b&crs=CRS:84")
    assert info.crs == "CRS:84"


def test_post_without_query_has_the_path_service_and_no_request():
    info = ogc("/geoserver/wfs", None, method="POST")
    assert (info.service, info.request) == ("WFS", None)
    assert info.layers == []


def test_post_to_ows_without_query_is_not_identifiable():
    assert ogc("/geoserver/ows", None, method="POST") is None


def test_tiled_true_parameter_marks_a_wms_request_tiled():
    info = ogc("/geoserver/wms", "service=WMS&request=GetMap&layers=a:b&tiled=true")
    assert info.tiled


def test_getcapabilities_has_no_layers():
    info = ogc("/geoserver/ows", "service=wms&version=1.3.0&request=GetCapabilities")
    assert (info.service, info.request, info.layers) == ("WMS", "GetCapabilities", [])


def test_unknown_operation_keeps_its_spelling():
    assert ogc("/geoserver/wms", "service=WMS&request=GetPrint").request == "GetPrint"


def test_html_escaped_ampersands_still_give_parameters():
    info = ogc("/geoserver/wms", "service=WMS&amp;request=GetMap&amp;layers=a:b")
    assert (info.request, info.layers) == ("GetMap", ["a:b"])


def test_wfs_bbox_with_a_crs_suffix_keeps_four_numbers():
    info = ogc("/geoserver/wfs", "request=GetFeature&typeName=a:b&bbox=1,2,3,4,EPSG:4326")
    assert info.bbox == [1.0, 2.0, 3.0, 4.0]


def test_malformed_numbers_become_none():
    info = ogc("/geoserver/wms", "request=GetMap&layers=a:b&bbox=1,2,x,4&width=big&height=")
    assert (info.bbox, info.width, info.height) == (None, None, None)


def test_plus_in_a_value_is_a_space():
    info = ogc("/geoserver/wms", "request=GetMap&layers=a:b&format=text/x-custom;+charset=utf-8")
    assert info.format == "text/x-custom; charset=utf-8"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("application%2Fjson", "application/json"),
        ("json", "application/json"),
        ("application/geo%2Bjson", "application/json"),
        ("application/geo+json", "application/json"),  # a + the client did not encode
        ("SHAPE-ZIP", "SHAPE-ZIP"),
        ("shape-zip", "SHAPE-ZIP"),
        ("text%2Fxml%3B+subtype%3Dgml%2F3.1.1", "GML3"),
        ("application/gml%2Bxml;+version=3.2", "GML3.2"),
        ("KML", "application/vnd.google-earth.kml+xml"),
        ("image/png8", "image/png"),
        ("image/png;%20mode=8bit", "image/png"),
        ("GeoTIFF", "image/tiff"),
        ("application/openlayers", "application/openlayers"),  # no alias: as written
    ],
)
def test_output_formats_get_one_name_whatever_the_client_wrote(written, canonical):
    info = ogc(
        "/geoserver/wfs", f"service=WFS&request=GetFeature&typeName=a:b&outputFormat={written}"
    )
    assert info.format == canonical


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("EPSG:900913", "EPSG:3857"),
        ("EPSG:3857", "EPSG:3857"),
        ("ESRI:102100", "EPSG:3857"),
        ("urn:ogc:def:crs:EPSG::4326", "EPSG:4326"),
        ("CRS:84", "CRS:84"),  # longitude first, unlike EPSG:4326: kept apart
    ],
)
def test_crs_get_one_name_web_mercator_included(written, canonical):
    assert ogc("/geoserver/wms", f"request=GetMap&layers=a:b&srs={written}").crs == canonical


def test_ogc_api_features_items_is_a_download_with_format_from_f():
    info = ogc(
        "/geoserver/ogc/features/v1/collections/urba:plu_zonage/items",
        "f=application%2Fgeo%2Bjson&limit=50&bbox=-1.7,48.0,-1.6,48.2",
    )
    assert info.service == "OGCAPI-FEATURES"
    assert info.request == "GetItems"
    assert info.layers == ["urba:plu_zonage"]
    assert info.format == "application/json"
    assert info.bbox == [-1.7, 48.0, -1.6, 48.2]
    assert info.download


def test_ogc_api_features_in_a_workspace_qualifies_the_collection():
    info = ogc("/geoserver/urba/ogc/features/v1/collections/plu_zonage/items", "f=json")
    assert info.layers == ["urba:plu_zonage"]


def test_ogc_api_features_collection_list_and_landing_page():
    assert ogc("/geoserver/ogc/features/v1/collections").request == "GetCollections"
    assert ogc("/geoserver/ogc/features/v1").request == "GetLandingPage"
    described = ogc("/geoserver/ogc/features/v1/collections/a%3Ab")
    assert (described.request, described.layers, described.download) == (
        "DescribeCollection",
        ["a:b"],
        False,
    )


def test_admin_ui_and_rest_api_are_actions_not_ogc():
    web = ROUTER.classify("GET", "/geoserver/web/wicket/page", "x=1")
    rest = ROUTER.classify("GET", "/geoserver/rest/workspaces.json", None)
    assert (web.ogc, web.action) == (None, "admin_ui")
    assert (rest.ogc, rest.action) == (None, "rest_api")


def test_workspace_gwc_path_is_served_by_geowebcache():
    found = ROUTER.classify(
        "GET",
        "/geoserver/ortho/gwc/service/wmts",
        "layer=ortho_2022&tilematrixset=EPSG:3857&request=GetTile&format=image/jpeg",
    )
    assert found.app == "geowebcache"
    assert found.ogc.layers == ["ortho:ortho_2022"]
    assert found.ogc.tiled


def test_static_files_are_not_ogc():
    found = ROUTER.classify("GET", "/geoserver/www/logo.png", None)
    assert (found.app, found.ogc) == ("geoserver", None)


GETMAP = "SERVICE=WMS&REQUEST=GetMap&LAYERS=topp:states&CRS=EPSG:4326"


@pytest.mark.parametrize(
    "query",
    [
        f"{GETMAP}&WIDTH=256&HEIGHT=128&BBOX=1,2,3,4",  # placing parameters last (the usual)
        "SERVICE=WMS&BBOX=1,2,3,4&REQUEST=GetMap&WIDTH=256&LAYERS=topp:states&HEIGHT=128"
        "&CRS=EPSG:4326",  # mixed in
        f"{GETMAP}&BBOX=1,2,3,4&WIDTH=256&HEIGHT=128&BBOX=9,9,9,9",  # the first BBOX wins
        f"BBOX=1,2,3,4&{GETMAP}&WIDTH=256&HEIGHT=128&BBOX=9,9,9,9",
        f"{GETMAP}&BBOX=&WIDTH=256&HEIGHT=128&BBOX=1,2,3,4",  # an empty value is no value
    ],
)
def test_where_a_request_places_its_map_does_not_change_what_it_reads(query):
    info = ogc("/geoserver/wms", query)
    assert (info.service, info.request, info.layers) == ("WMS", "GetMap", ["topp:states"])
    assert info.bbox == [1.0, 2.0, 3.0, 4.0]
    assert (info.width, info.height) == (256, 128)


def test_requests_of_one_view_differ_only_by_their_placing_values():
    first = ogc("/geoserver/wms", f"{GETMAP}&WIDTH=256&HEIGHT=256&BBOX=0,0,1,1")
    second = ogc("/geoserver/wms", f"{GETMAP}&WIDTH=512&HEIGHT=512&BBOX=1,1,2,2")
    assert (first.bbox, first.width) == ([0.0, 0.0, 1.0, 1.0], 256)
    assert (second.bbox, second.width) == ([1.0, 1.0, 2.0, 2.0], 512)
    assert first.layers == second.layers == ["topp:states"]


def test_a_capabilities_request_without_placing_values_has_none():
    info = ogc("/geoserver/wms", "SERVICE=WMS&REQUEST=GetCapabilities")
    assert info.bbox is None and info.width is None and info.height is None


def test_placing_values_written_after_an_html_ampersand_are_still_read():
    info = ogc("/geoserver/wms", f"{GETMAP}&amp;BBOX=1,2,3,4&amp;WIDTH=256&HEIGHT=128")
    assert info.bbox == [1.0, 2.0, 3.0, 4.0]
    assert (info.width, info.height) == (256, 128)
