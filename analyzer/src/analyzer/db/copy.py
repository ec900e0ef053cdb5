"""Requests as PostgreSQL text-format COPY rows, and the columns they fill.

Text COPY is built with plain string joins: on the hot path this is several times cheaper
than adapting every value through psycopg, and the rows can be encoded in the parsing
process and shipped to the loading one as bytes. Column lists follow
``timescaledb/README.md`` (the schema contract); each encoder lists its values in the
same order as its column tuple.
"""

from __future__ import annotations

from datetime import datetime

from analyzer.record import CatalogInfo, OgcInfo, Request

REQUEST_COLUMNS = (
    "ts", "site", "file_id", "line_no", "client_ip", "user_name", "org", "roles",
    "method", "path", "query", "status", "bytes", "duration_ms", "referer", "user_agent",
    "app", "agent_class", "agent_name", "ogc_service", "ogc_request", "ogc_layers",
    "ogc_crs", "ogc_format", "ogc_bbox", "ogc_width", "ogc_height", "ogc_tiled",
    "ogc_download", "layer_count", "catalog_action", "catalog_uuid",
)  # fmt: skip
LAYER_COLUMNS = (
    "ts", "site", "file_id", "line_no", "layer", "workspace", "app", "ogc_service", "ogc_request",
    "ogc_tiled", "ogc_download", "ogc_format", "ogc_crs", "org", "user_name",
    "agent_class", "status", "duration_ms",
)  # fmt: skip

NULL = "\\N"
# The ogc_* columns (then layer_count) and catalog_* columns of a request without them.
NO_OGC = "\t".join([NULL] * 10 + ["0"])
NO_CATALOG = f"{NULL}\t{NULL}"
INT2_MAX, INT4_MAX, INT8_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1
# COPY's text format escapes these; NUL cannot be stored in a PostgreSQL text at all.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": None})


def text(value: str | None) -> str:
    """A text value for COPY; the membership tests keep clean values off ``translate``."""
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value:
        return value.translate(_ESCAPES)
    return value


def number(value: float | None) -> str:
    return NULL if value is None else str(value)


def text_array(values: list[str]) -> str:
    """A text[] literal (``{"ROLE_A","ROLE_B"}``), then escaped for COPY."""
    if not values:
        return "{}"
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return text("{" + ",".join(f'"{v}"' for v in quoted) + "}")


def integer(value: int | None, limit: int = INT4_MAX) -> str:
    """An integer, or NULL when out of the column's range (a forged ``width=1e30``)."""
    if value is None or not -limit <= value <= limit:
        return NULL
    return str(value)


def layer_cells(layer: str) -> str:
    """The layer and workspace columns of a request_layers row. The workspace is what
    precedes the first ``:`` of a qualified name (``topp`` of ``topp:states``), NULL for a
    bare name; the database computed it until migration 0008, at a fifth of the COPY's
    cost."""
    workspace = layer.split(":", 1)[0] if ":" in layer else None
    return f"{text(layer)}\t{text(workspace)}"


def _bool(value: bool) -> str:
    return "t" if value else "f"


class RowEncoder:
    """COPY lines for the requests of one file (one ``file_id``, one site).

    Values follow the column tuples' order. ``site``, ``app`` and ``agent_class`` come
    from configuration and fixed tables, so they skip escaping; so does the timestamp,
    formatted once per distinct second (consecutive lines mostly share it).
    """

    def __init__(self, site: str, file_id: int) -> None:
        self.site_and_file = f"{text(site)}\t{file_id}\t"
        self.last_ts: datetime | None = None
        self.last_ts_text = ""

    def encode(self, req: Request) -> tuple[str, str]:
        """The request's ``requests`` row and its ``request_layers`` rows ("" if none)."""
        if req.ts != self.last_ts:
            self.last_ts, self.last_ts_text = req.ts, req.ts.isoformat()
        head = f"{self.last_ts_text}\t{self.site_and_file}{req.line_no}\t"
        org, user, status = text(req.org), text(req.user), str(req.status)
        duration = number(req.duration_ms)
        ogc, catalog = req.ogc, req.catalog
        request_row = "\t".join((
            text(req.client_ip), user, org, text_array(req.roles), text(req.method),
            text(req.path), text(req.query), status, integer(req.bytes, INT8_MAX), duration,
            text(req.referer), text(req.user_agent), req.app, req.agent_class,
            text(req.agent_name), ogc_values(ogc), catalog_values(catalog),
        ))  # fmt: skip
        if ogc is None or not ogc.layers:
            return f"{head}{request_row}\n", ""
        shared = "\t".join(
            (layer_ogc_values(req.app, ogc), org, user, req.agent_class, status, duration)
        )
        layers = "".join([f"{head}{layer_cells(layer)}\t{shared}\n" for layer in ogc.layers])
        return f"{head}{request_row}\n", layers


def ogc_values(ogc: OgcInfo | None) -> str:
    """The ogc_* columns and layer_count of a request."""
    if ogc is None:
        return NO_OGC
    return placed_ogc_values(unplaced_ogc_values(ogc), ogc.bbox, ogc.width, ogc.height)


def unplaced_ogc_values(ogc: OgcInfo) -> tuple[str, str]:
    """The columns of `ogc_values` before ogc_bbox and after ogc_height: the placing
    parameters of a request (BBOX, WIDTH, HEIGHT) change nothing in them."""
    return (
        "\t".join((text(ogc.service), text(ogc.request), text_array(ogc.layers), text(ogc.crs),
                   text(ogc.format))),
        f"{_bool(ogc.tiled)}\t{_bool(ogc.download)}\t{min(len(ogc.layers), INT2_MAX)}",
    )  # fmt: skip


def placed_ogc_values(
    unplaced: tuple[str, str], bbox: list[float] | None, width: int | None, height: int | None
) -> str:
    """`ogc_values` from `unplaced_ogc_values` and the values of the placing parameters."""
    bbox_text = NULL if bbox is None else "{" + ",".join(map(repr, bbox)) + "}"
    return f"{unplaced[0]}\t{bbox_text}\t{integer(width)}\t{integer(height)}\t{unplaced[1]}"


def layer_ogc_values(app: str, ogc: OgcInfo) -> str:
    """The request_layers columns from app to ogc_crs (see LAYER_COLUMNS)."""
    return "\t".join((
        app, text(ogc.service), text(ogc.request), _bool(ogc.tiled), _bool(ogc.download),
        text(ogc.format), text(ogc.crs),
    ))  # fmt: skip


def catalog_values(catalog: CatalogInfo | None) -> str:
    """The catalog_* columns of a request."""
    return NO_CATALOG if catalog is None else f"{catalog.action}\t{text(catalog.uuid)}"
