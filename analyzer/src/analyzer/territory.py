"""Where on the territory a map request looks: the center and zoom of the extent it asks for.

A WMS GetMap, a WFS GetFeature or a tile each cover an extent; the dashboards count them,
per layer and day, in a grid of Web Mercator tiles. `view_of_bbox` and `view_of_tile` turn
an extent into a `View`: its center in WGS 84 longitude and latitude, and the zoom level
whose tiles are about as wide as the extent (capped at MAX_ZOOM, so a street-level view
lands in a cell of a few kilometres, and a country-wide one in a coarse cell).

Pure functions of hashable values, cached: they run for every map request, and tiled
clients ask for the same extents all day. Web Mercator and WGS 84 are computed in closed
form; other CRSs go through pyproj, one transformer per CRS.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

MAX_ZOOM = 14  # tiles of about 2.4 km at the equator, 1.6 km in France
MAX_LEVEL = 30  # deeper tile levels are nonsense (a tile of 4 cm)
EARTH_RADIUS = 6378137.0  # Web Mercator's sphere
HALF_WORLD = math.pi * EARTH_RADIUS  # 20037508.34 m: Web Mercator's bounds on x and y
METRES_PER_DEGREE = HALF_WORLD / 180  # of longitude at the equator

# Cache sizes: a few hundred bytes an entry, per worker process.
CACHED_BBOXES = 16384
CACHED_TILES = 16384

WEB_MERCATOR = "EPSG:3857"
WGS84 = "EPSG:4326"  # latitude first by its EPSG definition
CRS84 = "CRS:84"  # WGS 84, longitude first


@dataclass(frozen=True, slots=True)
class View:
    """The center of an extent (WGS 84 degrees) and the Web Mercator zoom of its width."""

    lon: float
    lat: float
    zoom: int


# The Web Mercator tile (zoom, x, y, rows from the top) that holds a view's center: what
# the analyzer stores per request and layer, and the territory aggregates count.
Cell = tuple[int, int, int]
MAX_LATITUDE = 85.0511287798  # Web Mercator's edge: atan(sinh(pi))


def cell_of(view: View | None) -> Cell | None:
    """The tile at the view's own zoom that holds its center."""
    if view is None:
        return None
    tiles = 1 << view.zoom
    lat = math.radians(max(-MAX_LATITUDE, min(MAX_LATITUDE, view.lat)))
    x = math.floor((view.lon + 180) / 360 * tiles)
    y = math.floor((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * tiles)
    return view.zoom, min(max(x, 0), tiles - 1), min(max(y, 0), tiles - 1)


# The cells of what the parser meets most, without a view in between: Web Mercator extents
# by arithmetic alone (their BBOXes seldom repeat: no cache), Web Mercator tiles by their
# indices. The others go through their view (`cell_of`), cached.


def cell_of_bbox(
    crs: str | None,
    bbox: Sequence[float] | None,
    *,
    version: str | None = None,
    service: str | None = None,
) -> Cell | None:
    """The cell of `view_of_bbox`."""
    if not crs or bbox is None or len(bbox) != 4:
        return None
    parsed = _parsed_crs(crs)
    if parsed is None:
        return None
    code, order = parsed
    a, b, c, d = bbox
    if code == WEB_MERCATOR:  # easting first whatever the version
        return _mercator_cell(a, b, c, d)
    if code in (CRS84, WGS84):
        if code == WGS84 and _authority_order(order, service, version):
            a, b, c, d = b, a, d, c
        if not _finite(a, b, c, d) or a >= c or b >= d:
            return None
        return cell_of(_degrees_view(a, b, c, d))
    return cell_of(_view_of_bbox(crs, a, b, c, d, version, service))


@lru_cache(maxsize=256)
def _parsed_crs(crs: str) -> tuple[str, int] | None:
    return parse_crs(crs)


@lru_cache(maxsize=256)
def _authority_order(order: int, service: str | None, version: str | None) -> bool:
    """Whether a BBOX in a CRS named this way follows its EPSG definition's axis order."""
    return order == AUTHORITY or (order == BY_VERSION and authority_axis_order(service, version))


def _mercator_cell(x1: float, y1: float, x2: float, y2: float) -> Cell | None:
    if not _finite(x1, y1, x2, y2) or x1 >= x2 or y1 >= y2:
        return None
    x, y = (x1 + x2) / 2, (y1 + y2) / 2
    if abs(x) > HALF_WORLD * (1 + 1e-9) or abs(y) > HALF_WORLD * (1 + 1e-9):
        return None
    zoom = zoom_of_width((x2 - x1) / (2 * HALF_WORLD) * 360)
    tiles = 1 << zoom
    column = math.floor((x + HALF_WORLD) / (2 * HALF_WORLD) * tiles)
    row = math.floor((HALF_WORLD - y) / (2 * HALF_WORLD) * tiles)
    return zoom, min(max(column, 0), tiles - 1), min(max(row, 0), tiles - 1)


def cell_of_tile(
    gridset: str | None, z: int, x: int, y: int, *, origin_top: bool = True
) -> Cell | None:
    """The cell of `view_of_tile`: a Web Mercator tile is its own cell (the one above it
    past MAX_ZOOM)."""
    if not gridset:
        return None
    if _grid_of(gridset) is not _MERCATOR_GRID:
        return cell_of(view_of_tile(gridset, z, x, y, origin_top=origin_top))
    if not 0 <= z <= MAX_LEVEL:
        return None
    tiles = 1 << z
    if not (0 <= x < tiles and 0 <= y < tiles):
        return None
    row = y if origin_top else tiles - 1 - y
    shift = max(z - MAX_ZOOM, 0)
    return z - shift, x >> shift, row >> shift


# ---------------------------------------------------------------------------------------
# Extents (BBOX)


def view_of_bbox(
    crs: str | None,
    bbox: Sequence[float] | None,
    *,
    version: str | None = None,
    service: str | None = None,
) -> View | None:
    """The view of a BBOX (four numbers, in the axis order the request uses) in `crs`.

    `version` and `service` tell the axis order of a plain ``EPSG:n``: WMS 1.3.0 and WFS or
    WCS 1.1 and later follow the EPSG definition (EPSG:4326 latitude first), WMS 1.1.1 and
    WFS 1.0 are always longitude first (see `authority_axis_order`). URN and
    ``opengis.net/def`` forms always follow the definition, ``epsg.xml#n`` and CRS:84 are
    always longitude first. None for a missing, non-finite, inverted or empty extent, one
    whose center is outside the CRS's area of use, or an unknown CRS.
    """
    if not crs or bbox is None or len(bbox) != 4:
        return None
    a, b, c, d = bbox
    return _view_of_bbox(crs, a, b, c, d, version, service)


@lru_cache(maxsize=CACHED_BBOXES)
def _view_of_bbox(
    crs: str, a: float, b: float, c: float, d: float, version: str | None, service: str | None
) -> View | None:
    parsed = parse_crs(crs)
    if parsed is None:
        return None
    code, order = parsed
    north_first = _north_first(code)
    if north_first is None:
        return None
    swap = north_first and _authority_order(order, service, version)
    if swap:
        a, b, c, d = b, a, d, c
    if not _finite(a, b, c, d) or a >= c or b >= d:
        return None
    if code == WEB_MERCATOR:
        return _mercator_view(a, b, c, d)
    if code in (WGS84, CRS84):
        return _degrees_view(a, b, c, d)
    return _projected_view(code, a, b, c, d)


def _mercator_view(x1: float, y1: float, x2: float, y2: float) -> View | None:
    x, y = (x1 + x2) / 2, (y1 + y2) / 2
    if abs(x) > HALF_WORLD * (1 + 1e-9) or abs(y) > HALF_WORLD * (1 + 1e-9):
        return None
    lon, lat = mercator_to_lonlat(x, y)
    return View(lon, lat, zoom_of_width((x2 - x1) / (2 * HALF_WORLD) * 360))


def _degrees_view(lon1: float, lat1: float, lon2: float, lat2: float) -> View | None:
    lon, lat = (lon1 + lon2) / 2, (lat1 + lat2) / 2
    if abs(lon) > 180 or abs(lat) > 90:
        return None
    return View(lon, lat, zoom_of_width(lon2 - lon1))


def _projected_view(code: str, x1: float, y1: float, x2: float, y2: float) -> View | None:
    projection = _projection(code)
    if projection is None:
        return None
    transform = projection.transformer.transform
    y = (y1 + y2) / 2
    # Scalar calls cost less than one on a sequence (0.8 against 3.6 µs). PROJ gives inf
    # for a point it cannot transform (errcheck is off).
    lon, lat = transform((x1 + x2) / 2, y)
    if not (math.isfinite(lon) and math.isfinite(lat)) or not projection.covers(lon, lat):
        return None  # PROJ extrapolates far outside the CRS's area without a word
    if projection.metres:  # a conformal projection's scale is 1 within 0.1 %: enough
        return View(lon, lat, zoom_of_width((x2 - x1) / (METRES_PER_DEGREE * _cos(lat))))
    left, _ = transform(x1, y)
    right, _ = transform(x2, y)
    if not (math.isfinite(left) and math.isfinite(right)):
        return None
    width = right - left
    if width <= 0:  # across the antimeridian
        width += 360
    return View(lon, lat, zoom_of_width(width))


def _cos(lat: float) -> float:
    return max(math.cos(math.radians(lat)), 1e-9)


def _finite(a: float, b: float, c: float, d: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and math.isfinite(c) and math.isfinite(d)


def zoom_of_width(degrees: float) -> int:
    """The Web Mercator zoom whose tiles are the nearest in width (by ratio) to an extent
    `degrees` of longitude wide, within 0 and MAX_ZOOM."""
    if not degrees > 0:
        return MAX_ZOOM
    zoom = math.floor(math.log2(360 / degrees) + 0.5)
    return max(0, min(MAX_ZOOM, zoom))


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres to WGS 84 degrees (the sphere's inverse, as PROJ does it)."""
    return math.degrees(x / EARTH_RADIUS), math.degrees(math.atan(math.sinh(y / EARTH_RADIUS)))


# ---------------------------------------------------------------------------------------
# CRS names and axis order

# How a CRS name says its axis order.
BY_VERSION = 0  # EPSG:n: the service version decides
AUTHORITY = 1  # URN, opengis.net/def: the EPSG definition's order
EAST_FIRST = 2  # epsg.xml#n, CRS:84: longitude or easting first

# Other codes of Web Mercator (Google's unofficial 900913, Esri's 102100 and 102113).
_WEB_MERCATOR_CODES = frozenset({"3857", "900913", "102100", "102113", "3785"})

# CRS:84, OGC:CRS84, urn:ogc:def:crs:OGC:1.3:CRS84, http://www.opengis.net/def/crs/OGC/1.3/CRS84
# (not GeoWebCache's GlobalCRS84Pixel gridset).
_CRS84_FORM = re.compile(
    r"(?:ogc:|urn:ogc:def:crs:ogc:[\d.]*:|https?://www\.opengis\.net/def/crs/ogc/[\d.]+/)?"
    r"crs:?84"
)
_CRS_FORMS = (
    (re.compile(r"epsg:(\d+)"), BY_VERSION),
    (re.compile(r"urn:(?:x-)?ogc:def:crs:epsg:(?:[\d.]*:)?(\d+)"), AUTHORITY),
    (re.compile(r"https?://www\.opengis\.net/def/crs/epsg/[\d.]+/(\d+)"), AUTHORITY),
    (re.compile(r"https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+)"), EAST_FIRST),
)


@lru_cache(maxsize=256)
def parse_crs(name: str) -> tuple[str, int] | None:
    """``(code, order)``: ``EPSG:n`` (Web Mercator's other codes as EPSG:3857) or
    ``CRS:84``, and how the name says its axis order (BY_VERSION, AUTHORITY, EAST_FIRST);
    None for another form."""
    lowered = (unquote(name) if "%" in name else name).strip().lower()
    if _CRS84_FORM.fullmatch(lowered):
        return CRS84, EAST_FIRST
    for pattern, order in _CRS_FORMS:
        if match := pattern.fullmatch(lowered):
            number = match.group(1)
            return ("EPSG:3857" if number in _WEB_MERCATOR_CODES else f"EPSG:{number}"), order
    return None


def authority_axis_order(service: str | None, version: str | None) -> bool:
    """Whether a plain ``EPSG:n`` BBOX of this service and version follows the EPSG
    definition's axis order (EPSG:4326: latitude first).

    WMS from 1.3, WFS and WCS from 1.1, OGC API Features (bbox-crs) do. Without a service,
    1.1.0 counts as WFS (WMS 1.1.0 is long gone) and 1.1.1 as WMS. No version: longitude
    first, as most clients mean it.
    """
    numbers = _version_numbers(version)
    kind = service.upper() if service else None
    if kind == "OGCAPI-FEATURES":
        return True
    if numbers is None:
        return False
    if kind == "WMS":
        return numbers >= (1, 3)
    if kind in ("WFS", "WCS"):
        return numbers >= (1, 1)
    return numbers >= (1, 3) or numbers[:3] == (1, 1, 0) or numbers == (1, 1)


def _version_numbers(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _north_first(code: str) -> bool | None:
    """Whether `code`'s EPSG definition puts northing or latitude first; None when pyproj
    does not know it."""
    if code in (WEB_MERCATOR, CRS84):
        return False
    if code == WGS84:
        return True
    projection = _projection(code)
    return None if projection is None else projection.north_first


@dataclass(frozen=True, slots=True)
class _Projection:
    """A CRS pyproj knows: its transformer to WGS 84 (x, y in, lon, lat out) and its area."""

    transformer: Any  # a pyproj Transformer: pyproj is imported on the first CRS it serves
    north_first: bool
    metres: bool  # a projection in metres: the width in degrees follows from the center's
    west: float
    south: float
    east: float
    north: float

    def covers(self, lon: float, lat: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lon <= self.east
        return lon >= self.west or lon <= self.east  # an area across the antimeridian


@lru_cache(maxsize=256)
def _projection(code: str) -> _Projection | None:
    """`code`'s `_Projection`, None when pyproj does not know it (cached: 5 to 25 ms each).

    pyproj is imported here, the first time a request needs it: importing it takes 60 ms,
    which every start of the analyzer would pay for logs in Web Mercator alone.
    """
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        crs = CRS.from_user_input(code)
        transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    except (CRSError, ProjError):
        return None
    area = crs.area_of_use
    west, south, east, north = area.bounds if area else (-180.0, -90.0, 180.0, 90.0)
    axes = crs.axis_info
    north_first = bool(axes) and axes[0].direction.lower() in ("north", "south")
    metres = crs.is_projected and bool(axes) and axes[0].unit_name in ("metre", "meter")
    return _Projection(transformer, north_first, metres, west, south, east, north)


# ---------------------------------------------------------------------------------------
# Tiles


@dataclass(frozen=True, slots=True)
class _Grid:
    """A gridset whose level z tiles are ``level0 / 2**z`` degrees of longitude wide."""

    level0: float  # the width of a level 0 tile, in degrees of longitude
    mercator: bool  # rows in Web Mercator (else in degrees of latitude, from 90° down)


_MERCATOR_GRID = _Grid(360.0, mercator=True)
_CRS84_GRID = _Grid(180.0, mercator=False)  # two tiles by one at level 0
_GOOGLE_CRS84_GRID = _Grid(360.0, mercator=False)  # one tile at level 0, its lower half void

# GeoWebCache's built-in gridsets (DefaultGridsets), by lower-case name; the same grids by
# their EPSG codes come from `parse_crs`.
_NAMED_GRIDS = {
    "googlemapscompatible": _MERCATOR_GRID,
    "webmercatorquad": _MERCATOR_GRID,
    "globalcrs84geometric": _CRS84_GRID,
    "worldcrs84quad": _CRS84_GRID,
    "googlecrs84quad": _GOOGLE_CRS84_GRID,
}


def view_of_tile(
    gridset: str | None, z: int, x: int, y: int, *, origin_top: bool = True
) -> View | None:
    """The view of tile (z, x, y) of one of GeoWebCache's built-in gridsets.

    Rows count from the top for WMTS (KVP and REST), from the bottom for TMS paths
    (``origin_top=False``). The zoom is on the Web Mercator scale: level z of the EPSG:4326
    gridset (two tiles by one at level 0) is zoom z + 1. None for another gridset (a
    custom EPSG:2154 grid) or indices outside the grid.
    """
    if not gridset:
        return None
    return _view_of_tile(gridset, z, x, y, origin_top)


@lru_cache(maxsize=CACHED_TILES)
def _view_of_tile(gridset: str, z: int, x: int, y: int, origin_top: bool) -> View | None:
    grid = _grid_of(gridset)
    if grid is None or not 0 <= z <= MAX_LEVEL:
        return None
    width = grid.level0 / 2**z  # degrees of longitude
    columns = round(360 / width)
    rows = 2**z if grid.mercator else math.ceil(180 / width)
    if not (0 <= x < columns and 0 <= y < rows):
        return None
    row = y if origin_top else rows - 1 - y
    lon = -180 + (x + 0.5) * width
    if grid.mercator:
        lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (row + 0.5) / rows))))
    else:
        top = 90 - row * width
        lat = (top + max(-90.0, top - width)) / 2  # the part of the tile on the Earth
    return View(lon, lat, zoom_of_width(width))


@lru_cache(maxsize=256)
def _grid_of(gridset: str) -> _Grid | None:
    """The grid of a gridset or tile matrix set name, None when it is not a built-in one."""
    name = (unquote(gridset) if "%" in gridset else gridset).strip().lower()
    # GeoWebCache's 512 px variants cut the same tiles at each level.
    name = name.removesuffix("x2")
    if name in _NAMED_GRIDS:
        return _NAMED_GRIDS[name]
    parsed = parse_crs(name)
    if parsed is None:
        return None
    code = parsed[0]
    if code == WEB_MERCATOR:
        return _MERCATOR_GRID
    if code == WGS84:
        return _CRS84_GRID
    # Not CRS:84: ogc.normalize_crs writes it for GoogleCRS84Quad, WorldCRS84Quad and
    # GlobalCRS84Pixel alike, three different grids: the raw name tells them apart.
    return None


def tile_matrix_zoom(tilematrix: str | None) -> int | None:
    """The level of a WMTS TileMatrix identifier: GeoWebCache writes ``EPSG:3857:12``
    (gridset name, level), the OGC tile matrix sets ``12``; None for another form."""
    if not tilematrix:
        return None
    level = tilematrix.rpartition(":")[2].strip()
    if "%" in level:  # still encoded: EPSG%3A900913%3A12
        level = level.upper().rpartition("%3A")[2]
    if not (level.isascii() and level.isdigit()):
        return None
    number = int(level)
    return number if number <= MAX_LEVEL else None
