"""The output contract: one `Request` per valid log line.

Field names and meanings are a public contract (``analyzer parse --output jsonl``, the
database columns, the dashboards). Add fields freely; never rename or change one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# No __slots__ on these dataclasses: orjson serialises a dataclass from its __dict__ two to
# three times faster, and `analyzer parse` writes one per line.


@dataclass
class OgcInfo:
    """What an OGC request asked for (GeoServer, GeoWebCache)."""

    service: str  # WMS, WFS, WCS, WMTS, TMS, OGCAPI-FEATURES
    request: str | None  # canonical CamelCase (GetMap...); None for a POST without query
    layers: list[str] = field(default_factory=list)  # "workspace:name"
    crs: str | None = None  # EPSG:n, or the tile matrix set / gridset for tiles
    format: str | None = None
    bbox: list[float] | None = None
    width: int | None = None
    height: int | None = None
    tiled: bool = False
    download: bool = False
    version: str | None = None  # as the request gives it: decides a BBOX's axis order
    # The Web Mercator tile holding the center of what the request shows (a map's BBOX, a
    # tile), at the zoom of its width: where on the territory users look (`territory`).
    # None for other requests, and for extents and gridsets that cannot be placed.
    view_zoom: int | None = None
    view_x: int | None = None
    view_y: int | None = None


@dataclass
class CatalogInfo:
    """A GeoNetwork or datahub action worth counting."""

    action: str  # metadata_view, metadata_export, download, search, page
    uuid: str | None = None


@dataclass
class Request:
    line_no: int  # 1-based in its file, counting every line
    ts: datetime  # timezone-aware
    site: str
    client_ip: str | None
    user: str | None  # None for anonymous
    org: str | None
    roles: list[str]
    method: str
    path: str  # as sent, percent-encoding kept; no scheme, host or query
    query: str | None
    status: int
    bytes: int | None
    duration_ms: float | None
    referer: str | None
    user_agent: str | None
    app: str
    agent_class: str  # browser, gis, bot, script, probe (monitoring), unknown
    agent_name: str | None = None  # "QGIS", "Chrome", "curl", "Googlebot"...
    ogc: OgcInfo | None = None
    catalog: CatalogInfo | None = None
    action: str | None = None  # app-specific: "export" (cadastrapp), "account_new" (console)...
    country: str | None = None  # the client's ISO 3166-1 alpha-2 code ("FR"), from `geoip`
    region: str | None = None  # its first subdivision ("Brittany"), from a city database

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ts"] = self.ts.isoformat()
        return data
