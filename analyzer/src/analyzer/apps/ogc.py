"""OGC request extraction shared by the geoserver and geowebcache modules.

Three request shapes: key-value pairs (WMS, WFS, WCS, WMTS KVP), GeoWebCache tile paths
(TMS, WMTS REST) and OGC API Features paths. Each function returns an `OgcInfo` or None
when the request is not an OGC request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import unquote

from analyzer import territory
from analyzer.apps.base import Params, parse_params
from analyzer.record import OgcInfo

SERVICES = frozenset({"WMS", "WFS", "WCS", "WMTS", "TMS"})
OGC_API_FEATURES: Final = "OGCAPI-FEATURES"

# Canonical spelling of operation names, looked up in lower case; others keep theirs.
REQUESTS = {
    name.lower(): name
    for name in [
        "GetCapabilities",
        "GetMap",
        "GetFeatureInfo",
        "GetLegendGraphic",
        "DescribeLayer",
        "GetStyles",
        "GetFeature",
        "DescribeFeatureType",
        "GetPropertyValue",
        "GetFeatureWithLock",
        "LockFeature",
        "Transaction",
        "ListStoredQueries",
        "DescribeStoredQueries",
        "CreateStoredQuery",
        "DropStoredQuery",
        "GetCoverage",
        "DescribeCoverage",
        "GetTile",
    ]
}

# The service an operation belongs to, for requests that omit SERVICE (on /ows).
SERVICE_OF_REQUEST = {
    "getmap": "WMS",
    "getfeatureinfo": "WMS",
    "getlegendgraphic": "WMS",
    "describelayer": "WMS",
    "getfeature": "WFS",
    "describefeaturetype": "WFS",
    "getpropertyvalue": "WFS",
    "transaction": "WFS",
    "getcoverage": "WCS",
    "describecoverage": "WCS",
    "gettile": "WMTS",
}

DOWNLOADS = frozenset({("WFS", "GetFeature"), ("WCS", "GetCoverage")})

# Layer parameters in order of preference (WCS 1.1 says identifier, WCS 1.0 coverage).
LAYER_PARAMS = ("layers", "layer", "typenames", "typename", "coverageid", "identifier", "coverage")
CRS_PARAMS = ("crs", "srs", "srsname", "outputcrs", "subsettingcrs")

TILE_MIME_TYPES = {
    "png": "image/png",
    "png8": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
    "mvt": "application/vnd.mapbox-vector-tile",
    "geojson": "application/json;type=geojson",
    "topojson": "application/json;type=topojson",
    "utfgrid": "application/json;type=utfgrid",
}

_LAST_NUMBER = re.compile(r"(\d+)\s*$")
# Other codes of Web Mercator (Google's unofficial 900913, Esri's 102100 and 102113).
_WEB_MERCATOR = frozenset({"900913", "102100", "102113", "3785"})


# Both run for every tile request (its gridset, its format), on a few values all day long.
@lru_cache(maxsize=1024)
def normalize_crs(value: str | None) -> str | None:
    """``EPSG:n`` from any EPSG form (URN, URL, lower case), Web Mercator's other codes as
    ``EPSG:3857``; CRS84 as ``CRS:84`` (WGS 84 in longitude, latitude order, which
    EPSG:4326 is not)."""
    if not value:
        return None
    lowered = value.lower()
    if "crs84" in lowered or lowered == "crs:84":
        return "CRS:84"
    if ("epsg" in lowered or "esri" in lowered) and (number := _LAST_NUMBER.search(value)):
        code = number.group(1)
        return "EPSG:3857" if code in _WEB_MERCATOR else f"EPSG:{code}"
    return value


# Output formats by what they are, whatever a client wrote (docs/applications.en.md has the
# table): the short names GeoServer accepts, MIME types with or without options, and a
# `+` that reached the log unencoded (decoded as a space).
FORMATS = {
    "application/json": (
        "json", "geojson", "application/json", "application/geo+json", "application/geojson",
        "json;type=geojson", "application/json;type=geojson", "application/vnd.geo+json",
    ),
    "text/javascript": ("text/javascript", "application/javascript", "jsonp"),
    "SHAPE-ZIP": ("shape-zip", "shapezip", "shp", "shapefile", "application/x-zipped-shp"),
    "text/csv": ("csv", "text/csv"),
    "GML2": ("gml2", "text/xml;subtype=gml/2.1.2", "application/gml+xml;version=2.1"),
    "GML3": (
        "gml3", "text/xml;subtype=gml/3.1.1", "application/gml+xml;version=3.1",
        "application/vnd.ogc.gml/3.1.1",
    ),
    "GML3.2": (
        "gml32", "gml3.2", "text/xml;subtype=gml/3.2", "application/gml+xml;version=3.2",
        "application/gml+xml",
    ),
    "application/vnd.google-earth.kml+xml": (
        "kml", "application/vnd.google-earth.kml+xml", "application/vnd.google-earth.kml",
    ),
    "application/vnd.google-earth.kmz": ("kmz", "application/vnd.google-earth.kmz"),
    "application/vnd.ms-excel": ("excel", "xls", "application/vnd.ms-excel"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "excel2007", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "image/png": (
        "png", "png8", "png24", "png32", "image/png", "image/png8", "image/png;mode=8bit",
        "image/png;mode=24bit", "image/png;mode=32bit",
    ),
    "image/jpeg": ("jpg", "jpeg", "image/jpeg", "image/jpg"),
    "image/vnd.jpeg-png": ("image/vnd.jpeg-png", "image/vnd.jpeg-png8"),
    "image/gif": ("gif", "image/gif"),
    "image/webp": ("webp", "image/webp"),
    "image/tiff": ("tif", "tiff", "geotiff", "geotiff8", "image/tiff", "image/geotiff"),
    "image/svg+xml": ("svg", "image/svg+xml", "image/svg"),
    "application/pdf": ("pdf", "application/pdf"),
    "application/vnd.mapbox-vector-tile": (
        "pbf", "mvt", "application/vnd.mapbox-vector-tile", "application/x-protobuf",
    ),
    "text/html": ("html", "text/html"),
    "text/plain": ("text", "text/plain"),
    "application/vnd.ogc.gml": ("application/vnd.ogc.gml", "gml"),
    "text/xml": ("xml", "text/xml", "application/xml"),
}  # fmt: skip
_FORMAT_OF = {alias: name for name, aliases in FORMATS.items() for alias in aliases}
_FORMAT_SPACES = re.compile(r"\s*;\s*|\s+")


@lru_cache(maxsize=1024)
def normalize_format(value: str | None) -> str | None:
    """The canonical name of an output format (`FORMATS`); an unknown one as written."""
    if not value:
        return None
    key = _FORMAT_SPACES.sub(lambda m: ";" if ";" in m.group() else "+", value.strip().lower())
    return _FORMAT_OF.get(key, value.strip())


def qualify(name: str, workspace: str | None, service: str) -> str:
    """``workspace:name``: WCS 2.0 writes ``ws__name``, a virtual service omits the ws."""
    name = name.strip().strip("()")
    if ":" not in name:
        if service == "WCS" and "__" in name:
            return name.replace("__", ":", 1)
        if workspace:
            return f"{workspace}:{name}"
    return name


def parse_bbox(raw: str | None) -> list[float] | None:
    """The four numbers of a raw BBOX value (WFS may append a CRS as a fifth item)."""
    return _bbox_numbers(_bbox_items(raw))


def _bbox_items(raw: str | None) -> list[str] | None:
    """A raw BBOX value's comma-separated items, None when fewer than four."""
    if not raw:
        return None
    if "%" in raw:  # commas written %2C; cheaper than decoding a value that never repeats
        raw = raw.replace("%2C", ",").replace("%2c", ",")
    items = raw.split(",")
    return items if len(items) >= 4 else None


def _bbox_numbers(items: list[str] | None) -> list[float] | None:
    if items is None:
        return None
    try:
        return [float(items[0]), float(items[1]), float(items[2]), float(items[3])]
    except ValueError:
        return None


def parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def canonical_request(value: str | None) -> str | None:
    return REQUESTS.get(value.lower(), value) if value else None


# Parameters that place a map, a tile or a clicked pixel: they change with every request of
# a view, while the rest of the query (service, layers, format...) repeats all day. They are
# cut out of the query, the rest is described once (cached), and only BBOX, WIDTH and HEIGHT
# are read for every request.
PLACE_PARAMS: Final = frozenset(
    {"bbox", "width", "height", "tilematrix", "tilerow", "tilecol", "x", "y", "i", "j"}
)
# The placing parameters OgcInfo reads: BBOX, WIDTH and HEIGHT, and a WMTS tile's indices
# for its view.
PLACE_VALUES: Final = ("bbox", "width", "height", "tilematrix", "tilerow", "tilecol")
# How a request's OgcInfo reads the placing values (see `placed` and `Router.classify`).
PLACED_KVP: Final = "kvp"  # BBOX, WIDTH and HEIGHT
PLACED_BBOX: Final = "bbox"  # BBOX only (OGC API Features)
# The requests whose extent or tile is a place users look at: a map, features, a tile.
VIEWED: Final = frozenset({"GetMap", "GetFeature", "GetTile", "GetCoverage", "GetItems"})
# OgcInfo's view_zoom, view_x, view_y: a `territory.Cell`, or NO_VIEW.
ViewCell = tuple[int | None, int | None, int | None]
NO_VIEW: Final[ViewCell] = (None, None, None)
# (bbox, width, height, view_zoom, view_x, view_y): `row.PLACING`'s values.
Placing = tuple[list[float] | None, int | None, int | None, int | None, int | None, int | None]


def from_kvp(
    query: str | None,
    path_service: str | None = None,
    workspace: str | None = None,
    path_layer: str | None = None,
    tiled: bool = False,
) -> OgcInfo | None:
    """A KVP request; `path_service` comes from /wms, /wfs... when SERVICE is omitted.

    The returned OgcInfo may be shared with other requests (read-only, like `AppMatch`).
    """
    head, place = split_place(query or "")
    described = _describe_kvp(head, path_service, workspace, path_layer, tiled)
    if described is None:
        return None
    info, oddly_placed = described
    if oddly_placed:  # a placing name the split missed (``amp;bbox``): the exact reading
        place = parse_params(query)
    return placed(info, PLACED_KVP, place) if place else info


def placed(info: OgcInfo, placing: str, place: dict[str, str]) -> OgcInfo:
    """`info`, described from a query without its placing parameters, with their values
    (`place`, from `split_place`) read back as `placing` says."""
    return with_placing(info, *placed_values(info, placing, place))


def placed_values(info: OgcInfo, placing: str, place: dict[str, str]) -> Placing:
    """The BBOX, WIDTH and HEIGHT of `placed`, and the view they (or a tile's indices) give."""
    return placer(info, placing).values(place)


def placer(info: OgcInfo, placing: str) -> Placer:
    """How requests described as `info` read their placing values."""
    return _placer(placing, info.service, info.request, info.crs, info.version, info.width,
                   info.height)  # fmt: skip


@lru_cache(maxsize=1024)
def _placer(
    placing: str,
    service: str,
    request: str | None,
    crs: str | None,
    version: str | None,
    width: int | None,
    height: int | None,
) -> Placer:
    viewed = request in VIEWED
    # OGC API Features reads its BBOX in CRS:84 (`from_features_api`).
    bbox_crs = territory.CRS84 if service == OGC_API_FEATURES else crs
    bboxes = territory.bbox_reader(bbox_crs, version, service) if viewed and bbox_crs else None
    return Placer(placing, service, version, crs, width, height, viewed, bboxes)


@dataclass(frozen=True, slots=True)
class Placer:
    """How the requests of one description read their placing values: what depends on the
    description alone (its CRS's axis order and projection, whether it is a view) is
    decided once, by `placer`; a request's values then cost a few operations."""

    placing: str  # PLACED_KVP or PLACED_BBOX
    service: str
    version: str | None
    crs: str | None  # a tile's gridset
    width: int | None  # PLACED_BBOX: the description's own
    height: int | None
    viewed: bool  # a map, features or a tile: where users look (VIEWED)
    bboxes: territory.BboxReader | None  # its BBOXes; None: no view, or an unknown CRS

    def values(self, place: dict[str, str]) -> Placing:
        items = _bbox_items(place.get("bbox"))
        bbox = _bbox_numbers(items)
        if self.placing == PLACED_BBOX:
            zoom, x, y = self._bbox_view(bbox, None)
            return bbox, self.width, self.height, zoom, x, y
        if bbox is not None:
            # A WFS BBOX may name its CRS as a fifth item (``bbox=a,b,c,d,EPSG:4326``).
            crs = None
            if items is not None and len(items) > 4:
                crs = unquote(items[4]).strip() or None
            zoom, x, y = self._bbox_view(bbox, crs)
        elif self.viewed:
            zoom, x, y = _tile_view(
                self.crs, place.get("tilematrix"), place.get("tilecol"), place.get("tilerow")
            )
        else:
            zoom, x, y = NO_VIEW
        return bbox, parse_int(place.get("width")), parse_int(place.get("height")), zoom, x, y

    def _bbox_view(self, bbox: list[float] | None, crs: str | None) -> ViewCell:
        """The view of a BBOX in `crs` (a fifth item), else in the description's."""
        if bbox is None or not self.viewed:
            return NO_VIEW
        reader = self.bboxes
        if crs is not None:
            reader = territory.bbox_reader(crs, self.version, self.service)
        if reader is None:
            return NO_VIEW
        return _cell(reader.cell(bbox[0], bbox[1], bbox[2], bbox[3]))


def _bbox_view(info: OgcInfo, bbox: list[float]) -> ViewCell:
    """The view of a BBOX in the request's CRS (OGC API Features: CRS:84)."""
    return placer(info, PLACED_BBOX)._bbox_view(bbox, None)


def _tile_view(
    gridset: str | None,
    matrix: str | None,
    column: str | None,
    row: str | None,
    origin_top: bool = True,
) -> ViewCell:
    """The view of a tile of a built-in gridset, from its level (a WMTS TileMatrix or a TMS
    zoom), column and row as the request writes them."""
    zoom, x, y = territory.tile_matrix_zoom(matrix), parse_int(column), parse_int(row)
    if zoom is None or x is None or y is None:
        return NO_VIEW
    return _cell(territory.cell_of_tile(gridset, zoom, x, y, origin_top=origin_top))


def _cell(cell: territory.Cell | None) -> ViewCell:
    return NO_VIEW if cell is None else cell


@dataclass(frozen=True, slots=True)
class PathTile:
    """How the last three segments of a REST tile path give its view: TMS writes
    ``z/x/y.ext`` (rows from the bottom), WMTS REST ``matrix/row/col`` (rows from the top).

    A module that describes such a path returns it in `AppMatch.tile`: every tile of a
    layer, gridset and format then shares one description (the fast path's), which reads
    each request's three segments (`split_tile_path`) with `values`."""

    gridset: str  # as the path writes it
    row_first: bool  # WMTS: the row, then the column; TMS: x (the column), then y
    origin_top: bool

    def view(self, matrix: str, first: str, second: str) -> ViewCell:
        column, row = (second, first) if self.row_first else (first, second)
        return _tile_view(self.gridset, matrix, column, row, self.origin_top)

    def values(self, matrix: str, first: str, second: str) -> Placing:
        zoom, x, y = self.view(matrix, first, second)
        return None, None, None, zoom, x, y


MAX_INDEX_DIGITS: Final = 9
_is_tile_matrix: Final = re.compile(r"[0-9A-Za-z:_.%-]{1,64}").fullmatch


def split_tile_path(path: str) -> tuple[str, str, str, str, str] | None:
    """``(prefix, matrix, first, second, suffix)`` of a path that may end with a tile's
    indices, ``prefix/matrix/first/second[.ext]``: the two last ASCII numbers, the matrix
    and the extension plain characters that no output escapes. None for other paths, most
    of them at the first test (their last segment starts with no digit)."""
    slash = path.rfind("/")
    if slash < 0 or slash + 1 == len(path) or not "0" <= path[slash + 1] <= "9":
        return None
    dot = path.find(".", slash)
    end = len(path) if dot < 0 else dot
    second, suffix = path[slash + 1 : end], path[end:]
    if suffix and not (2 <= len(suffix) <= 9 and _is_plain_word(suffix[1:])):
        return None
    before = path.rfind("/", 0, slash)
    first = path[before + 1 : slash]
    if before < 0 or not (_is_index(first) and _is_index(second)):
        return None
    start = path.rfind("/", 0, before)
    matrix = path[start + 1 : before]
    if start < 0 or _is_tile_matrix(matrix) is None:
        return None
    return path[:start], matrix, first, second, suffix


def _is_index(text: str) -> bool:
    return 0 < len(text) <= MAX_INDEX_DIGITS and text.isascii() and text.isdigit()


def _is_plain_word(text: str) -> bool:
    return text.isascii() and text.isalnum()


def with_placing(
    info: OgcInfo,
    bbox: list[float] | None,
    width: int | None,
    height: int | None,
    view_zoom: int | None,
    view_x: int | None,
    view_y: int | None,
) -> OgcInfo:
    # Positional: dataclasses.replace costs more than reading the values.
    return OgcInfo(
        info.service, info.request, info.layers, info.crs, info.format, bbox, width, height,
        info.tiled, info.download, info.version, view_zoom, view_x, view_y,
    )  # fmt: skip


_PLACE_INITIALS: Final = frozenset(name[0] for name in PLACE_PARAMS) | frozenset(
    name[0].upper() for name in PLACE_PARAMS
)


def split_place(query: str) -> tuple[str, dict[str, str]]:
    """``(rest, place)``: the raw query without its placing parameters, and the first
    non-empty value of each of PLACE_VALUES among them, still encoded.

    `rest` is the kept pairs joined by ``&``, as `query.split("&")` filtered would give;
    it is built from the runs of kept pairs, so that a pair is sliced only when it may be
    a placing one (most are not: a slice and a list item per pair cost twice as much)."""
    place: dict[str, str] = {}
    runs: list[str] = []  # maximal runs of consecutive kept pairs, as in the query
    run_start = -1  # where the current run starts; -1: none
    run_end = 0
    size = len(query)
    start = 0
    while True:
        end = query.find("&", start)
        if end < 0:
            end = size
        if _is_placing(query, start, end, place):
            if run_start >= 0:
                runs.append(query[run_start:run_end])
                run_start = -1
        else:
            if run_start < 0:
                run_start = start
            run_end = end
        if end == size:
            break
        start = end + 1
    if run_start == 0 and run_end == size:  # nothing placing
        return query, place
    if run_start >= 0:
        runs.append(query[run_start:run_end])
    return "&".join(runs), place


def _is_placing(query: str, start: int, end: int, place: dict[str, str]) -> bool:
    """Whether the pair query[start:end] is a placing one; its value goes in `place`."""
    if start == end or query[start] not in _PLACE_INITIALS:  # most: no slice, no lower
        return False
    equals = query.find("=", start, end)
    if equals < 0:
        equals = end
    name = query[start:equals].lower()
    if name not in PLACE_PARAMS:
        return False
    value = query[equals + 1 : end]
    if value and name in PLACE_VALUES and name not in place:
        place[name] = value
    return True


@lru_cache(maxsize=4096)
def _describe_kvp(
    head: str,
    path_service: str | None,
    workspace: str | None,
    path_layer: str | None,
    tiled: bool,
) -> tuple[OgcInfo, bool] | None:
    """The cached part of `from_kvp`: what `head` asks for, and whether it still holds a
    placing parameter."""
    params = parse_params(head)
    raw_request = params.text("request")
    service = _service(params.text("service") or path_service, raw_request)
    if service is None:
        return None
    request = canonical_request(raw_request)
    feature_info = request == "GetFeatureInfo"
    # GetFeatureInfo is about the queried layers, not the ones drawn.
    names = (params.text("query_layers") if feature_info else None) or params.first(*LAYER_PARAMS)
    # A tile matrix set is a gridset's name, often an EPSG code (GeoWebCache's EPSG:900913).
    raw_crs = params.text("tilematrixset") if service == "WMTS" else params.first(*CRS_PARAMS)
    crs = normalize_crs(raw_crs)
    info_format = params.first("info_format", "infoformat") if feature_info else None
    info = OgcInfo(
        service,
        request,
        split_layers(names or path_layer, workspace, service),
        crs,
        normalize_format(info_format or params.first("format", "outputformat")),
        tiled=tiled or service == "WMTS" or _is_true(params.text("tiled")),
        download=(service, request) in DOWNLOADS and not _is_hits(params.text("resulttype")),
        version=params.text("version"),
    )
    return info, any(name in params for name in PLACE_VALUES)


def _service(written: str | None, raw_request: str | None) -> str | None:
    """The upper-case service, guessed from the operation when not written."""
    service = written or SERVICE_OF_REQUEST.get(raw_request.lower() if raw_request else "")
    if service and service.upper() in SERVICES:
        return service.upper()
    return None


def _is_true(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


def _is_hits(value: str | None) -> bool:
    """A WFS resultType=hits counts features and downloads nothing."""
    return value is not None and value.lower() == "hits"


def split_layers(names: str | None, workspace: str | None, service: str) -> list[str]:
    if not names:
        return []
    return [qualify(name, workspace, service) for name in names.split(",") if name.strip()]


def from_tms(parts: list[str], workspace: str | None = None) -> tuple[OgcInfo, PathTile | None]:
    """GeoWebCache TMS: parts after ``/service/tms`` are
    ``1.0.0 / ws:name@gridset@format / z / x / y.ext``; a tile's `PathTile`."""
    if len(parts) < 2:
        return OgcInfo("TMS", "GetCapabilities"), None
    layer, _, rest = unquote(parts[1]).partition("@")
    gridset, _, tile_format = rest.partition("@")
    layers = split_layers(layer, workspace, "TMS")
    if len(parts) < 5:  # the TileMap description of one layer
        info = OgcInfo("TMS", "GetCapabilities", layers=layers, crs=normalize_crs(gridset))
        return info, None
    name, dot, extension = parts[-1].rpartition(".")
    extension = (extension if dot else tile_format).lower()
    tile = PathTile(gridset, row_first=False, origin_top=False)
    view = tile.view(parts[-3], parts[-2], name if dot else parts[-1])
    info = OgcInfo(
        "TMS",
        "GetTile",
        layers=layers,
        crs=normalize_crs(gridset),
        format=normalize_format(TILE_MIME_TYPES.get(extension, extension or None)),
        tiled=True,
        version=parts[0] or None,
        view_zoom=view[0],
        view_x=view[1],
        view_y=view[2],
    )
    return info, tile


def from_wmts_rest(
    parts: list[str], params: Params, workspace: str | None = None
) -> tuple[OgcInfo, PathTile | None]:
    """GeoWebCache WMTS RESTful: parts after ``/service/wmts/rest`` are
    ``layer[/style]/tilematrixset/tilematrix/row/col[/j/i]``; a tile's `PathTile`."""
    if len(parts) < 5:  # WMTSCapabilities.xml, or a shape we do not know
        request = "GetCapabilities" if parts and parts[0].endswith(".xml") else None
        return OgcInfo("WMTS", request, tiled=True), None
    feature_info = len(parts) >= 7
    matrix_set = unquote(parts[-6] if feature_info else parts[-4])
    view = NO_VIEW
    tile = None
    if not feature_info:
        tile = PathTile(matrix_set, row_first=True, origin_top=True)
        view = tile.view(parts[-3], parts[-2], parts[-1].partition(".")[0])
    info = OgcInfo(
        "WMTS",
        "GetFeatureInfo" if feature_info else "GetTile",
        layers=split_layers(unquote(parts[0]), workspace, "WMTS"),
        crs=normalize_crs(matrix_set),
        format=normalize_format(
            params.first("infoformat", "format") if feature_info else params.text("format")
        ),
        tiled=True,
        view_zoom=view[0],
        view_x=view[1],
        view_y=view[2],
    )
    return info, tile


# OGC API Features paths below .../features[/v1], by their shape.
_FEATURES_REQUESTS = {
    (): "GetLandingPage",
    ("conformance",): "GetConformance",
    ("api",): "GetApi",
    ("collections",): "GetCollections",
    ("collections", "*"): "DescribeCollection",
    ("collections", "*", "items"): "GetItems",
    ("collections", "*", "items", "*"): "GetItem",
    ("collections", "*", "queryables"): "GetQueryables",
}


def from_features_api(parts: list[str], params: Params, workspace: str | None) -> OgcInfo:
    """OGC API Features: `parts` follow ``/ogc/features[/v1]``."""
    shape = tuple("*" if index % 2 else part for index, part in enumerate(parts))
    request = _FEATURES_REQUESTS.get(shape)
    collection = unquote(parts[1]) if len(parts) > 1 else None
    info = OgcInfo(
        OGC_API_FEATURES,
        request,
        layers=split_layers(collection, workspace, OGC_API_FEATURES),
        crs=normalize_crs(params.first("crs", "bbox-crs")),
        format=normalize_format(params.text("f")),
        download=request in ("GetItems", "GetItem"),
    )
    bbox = parse_bbox(params.get("bbox"))
    if bbox is None:
        return info
    return with_placing(info, bbox, None, None, *_bbox_view(info, bbox))
