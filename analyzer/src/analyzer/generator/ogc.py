"""Request builders for GeoServer and GeoWebCache: WMS, WFS, WCS, WMTS, TMS, OGC API.

Each builder returns a ``Req`` with the target exactly as the client sends it. Clients
differ as in the field: upper- or lower-case parameter names, qualified layer names or a
workspace virtual service, several spellings of the same CRS.
"""

from __future__ import annotations

import math
from random import Random

from analyzer.generator import data
from analyzer.generator.data import Layer
from analyzer.generator.model import Client, Req, Weighted, choose

_LAYERS = Weighted(data.LAYERS, [layer.weight for layer in data.LAYERS])
_VECTORS = tuple(layer for layer in data.LAYERS if not layer.raster)
_RASTERS = tuple(layer for layer in data.LAYERS if layer.raster)
_WFS_FORMATS = Weighted(*zip(*data.WFS_OUTPUT_FORMATS, strict=True))
_BBOX_SHARES = (0.004, 0.02, 0.1, 0.5)  # of the extent's width: street to county
_BBOX_FORMATS = {  # %-formatting: noticeably faster than nested f-string precision
    crs: "%.6f%%2C%.6f%%2C%.6f%%2C%.6f" if crs == "EPSG:4326" else "%.2f%%2C%.2f%%2C%.2f%%2C%.2f"
    for crs in data.EXTENTS
}


_TOWNS = Weighted(list(range(len(data.TOWNS))), [town[5] for town in data.TOWNS])
# Each town's center in each CRS of EXTENTS (Web Mercator from longitude and latitude).
_TOWN_CENTERS = {
    "EPSG:4326": [(lon, lat) for _, lon, lat, _, _, _ in data.TOWNS],
    "EPSG:2154": [(x, y) for _, _, _, x, y, _ in data.TOWNS],
    "EPSG:3857": [
        (math.radians(lon) * 6378137.0, math.asinh(math.tan(math.radians(lat))) * 6378137.0)
        for _, lon, lat, _, _, _ in data.TOWNS
    ],
}


def _layer(rng: Random) -> Layer:
    return _LAYERS.pick(rng)


def _ows_path(rng: Random, layer: Layer, service: str) -> tuple[str, str]:
    """A service path and the layer as the request names it.

    A third of the clients use the workspace's virtual service and an unqualified name.
    """
    if rng.random() < 0.33:
        return f"/geoserver/{layer.workspace}/{service}", layer.name
    return f"/geoserver/{service}", f"{layer.workspace}%3A{layer.name}"


def _bbox(rng: Random, crs: str) -> str:
    """An extent over the region, most around a town; in EPSG:4326 latitude first, as WMS
    1.3.0 wants."""
    xmin, ymin, xmax, ymax = data.EXTENTS[crs]
    size = (xmax - xmin) * _BBOX_SHARES[int(rng.random() * len(_BBOX_SHARES))]
    if rng.random() < data.TOWN_SHARE:
        cx, cy = _TOWN_CENTERS[crs][_TOWNS.pick(rng)]
        x = cx - size * rng.random()
        y = cy - size * rng.random()
    else:
        x = xmin + rng.random() * (xmax - xmin - size)
        y = ymin + rng.random() * (ymax - ymin - size)
    if crs == "EPSG:4326":
        return _BBOX_FORMATS[crs] % (y, x, y + size, x + size)
    return _BBOX_FORMATS[crs] % (x, y, x + size, y + size)


def _query(client: Client, params: list[tuple[str, str]]) -> str:
    if client.upper:
        return "&".join([f"{key.upper()}={value}" for key, value in params])
    return "&".join([f"{key}={value}" for key, value in params])


def wms_getmap(rng: Random, client: Client) -> Req:
    layer = _layer(rng)
    path, name = _ows_path(rng, layer, "wms")
    crs = choose(rng, ("EPSG:3857", "EPSG:3857", "EPSG:2154", "EPSG:4326"))
    size = choose(rng, ("256", "512", "1024"))
    params = [
        ("service", "WMS"),
        ("version", "1.3.0"),
        ("request", "GetMap"),
        ("format", "image%2Fpng"),
        ("transparent", "true"),
        ("layers", name),
        ("styles", ""),
        ("crs", data.CRS_SPELLINGS[crs]),
        ("width", size),
        ("height", size),
        ("bbox", _bbox(rng, crs)),
    ]
    if client.agent.kind == "browser" and rng.random() < 0.4:
        params.append(("tiled", "true"))
    return Req("GET", f"{path}?{_query(client, params)}", "geoserver", "getmap", layer.slowness)


def wms_getcapabilities(rng: Random, client: Client) -> Req:
    if rng.random() < 0.5:
        query = _query(client, [("service", "WMS"), ("request", "GetCapabilities")])
        return Req("GET", f"/geoserver/ows?{query}", "geoserver", "capabilities")
    path, _ = _ows_path(rng, _layer(rng), "wms")
    query = "service=wms&version=1.3.0&request=GetCapabilities"
    return Req("GET", f"{path}?{query}", "geoserver", "capabilities")


def wms_getfeatureinfo(rng: Random, client: Client) -> Req:
    layer = _layer(rng)
    path, name = _ows_path(rng, layer, "wms")
    params = [
        ("service", "WMS"),
        ("version", "1.3.0"),
        ("request", "GetFeatureInfo"),
        ("layers", name),
        ("query_layers", name),
        ("info_format", choose(rng, data.INFO_FORMATS)),
        ("feature_count", "10"),
        ("i", str(rng.randrange(256))),
        ("j", str(rng.randrange(256))),
        ("crs", "EPSG%3A3857"),
        ("width", "256"),
        ("height", "256"),
        ("bbox", _bbox(rng, "EPSG:3857")),
    ]
    return Req(
        "GET", f"{path}?{_query(client, params)}", "geoserver", "featureinfo", layer.slowness
    )


def wms_getlegendgraphic(rng: Random, client: Client) -> Req:
    layer = _layer(rng)
    query = (
        "REQUEST=GetLegendGraphic&VERSION=1.0.0&FORMAT=image%2Fpng&WIDTH=20&HEIGHT=20"
        f"&LAYER={layer.workspace}%3A{layer.name}&STYLE="
    )
    return Req("GET", f"/geoserver/wms?{query}", "geoserver", "legend")


def wfs_getcapabilities(rng: Random, client: Client) -> Req:
    query = _query(client, [("service", "WFS"), ("request", "GetCapabilities")])
    return Req("GET", f"/geoserver/wfs?{query}", "geoserver", "capabilities")


def wfs_getfeature(rng: Random, client: Client) -> Req:
    layer = choose(rng, _VECTORS)
    path, name = _ows_path(rng, layer, choose(rng, ("wfs", "ows")))
    output = _WFS_FORMATS.pick(rng)
    if rng.random() < 0.3:  # WFS 1.0.0 clients still say typeName
        version, type_key, srs = "1.0.0", "typeName", "EPSG:2154"
    else:
        version, type_key, srs = "2.0.0", "typeNames", "urn:ogc:def:crs:EPSG::4326"
    params = [
        ("service", "WFS"),
        ("version", version),
        ("request", "GetFeature"),
        (type_key, name),
        ("outputFormat", output),
        ("srsName", srs),
    ]
    return Req("GET", f"{path}?{_query(client, params)}", "geoserver", "getfeature", layer.slowness)


def wfs_post(rng: Random, client: Client) -> Req:
    # The operation is in the body, which access logs never show.
    return Req("POST", "/geoserver/wfs", "geoserver", "getfeature")


def wcs_getcoverage(rng: Random, client: Client) -> Req:
    layer = choose(rng, _RASTERS)
    x = 150000 + rng.randrange(200000)
    y = 6720000 + rng.randrange(140000)
    query = (
        f"service=WCS&version=2.0.1&request=GetCoverage&coverageId={layer.workspace}__"
        f"{layer.name}&format=image%2Fgeotiff&subset=E({x},{x + 5000})"
        f"&subset=N({y},{y + 5000})"
    )
    return Req("GET", f"/geoserver/wcs?{query}", "geoserver", "getcoverage", layer.slowness)


def wmts_tile(rng: Random, client: Client) -> Req:
    layer = _layer(rng)
    zoom = rng.randrange(8, 19)
    col, row = _tile_indices(rng, zoom)
    query = (
        f"layer={layer.workspace}%3A{layer.name}&style=&tilematrixset=EPSG%3A900913"
        f"&Service=WMTS&Request=GetTile&Version=1.0.0&Format=image%2Fpng"
        f"&TileMatrix=EPSG%3A900913%3A{zoom}&TileCol={col}&TileRow={row}"
    )
    return Req("GET", f"/geoserver/gwc/service/wmts?{query}", "geoserver", "tile")


def tms_tile(rng: Random, client: Client) -> Req:
    layer = _layer(rng)
    zoom = rng.randrange(8, 19)
    col, row = _tile_indices(rng, zoom)
    ext = "jpeg" if layer.raster else "png"
    # TMS counts rows from the bottom of the grid.
    path = (
        f"/geoserver/gwc/service/tms/1.0.0/{layer.workspace}:{layer.name}"
        f"@EPSG:900913@{ext}/{zoom}/{col}/{(1 << zoom) - 1 - row}.{ext}"
    )
    return Req("GET", path, "geoserver", "tile")


def _tile_indices(rng: Random, zoom: int) -> tuple[int, int]:
    """Tile column and row over Brittany at this zoom level."""
    span = 1 << zoom
    col = int(span * (0.484 + rng.random() * 0.012))
    row = int(span * (0.348 + rng.random() * 0.008))
    return col, row


def ogcapi_items(rng: Random, client: Client) -> Req:
    layer = choose(rng, _VECTORS)
    fmt = choose(rng, ("application%2Fgeo%2Bjson", "json", "text%2Fhtml"))
    path = f"/geoserver/ogc/features/v1/collections/{layer.workspace}:{layer.name}/items"
    return Req(
        "GET", f"{path}?f={fmt}&limit={choose(rng, (10, 100, 1000))}", "geoserver", "getfeature"
    )
