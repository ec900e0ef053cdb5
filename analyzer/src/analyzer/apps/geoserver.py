"""GeoServer: OGC services (WMS, WFS, WCS, WMTS) and OGC API Features.

URL shapes: ``/geoserver/{ows,wms,wfs,wcs,wmts}``, the workspace-specific
``/geoserver/<ws>/wms`` and layer-specific ``/geoserver/<ws>/<layer>/wms`` (unqualified
layers then belong to that workspace), ``/geoserver[/<ws>]/ogc/features/v1/...``, and
``/geoserver/<ws>/gwc/...`` which GeoWebCache serves.
"""

from __future__ import annotations

from urllib.parse import unquote

from analyzer.apps import geowebcache, ogc
from analyzer.apps.base import ActionTable, AppMatch, parse_params, segments
from analyzer.record import OgcInfo

NAME = "geoserver"
ROUTES = ("/geoserver",)

# Last path segment of a KVP endpoint -> its service (None: written in the request).
PATH_SERVICES = {"ows": None, "wms": "WMS", "wfs": "WFS", "wcs": "WCS", "wmts": "WMTS"}
# Non-OGC calls worth telling apart, by leading path segments.
ACTIONS = {"web": "admin_ui", "rest": "rest_api"}
TABLE = ActionTable(NAME, ACTIONS)
NOTHING = TABLE.nothing


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if len(parts) > 2 and parts[1] == "gwc":
        return geowebcache.describe_parts(parts[2:], query, workspace=unquote(parts[0]))
    info = _kvp(parts, query)
    if info:
        return AppMatch(NAME, ogc=info, placing=ogc.PLACED_KVP)
    info = _features_api(parts, query)
    if info:
        return AppMatch(NAME, ogc=info, placing=ogc.PLACED_BBOX)
    return TABLE.match(parts)


def _kvp(parts: list[str], query: str | None) -> OgcInfo | None:
    """``[ws/[layer/]]service`` endpoints, or the root of a prefix a site routes here
    (a MapServer-like ``/ortho?SERVICE=WMS&...``)."""
    if not parts:
        return ogc.from_kvp(query) if query else None
    if len(parts) > 3 or parts[-1].lower() not in PATH_SERVICES:
        return None
    workspace = unquote(parts[0]) if len(parts) > 1 else None
    layer = unquote(parts[1]) if len(parts) == 3 else None
    return ogc.from_kvp(query, PATH_SERVICES[parts[-1].lower()], workspace, layer)


def _features_api(parts: list[str], query: str | None) -> OgcInfo | None:
    """``[ws/]ogc/features[/v1]/...``."""
    start = 1 if parts[:1] != ["ogc"] else 0
    if parts[start : start + 2] != ["ogc", "features"]:
        return None
    rest = parts[start + 2 :]
    if rest[:1] == ["v1"]:
        rest = rest[1:]
    workspace = unquote(parts[0]) if start else None
    return ogc.from_features_api(rest, parse_params(query), workspace)
