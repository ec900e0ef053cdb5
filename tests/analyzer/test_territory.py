"""Where map requests look: extents and tiles to a center in WGS 84 and a zoom level."""

from __future__ import annotations

import math

import pytest
from pyproj import Transformer

from analyzer.territory import (
    MAX_ZOOM,
    View,
    authority_axis_order,
    bbox_reader,
    parse_crs,
    tile_matrix_zoom,
    view_of_bbox,
    view_of_tile,
    zoom_of_width,
)

# Rennes, city centre: about 1 km around (-1.68, 48.11).
RENNES = (-1.68, 48.11)
RENNES_2154 = [350500.0, 6788500.0, 351500.0, 6789500.0]
RENNES_3857 = [-187500.0, 6124500.0, -185500.0, 6126000.0]
RENNES_LONLAT = [-1.69, 48.10, -1.67, 48.12]
RENNES_LATLON = [48.10, -1.69, 48.12, -1.67]
# Metropolitan France, Lambert 93.
FRANCE_2154 = [100000.0, 6050000.0, 1250000.0, 7120000.0]
WORLD_3857 = [-20037508.34, -20037508.34, 20037508.34, 20037508.34]


def near(view: View | None, lon: float, lat: float, tolerance: float = 0.02) -> bool:
    assert view is not None
    return abs(view.lon - lon) <= tolerance and abs(view.lat - lat) <= tolerance


def zoom(view: View | None) -> int:
    assert view is not None
    return view.zoom


# --- extents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "crs",
    [
        "EPSG:2154",
        "epsg:2154",
        "http://www.opengis.net/gml/srs/epsg.xml#2154",
        "urn:ogc:def:crs:EPSG::2154",
        "EPSG%3A2154",
    ],
)
def test_rennes_in_lambert_93_whatever_the_crs_spelling(crs: str) -> None:
    view = view_of_bbox(crs, RENNES_2154, version="1.3.0", service="WMS")
    assert near(view, *RENNES)
    assert zoom(view) == MAX_ZOOM  # 1 km wide: capped


@pytest.mark.parametrize(
    "crs", ["EPSG:3857", "EPSG:900913", "EPSG:102100", "urn:ogc:def:crs:EPSG::3857"]
)
def test_rennes_in_web_mercator(crs: str) -> None:
    view = view_of_bbox(crs, RENNES_3857, version="1.3.0", service="WMS")
    assert near(view, *RENNES)
    assert zoom(view) == MAX_ZOOM


@pytest.mark.parametrize(
    ("crs", "bbox", "version", "service"),
    [
        ("EPSG:4326", RENNES_LONLAT, "1.1.1", "WMS"),  # WMS 1.1.1: x, y
        ("EPSG:4326", RENNES_LATLON, "1.3.0", "WMS"),  # WMS 1.3.0: the EPSG order
        ("CRS:84", RENNES_LONLAT, "1.3.0", "WMS"),
        ("EPSG:4326", RENNES_LONLAT, "1.0.0", "WFS"),
        ("EPSG:4326", RENNES_LATLON, "1.1.0", "WFS"),
        ("EPSG:4326", RENNES_LATLON, "2.0.0", "WFS"),
        ("urn:ogc:def:crs:EPSG::4326", RENNES_LATLON, "2.0.0", "WFS"),
        ("urn:ogc:def:crs:EPSG::4326", RENNES_LATLON, "1.1.1", "WMS"),  # URN: always
        ("urn:x-ogc:def:crs:EPSG:4326", RENNES_LATLON, None, None),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", RENNES_LATLON, None, None),
        ("http://www.opengis.net/gml/srs/epsg.xml#4326", RENNES_LONLAT, "2.0.0", "WFS"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", RENNES_LONLAT, "2.0.0", "WFS"),
        ("EPSG:4326", RENNES_LONLAT, None, None),  # no version: x, y
        ("EPSG:4326", RENNES_LATLON, "1.3.0", None),
        ("EPSG:4326", RENNES_LATLON, "1.1.0", None),  # WFS 1.1.0 (no WMS 1.1.0 around)
        ("EPSG:4326", RENNES_LONLAT, "1.1.1", None),
        ("EPSG:4326", RENNES_LATLON, "1.1.1", "WCS"),
    ],
)
def test_rennes_in_wgs84_in_either_axis_order(
    crs: str, bbox: list[float], version: str | None, service: str | None
) -> None:
    view = view_of_bbox(crs, bbox, version=version, service=service)
    assert near(view, -1.68, 48.11)
    assert zoom(view) == 14  # 0.02° wide: zoom 14.2


def test_a_projected_crs_with_northing_first_is_swapped_in_the_epsg_order() -> None:
    # EPSG:3035 (LAEA Europe) is northing, easting by its definition.
    to_3035 = Transformer.from_crs(4326, 3035, always_xy=True)
    east, north = to_3035.transform(*RENNES)
    northing_first = [north - 500, east - 500, north + 500, east + 500]
    assert near(view_of_bbox("EPSG:3035", northing_first, version="1.3.0", service="WMS"), *RENNES)
    easting_first = [east - 500, north - 500, east + 500, north + 500]
    assert near(view_of_bbox("EPSG:3035", easting_first, version="1.1.1", service="WMS"), *RENNES)


def test_zoom_follows_the_width_of_the_extent() -> None:
    assert zoom(view_of_bbox("EPSG:2154", FRANCE_2154)) in (5, 6)
    assert zoom(view_of_bbox("EPSG:3857", WORLD_3857)) == 0
    assert zoom(view_of_bbox("CRS:84", [-180, -90, 180, 90])) == 0
    # Wider than the world (a client zoomed out): still 0.
    assert zoom(view_of_bbox("CRS:84", [-400, -90, 400, 90])) == 0
    # About 20 km around Rennes: the zoom whose tiles are 0.35° wide.
    assert zoom(view_of_bbox("EPSG:2154", [341000, 6779000, 361000, 6799000])) == 10


def test_zoom_of_width_rounds_by_ratio_and_stays_in_range() -> None:
    assert zoom_of_width(360) == 0
    assert zoom_of_width(180) == 1
    assert zoom_of_width(360 / 2**5 * 1.3) == 5  # nearer 5 than 4 by ratio
    assert zoom_of_width(360 / 2**5 * 1.5) == 4
    assert zoom_of_width(1e-6) == MAX_ZOOM
    assert zoom_of_width(1000) == 0


@pytest.mark.parametrize(
    ("crs", "bbox"),
    [
        (None, RENNES_2154),
        ("", RENNES_2154),
        ("EPSG:2154", None),
        ("EPSG:2154", []),
        ("EPSG:2154", [1.0, 2.0, 3.0]),
        ("EPSG:2154", [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("EPSG:2154", [math.nan, 6788500.0, 351500.0, 6789500.0]),
        ("EPSG:2154", [350500.0, 6788500.0, math.inf, 6789500.0]),
        ("EPSG:2154", [351500.0, 6788500.0, 350500.0, 6789500.0]),  # inverted
        ("EPSG:2154", [350500.0, 6788500.0, 350500.0, 6789500.0]),  # no width
        ("EPSG:2154", [350500.0, 6789500.0, 351500.0, 6789500.0]),  # no height
        ("EPSG:2154", [-5e6, 6788500.0, -4.9e6, 6789500.0]),  # in the Atlantic
        ("EPSG:2154", [1e9, 1e9, 1.1e9, 1.1e9]),  # nowhere
        ("EPSG:2154", RENNES_LONLAT),  # degrees in a metric CRS
        ("EPSG:4326", RENNES_2154),  # metres in degrees
        ("EPSG:3857", [3e7, 0.0, 3.1e7, 1.0]),  # beyond the world
        ("EPSG:4326", [-1.69, 91.0, -1.67, 95.0]),
        ("EPSG:99999", RENNES_2154),  # unknown to PROJ
        ("EPSG:2", RENNES_2154),
        ("IGNF:LAMB93", RENNES_2154),  # not an EPSG form
        ("EPSG:2154:extra", RENNES_2154),
        ("nonsense", RENNES_2154),
    ],
)
def test_bad_extents_give_none(crs: str | None, bbox: list[float] | None) -> None:
    assert view_of_bbox(crs, bbox) is None


def test_lat_lon_read_as_lon_lat_is_no_error_but_another_place() -> None:
    # A WMS 1.3.0 EPSG:4326 bbox read as 1.1.1 lands elsewhere (nothing tells them apart).
    wrong = view_of_bbox("EPSG:4326", RENNES_LATLON, version="1.1.1", service="WMS")
    assert wrong is not None and not near(wrong, *RENNES)


@pytest.mark.parametrize(
    ("x", "y"), [(-187000.0, 6125000.0), (0.0, 0.0), (2.5e6, -4.2e6), (1.9e7, 1.9e7)]
)
def test_web_mercator_closed_form_matches_pyproj(x: float, y: float) -> None:
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(x, y)
    view = view_of_bbox("EPSG:3857", [x - 10, y - 10, x + 10, y + 10])
    assert view is not None
    assert view.lon == pytest.approx(lon, abs=1e-9)
    assert view.lat == pytest.approx(lat, abs=1e-9)


def test_wgs84_closed_form_matches_pyproj() -> None:
    # EPSG:4326 by its definition (lat, lon) against pyproj's own reading of it.
    lat, lon = Transformer.from_crs(4326, 4326).transform(48.11, -1.68)
    view = view_of_bbox("EPSG:4326", [48.10, -1.69, 48.12, -1.67], version="1.3.0")
    assert view is not None
    assert (view.lon, view.lat) == (pytest.approx(lon), pytest.approx(lat))


def test_projected_extents_are_cached_and_views_comparable() -> None:
    reader = bbox_reader("EPSG:2154", None, None)
    assert reader is not None
    reader.projected.clear()
    first = view_of_bbox("EPSG:2154", RENNES_2154)
    assert first is not None
    # Tiled WMS clients repeat extents: pyproj runs once per extent of a CRS.
    assert list(reader.projected) == [tuple(RENNES_2154)]
    assert view_of_bbox("EPSG:2154", tuple(RENNES_2154)) == first
    assert len(reader.projected) == 1
    assert first == View(first.lon, first.lat, first.zoom)
    with pytest.raises(AttributeError):
        first.zoom = 3  # type: ignore[misc]


# --- axis order and CRS names -------------------------------------------------------------


def test_authority_axis_order_by_service_and_version() -> None:
    assert authority_axis_order("WMS", "1.3.0")
    assert not authority_axis_order("WMS", "1.1.1")
    assert not authority_axis_order("WMS", "1.1.0")
    assert authority_axis_order("WFS", "1.1.0")
    assert authority_axis_order("WFS", "2.0.2")
    assert not authority_axis_order("WFS", "1.0.0")
    assert authority_axis_order("WCS", "1.1.1")
    assert authority_axis_order("OGCAPI-FEATURES", None)
    assert not authority_axis_order("WMS", None)
    assert not authority_axis_order(None, "garbage")
    assert authority_axis_order("wms", "1.3")


def test_parse_crs_gives_the_code_and_how_the_name_orders_axes() -> None:
    assert parse_crs("EPSG:2154") == ("EPSG:2154", 0)
    assert parse_crs("EPSG:900913") == ("EPSG:3857", 0)
    assert parse_crs("urn:ogc:def:crs:EPSG:6.6:4326") == ("EPSG:4326", 1)
    assert parse_crs("http://www.opengis.net/gml/srs/epsg.xml#2154") == ("EPSG:2154", 2)
    assert parse_crs("CRS:84") == ("CRS:84", 2)
    assert parse_crs("OGC:CRS84") == ("CRS:84", 2)
    assert parse_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84") == ("CRS:84", 2)
    assert parse_crs("GlobalCRS84Pixel") is None
    assert parse_crs("Lambert93") is None


# --- tiles --------------------------------------------------------------------------------


def test_level_0_of_web_mercator_is_the_whole_world() -> None:
    assert view_of_tile("EPSG:3857", 0, 0, 0) == View(0.0, 0.0, 0)
    assert view_of_tile("EPSG:900913", 0, 0, 0, origin_top=False) == View(0.0, 0.0, 0)


# The z=12 tile holding Rennes: 2^12 = 4096 columns, row 1421 from the top.
RENNES_TILE = (12, 2028, 1421)


@pytest.mark.parametrize(
    "gridset",
    ["EPSG:3857", "EPSG:900913", "GoogleMapsCompatible", "WebMercatorQuad", "EPSG:900913x2"],
)
def test_a_web_mercator_tile_around_rennes_from_the_top(gridset: str) -> None:
    view = view_of_tile(gridset, *RENNES_TILE)
    assert near(view, *RENNES, tolerance=0.06)  # a tile is 0.09° wide
    assert zoom(view) == 12


def test_tms_rows_count_from_the_bottom() -> None:
    z, x, row = RENNES_TILE
    from_bottom = 2**z - 1 - row
    assert view_of_tile("EPSG:900913", z, x, from_bottom, origin_top=False) == view_of_tile(
        "EPSG:900913", z, x, row
    )
    assert near(view_of_tile("EPSG:3857", z, x, from_bottom, origin_top=False), *RENNES, 0.06)


def test_web_mercator_tile_center_matches_its_extent() -> None:
    z, x, row = RENNES_TILE
    size = 2 * 20037508.342789244 / 2**z
    west, north = -20037508.342789244 + x * size, 20037508.342789244 - row * size
    extent = view_of_bbox("EPSG:3857", [west, north - size, west + size, north])
    tile = view_of_tile("EPSG:3857", *RENNES_TILE)
    assert extent is not None and tile is not None
    assert (tile.lon, tile.lat, tile.zoom) == (
        pytest.approx(extent.lon),
        pytest.approx(extent.lat),
        extent.zoom,
    )


@pytest.mark.parametrize(
    "gridset", ["EPSG:4326", "GlobalCRS84Geometric", "WorldCRS84Quad", "EPSG:4326x2"]
)
def test_epsg_4326_gridset_has_two_tiles_at_level_0(gridset: str) -> None:
    assert view_of_tile(gridset, 0, 0, 0) == View(-90.0, 0.0, 1)
    assert view_of_tile(gridset, 0, 1, 0) == View(90.0, 0.0, 1)
    assert view_of_tile(gridset, 0, 2, 0) is None
    assert view_of_tile(gridset, 0, 0, 1) is None
    # Level 1: four columns, two rows of 90°.
    assert view_of_tile(gridset, 1, 1, 0) == View(-45.0, 45.0, 2)
    assert view_of_tile(gridset, 1, 1, 0, origin_top=False) == View(-45.0, -45.0, 2)


def test_epsg_4326_tile_around_rennes() -> None:
    # Level 11: tiles of 180 / 2^11 = 0.088°; Rennes in column 2028, row 476 from the top.
    view = view_of_tile("EPSG:4326", 11, 2028, 476)
    assert near(view, *RENNES, tolerance=0.05)
    assert zoom(view) == 12
    assert view_of_tile("EPSG:4326", 11, 2028, 2**11 - 1 - 476, origin_top=False) == view


def test_google_crs84_quad_has_one_tile_at_level_0() -> None:
    # 360° by 360°, its lower half below the South Pole: its center on Earth is (0, 0).
    assert view_of_tile("GoogleCRS84Quad", 0, 0, 0) == View(0.0, 0.0, 0)
    assert view_of_tile("GoogleCRS84Quad", 0, 0, 0, origin_top=False) == View(0.0, 0.0, 0)
    assert view_of_tile("GoogleCRS84Quad", 1, 1, 0) == View(90.0, 0.0, 1)
    assert view_of_tile("GoogleCRS84Quad", 1, 0, 1) is None
    assert view_of_tile("GoogleCRS84Quad", 2, 0, 0) == View(-135.0, 45.0, 2)


def test_deep_tiles_are_capped_at_max_zoom() -> None:
    view = view_of_tile("EPSG:3857", 18, 2**17, 2**17)
    assert zoom(view) == MAX_ZOOM


@pytest.mark.parametrize(
    ("gridset", "z", "x", "y"),
    [
        ("EPSG:2154", 5, 1, 1),  # a custom gridset
        ("Lambert93", 5, 1, 1),
        ("GlobalCRS84Pixel", 5, 1, 1),  # not powers of two
        ("GlobalCRS84Scale", 5, 1, 1),
        ("CRS:84", 5, 1, 1),  # ogc.normalize_crs's name for three different grids
        (None, 0, 0, 0),
        ("", 0, 0, 0),
        ("EPSG:3857", -1, 0, 0),
        ("EPSG:3857", 31, 0, 0),
        ("EPSG:3857", 1, 2, 0),
        ("EPSG:3857", 1, 0, 2),
        ("EPSG:3857", 1, -1, 0),
        ("EPSG:3857", 1, 0, -1),
    ],
)
def test_unknown_gridsets_and_tiles_outside_the_grid_give_none(
    gridset: str | None, z: int, x: int, y: int
) -> None:
    assert view_of_tile(gridset, z, x, y) is None


@pytest.mark.parametrize(
    ("tilematrix", "level"),
    [
        ("EPSG:3857:12", 12),
        ("EPSG:900913:12", 12),
        ("12", 12),
        ("EPSG:4326:5", 5),
        ("GoogleMapsCompatible:0", 0),
        ("05", 5),
        ("EPSG:4326:", None),
        ("EPSG:4326", None),  # a matrix set, not a matrix: 4326 is no level
        ("L12", None),
        ("", None),
        (None, None),
        ("EPSG:3857:-1", None),
        ("EPSG:3857:١٢", None),  # Arabic-Indic digits: isdigit but not ASCII
    ],
)
def test_tile_matrix_zoom(tilematrix: str | None, level: int | None) -> None:
    assert tile_matrix_zoom(tilematrix) == level
