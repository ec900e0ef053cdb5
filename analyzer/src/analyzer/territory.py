"""Where on the territory a map request looks: the center and zoom of the extent it asks for.

A WMS GetMap, a WFS GetFeature or a tile each cover an extent; the dashboards count them,
per layer and day, in a grid of Web Mercator tiles. `view_of_bbox` and `view_of_tile` turn
an extent into a `View`: its center in WGS 84 longitude and latitude, and the zoom level
whose tiles are about as wide as the extent (capped at MAX_ZOOM, so a street-level view
lands in a cell of a few kilometres, and a country-wide one in a coarse cell).

They run for every map request. How a CRS's BBOXes are read (axis order, closed form or
projection) is decided once per CRS, service and version (`bbox_reader`); a request's
numbers then cost a few float operations. Web Mercator and WGS 84 are computed in closed
form; other CRSs go through pyproj, one transformer per CRS, their last extents cached
(tiled clients ask for the same ones all day).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final
from urllib.parse import unquote

MAX_ZOOM: Final = 14  # tiles of about 2.4 km at the equator, 1.6 km in France
MAX_LEVEL: Final = 30  # deeper tile levels are nonsense (a tile of 4 cm)
EARTH_RADIUS: Final = 6378137.0  # Web Mercator's sphere
HALF_WORLD: Final = math.pi * EARTH_RADIUS  # 20037508.34 m: Web Mercator's bounds on x and y
METRES_PER_DEGREE: Final = HALF_WORLD / 180  # of longitude at the equator
# Compiled, math.log, cos and tan are machine calls; log2, radians and asinh are not.
_LN2: Final = math.log(2)
_RADIANS: Final = math.pi / 180

# Cache sizes: a few hundred bytes an entry, per worker process. The projected extents'
# cache holds tuples, which the garbage collector scans until they are old: kept small,
# it still serves a tiled client's repeated extents, and costs little when none repeat.
CACHED_BBOXES: Final = 1024
CACHED_TILES: Final = 16384

WEB_MERCATOR: Final = "EPSG:3857"
WGS84: Final = "EPSG:4326"  # latitude first by its EPSG definition
CRS84: Final = "CRS:84"  # WGS 84, longitude first


@dataclass(frozen=True, slots=True)
class View:
    """The center of an extent (WGS 84 degrees) and the Web Mercator zoom of its width."""

    lon: float
    lat: float
    zoom: int


# The Web Mercator tile (zoom, x, y, rows from the top) that holds a view's center: what
# the analyzer stores per request and layer, and the territory aggregates count.
Cell = tuple[int, int, int]
MAX_LATITUDE: Final = 85.0511287798  # Web Mercator's edge: atan(sinh(pi))


def cell_of(view: View | None) -> Cell | None:
    """The tile at the view's own zoom that holds its center."""
    return None if view is None else _cell_at((view.lon, view.lat, view.zoom))


# A view's values (lon, lat, zoom), as computed for each request: a `View` is built only
# for callers that ask for one (building a frozen dataclass costs as much as the math).
Center = tuple[float, float, int]


def _cell_at(center: Center) -> Cell:
    lon, lat, zoom = center
    tiles = 1 << zoom
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat)) * _RADIANS
    x = math.floor((lon + 180) / 360 * tiles)
    # asinh(tan(lat)), the Mercator ordinate, in compiled math primitives.
    y = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * tiles)
    return zoom, min(max(x, 0), tiles - 1), min(max(y, 0), tiles - 1)


def _view(center: Center | None) -> View | None:
    return None if center is None else View(center[0], center[1], center[2])


# How the BBOXes of one CRS become views and cells depends on the CRS, the service and its
# version only: a `BboxReader` decides it once per description (`bbox_reader`); each
# request's numbers then cost a few float operations (a pyproj call for other CRSs).
_MERCATOR: Final = 0
_DEGREES: Final = 1
_PROJECTED: Final = 2


class BboxReader:
    """Reads the BBOXes of one CRS, in the axis order one service version writes them."""

    def __init__(self, kind: int, swap: bool, projection: _Projection | None) -> None:
        self.kind = kind  # _MERCATOR, _DEGREES or _PROJECTED
        self.swap = swap  # the numbers come northing (latitude) first
        self.projection = projection  # for _PROJECTED
        # Projected centers by BBOX: tiled WMS clients ask for the same extents all day,
        # and pyproj costs a microsecond or more a call.
        self.projected: dict[tuple[float, float, float, float], Center | None] = {}

    def view(self, a: float, b: float, c: float, d: float) -> View | None:
        return _view(self.center(a, b, c, d))

    def cell(self, a: float, b: float, c: float, d: float) -> Cell | None:
        if self.kind == _MERCATOR:  # Web Mercator extents seldom repeat: no view between
            return _mercator_cell(a, b, c, d)
        center = self.center(a, b, c, d)
        return None if center is None else _cell_at(center)

    def center(self, a: float, b: float, c: float, d: float) -> Center | None:
        if self.swap:
            a, b, c, d = b, a, d, c
        if not _finite(a, b, c, d) or a >= c or b >= d:
            return None
        if self.kind == _MERCATOR:
            return _mercator_center(a, b, c, d)
        if self.kind == _DEGREES:
            return _degrees_center(a, b, c, d)
        key = (a, b, c, d)
        if key in self.projected:
            return self.projected[key]
        if len(self.projected) >= CACHED_BBOXES:
            self.projected.clear()
        assert self.projection is not None
        center = self.projected[key] = _projected_center(self.projection, a, b, c, d)
        return center


@lru_cache(maxsize=256)
def bbox_reader(crs: str, version: str | None, service: str | None) -> BboxReader | None:
    """How BBOXes in `crs` of this service and version are read; None for a CRS that
    `parse_crs` or pyproj does not know."""
    parsed = parse_crs(crs)
    if parsed is None:
        return None
    code, order = parsed
    if code == WEB_MERCATOR:  # easting first whatever the version
        return BboxReader(_MERCATOR, False, None)
    if code in (CRS84, WGS84):
        swap = code == WGS84 and _authority_order(order, service, version)
        return BboxReader(_DEGREES, swap, None)
    projection = _projection(code)
    if projection is None:
        return None
    swap = projection.north_first and _authority_order(order, service, version)
    return BboxReader(_PROJECTED, swap, projection)


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
    reader = bbox_reader(crs, version, service)
    return None if reader is None else reader.cell(bbox[0], bbox[1], bbox[2], bbox[3])


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
    reader = bbox_reader(crs, version, service)
    return None if reader is None else reader.view(bbox[0], bbox[1], bbox[2], bbox[3])


def _mercator_center(x1: float, y1: float, x2: float, y2: float) -> Center | None:
    x, y = (x1 + x2) / 2, (y1 + y2) / 2
    if abs(x) > HALF_WORLD * (1 + 1e-9) or abs(y) > HALF_WORLD * (1 + 1e-9):
        return None
    lon, lat = mercator_to_lonlat(x, y)
    return lon, lat, zoom_of_width((x2 - x1) / (2 * HALF_WORLD) * 360)


def _degrees_center(lon1: float, lat1: float, lon2: float, lat2: float) -> Center | None:
    lon, lat = (lon1 + lon2) / 2, (lat1 + lat2) / 2
    if abs(lon) > 180 or abs(lat) > 90:
        return None
    return lon, lat, zoom_of_width(lon2 - lon1)


def _projected_center(
    projection: _Projection, x1: float, y1: float, x2: float, y2: float
) -> Center | None:
    transform = projection.transformer.transform
    y = (y1 + y2) / 2
    # Scalar calls cost less than one on a sequence (0.8 against 3.6 µs). PROJ gives inf
    # for a point it cannot transform (errcheck is off).
    lon, lat = transform((x1 + x2) / 2, y)
    if not (_finite(lon, lat, 0.0, 0.0) and projection.covers(lon, lat)):
        return None  # PROJ extrapolates far outside the CRS's area without a word
    if projection.metres:  # a conformal projection's scale is 1 within 0.1 %: enough
        return lon, lat, zoom_of_width((x2 - x1) / (METRES_PER_DEGREE * _cos(lat)))
    left, _ = transform(x1, y)
    right, _ = transform(x2, y)
    if not _finite(left, right, 0.0, 0.0):
        return None
    width = right - left
    if width <= 0:  # across the antimeridian
        width += 360
    return lon, lat, zoom_of_width(width)


def _cos(lat: float) -> float:
    return max(math.cos(lat * _RADIANS), 1e-9)


def _finite(a: float, b: float, c: float, d: float) -> bool:
    # x - x is 0 for a finite x, NaN for an infinity or NaN: compiled, these are machine
    # operations, where math.isfinite is a call.
    return a - a == 0.0 and b - b == 0.0 and c - c == 0.0 and d - d == 0.0


def zoom_of_width(degrees: float) -> int:
    """The Web Mercator zoom whose tiles are the nearest in width (by ratio) to an extent
    `degrees` of longitude wide, within 0 and MAX_ZOOM."""
    if not degrees > 0:
        return MAX_ZOOM
    zoom = math.floor(math.log(360 / degrees) / _LN2 + 0.5)
    return max(0, min(MAX_ZOOM, zoom))


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres to WGS 84 degrees (the sphere's inverse, as PROJ does it)."""
    return math.degrees(x / EARTH_RADIUS), math.degrees(math.atan(math.sinh(y / EARTH_RADIUS)))


# ---------------------------------------------------------------------------------------
# CRS names and axis order

# How a CRS name says its axis order.
BY_VERSION: Final = 0  # EPSG:n: the service version decides
AUTHORITY: Final = 1  # URN, opengis.net/def: the EPSG definition's order
EAST_FIRST: Final = 2  # epsg.xml#n, CRS:84: longitude or easting first

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


_MERCATOR_GRID: Final = _Grid(360.0, mercator=True)
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
    if tilematrix in _LEVELS:  # a few gridsets' levels: each tile request names one
        return _LEVELS[tilematrix]
    if len(_LEVELS) >= CACHED_LEVELS:
        _LEVELS.clear()
    level = _LEVELS[tilematrix] = _tile_matrix_level(tilematrix)
    return level


CACHED_LEVELS: Final = 1024
_LEVELS: Final[dict[str, int | None]] = {}


def _tile_matrix_level(tilematrix: str) -> int | None:
    level = tilematrix.rpartition(":")[2].strip()
    if "%" in level:  # still encoded: EPSG%3A900913%3A12
        level = level.upper().rpartition("%3A")[2]
    if not (level.isascii() and level.isdigit()):
        return None
    number = int(level)
    return number if number <= MAX_LEVEL else None
