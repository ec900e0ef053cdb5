"""GeoWebCache, standalone (/geowebcache) or embedded in GeoServer (/geoserver/gwc).

Its OGC endpoints live under ``service/``: ``wms`` (WMS-C), ``wmts`` (KVP and RESTful)
and ``tms``. Every tile request it serves counts as tiled.
"""

from __future__ import annotations

from analyzer.apps import ogc
from analyzer.apps.base import ActionTable, AppMatch, parse_params, segments
from analyzer.record import OgcInfo

NAME = "geowebcache"
ROUTES = ("/geowebcache", "/geoserver/gwc")

# Non-OGC calls worth telling apart, by leading path segments.
ACTIONS = {"rest": "rest_api", "demo": "demo", "home": "home"}
TABLE = ActionTable(NAME, ACTIONS)
NOTHING = TABLE.nothing


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    return describe_parts(segments(subpath), query)


def describe_parts(parts: list[str], query: str | None, workspace: str | None = None) -> AppMatch:
    """`parts` start below the GeoWebCache root; `workspace` is set for GeoServer's
    workspace-specific ``/geoserver/<ws>/gwc/...``."""
    if len(parts) < 2 or parts[0] != "service":
        return TABLE.match(parts)
    kind, rest = parts[1].lower(), parts[2:]
    placing = None
    tile = None
    info: OgcInfo | None
    if kind == "tms":
        info, tile = ogc.from_tms(rest, workspace)
    elif kind == "wmts" and rest[:1] == ["rest"]:
        info, tile = ogc.from_wmts_rest(rest[1:], parse_params(query), workspace)
    elif kind in ("wms", "wmts"):
        info = ogc.from_kvp(query, kind.upper(), workspace, tiled=True)
        placing = ogc.PLACED_KVP
    else:
        info = None
    return AppMatch(NAME, ogc=info, placing=placing, tile=tile) if info else NOTHING
