"""Requests as PostgreSQL text-format COPY rows, and the COPY statements that load them.

Text COPY is built with plain string joins: on the hot path this is several times cheaper
than adapting every value through psycopg, and the rows can be encoded in the parsing
process and shipped to the loading one as bytes. Column lists follow
``timescaledb/README.md`` (the schema contract); each encoder lists its values in the
same order as its column tuple.
"""

from __future__ import annotations

from psycopg import sql

from analyzer.record import Request

REQUEST_COLUMNS = (
    "ts", "site", "file_id", "line_no", "client_ip", "user_name", "org", "roles",
    "method", "path", "query", "status", "bytes", "duration_ms", "referer", "user_agent",
    "app", "agent_class", "agent_name", "ogc_service", "ogc_request", "ogc_layers",
    "ogc_crs", "ogc_format", "ogc_bbox", "ogc_width", "ogc_height", "ogc_tiled",
    "ogc_download", "layer_count", "catalog_action", "catalog_uuid",
)  # fmt: skip
LAYER_COLUMNS = (
    "ts", "site", "file_id", "line_no", "layer", "app", "ogc_service", "ogc_request",
    "ogc_tiled", "ogc_download", "ogc_format", "ogc_crs", "org", "user_name",
    "agent_class", "status", "duration_ms",
)  # fmt: skip

NULL = "\\N"
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


def _bool(value: bool) -> str:
    return "t" if value else "f"


def encode(req: Request, file_id: str) -> tuple[str, str]:
    """COPY lines for one request: its ``requests`` row, and its ``request_layers`` rows
    (one per layer, "" when it has none). Values follow the column tuples' order."""
    ts, site, org, user = req.ts.isoformat(), text(req.site), text(req.org), text(req.user)
    app, agent_class = text(req.app), text(req.agent_class)
    status, duration = str(req.status), number(req.duration_ms)
    ogc = req.ogc
    if ogc is None:
        ogc_part = "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t0"
    else:
        bbox = NULL if ogc.bbox is None else "{" + ",".join(map(repr, ogc.bbox)) + "}"
        ogc_part = "\t".join((
            text(ogc.service), text(ogc.request), text_array(ogc.layers), text(ogc.crs),
            text(ogc.format), bbox, integer(ogc.width), integer(ogc.height),
            _bool(ogc.tiled), _bool(ogc.download), str(min(len(ogc.layers), INT2_MAX)),
        ))  # fmt: skip
    catalog = req.catalog
    catalog_part = (
        "\\N\t\\N" if catalog is None else f"{text(catalog.action)}\t{text(catalog.uuid)}"
    )
    request_row = "\t".join((
        ts, site, file_id, str(req.line_no), text(req.client_ip), user, org,
        text_array(req.roles), text(req.method), text(req.path), text(req.query), status,
        integer(req.bytes, INT8_MAX), duration, text(req.referer), text(req.user_agent), app,
        agent_class, text(req.agent_name), ogc_part, catalog_part,
    )) + "\n"  # fmt: skip
    if ogc is None or not ogc.layers:
        return request_row, ""
    shared = "\t".join((
        app, text(ogc.service), text(ogc.request), _bool(ogc.tiled), _bool(ogc.download),
        text(ogc.format), text(ogc.crs), org, user, agent_class, status, duration,
    ))  # fmt: skip
    head = f"{ts}\t{site}\t{file_id}\t{req.line_no}\t"
    return request_row, "".join(f"{head}{text(layer)}\t{shared}\n" for layer in ogc.layers)


def copy_statement(table: str, columns: tuple[str, ...]) -> sql.Composed:
    return sql.SQL("COPY analytics.{} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
