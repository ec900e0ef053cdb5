"""The request row, described once: its fields in order, in the groups the fast path caches.

A parsed line is one row of ``analytics.requests`` (COPY text), one JSON line or one CSV
row (``analyzer parse``), and a row of ``analytics.request_layers`` per layer it names.
`ROW` lists the fields of all of them once, in their order; the outputs (`outputs`)
derive their columns and their text from it, on the fast path and on the line path
alike, so the two cannot disagree.

Fields come in groups. A group's text depends on one piece of the raw line only (its
time, its address, its identity, its method and path...), so the fast path encodes it
once per distinct value and joins cached texts; groups marked `per_line` change on every
line. The database columns follow ``timescaledb/README.md`` (the schema contract).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analyzer.record import Request

NULL = "\\N"
INT2_MAX, INT4_MAX, INT8_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1
# COPY's text format escapes these; NUL cannot be stored in a PostgreSQL text at all.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": None})


# The COPY text of one value, by kind.


def text(value: str | None) -> str:
    """A text value; the membership tests keep clean values off ``translate``."""
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value:
        return value.translate(_ESCAPES)
    return value


def number(value: float | None) -> str:
    return NULL if value is None else str(value)


def text_array(values: list[str] | None) -> str:
    """A text[] literal (``{"ROLE_A","ROLE_B"}``), then escaped for COPY."""
    if values is None:
        return NULL
    if not values:
        return "{}"
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return text("{" + ",".join(f'"{v}"' for v in quoted) + "}")


def number_array(values: list[float] | None) -> str:
    return NULL if values is None else "{" + ",".join(map(repr, values)) + "}"


def integer(value: int | None, limit: int = INT4_MAX) -> str:
    """An integer, or NULL when out of the column's range (a forged ``width=1e30``)."""
    if value is None or not -limit <= value <= limit:
        return NULL
    return str(value)


def bigint(value: int | None) -> str:
    return integer(value, INT8_MAX)


def boolean(value: bool | None) -> str:
    return NULL if value is None else "t" if value else "f"


def timestamp(value: datetime) -> str:
    return value.isoformat()


def plain(value: Any) -> str:
    """A value that needs no escaping: from configuration or a fixed table, or a number."""
    return str(value)


def layer_cells(layer: str) -> str:
    """The layer and workspace columns of a request_layers row. The workspace is what
    precedes the first ``:`` of a qualified name (``topp`` of ``topp:states``), NULL for a
    bare name; the database computed it until migration 0008, at a fifth of the COPY's
    cost."""
    workspace = layer.split(":", 1)[0] if ":" in layer else None
    return f"{text(layer)}\t{text(workspace)}"


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the attribute of Request (or of its `nested` part): JSON key, CSV column
    cell: Callable[[Any], str]  # its COPY text
    stored: bool = True  # a column of analytics.requests
    in_layers: bool = False  # a column of analytics.request_layers too
    public: bool = True  # in the JSON lines and the CSV (the output contract)
    get: Callable[[Any], Any] | None = None  # its value, when not the attribute `name`
    nested: tuple[Field, ...] = ()  # the fields of a dataclass value (`ogc`, `catalog`)
    column: str = ""  # the database column, when not `name` (nested: prefix_name)

    def value(self, owner: Any) -> Any:
        if self.get is not None:
            return self.get(owner)
        return None if owner is None else getattr(owner, self.name)


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    fields: tuple[Field, ...]
    per_line: bool = False  # changes on every line: never cached


def _layer_count(ogc: Any) -> int:
    return 0 if ogc is None else min(len(ogc.layers), INT2_MAX)


# The OGC description's fields. `layers` makes one request_layers row per item
# (`layer_cells`); the placing ones change on nearly every map request, and so does the
# view they give (stored per layer, for the territory aggregates: not in requests).
LAYERS = "layers"
PLACING = ("bbox", "width", "height", "view_zoom", "view_x", "view_y")
OGC = (
    Field("service", text, in_layers=True),
    Field("request", text, in_layers=True),
    Field("version", text, stored=False),
    Field(LAYERS, text_array, in_layers=True),
    Field("crs", text, in_layers=True),
    Field("format", text, in_layers=True),
    Field("bbox", number_array),
    Field("width", integer),
    Field("height", integer),
    Field("view_zoom", integer, stored=False, in_layers=True),
    Field("view_x", integer, stored=False, in_layers=True),
    Field("view_y", integer, stored=False, in_layers=True),
    Field("tiled", boolean, in_layers=True),
    Field("download", boolean, in_layers=True),
    Field("layer_count", plain, public=False, get=_layer_count, column="layer_count"),
)
CATALOG = (Field("action", text), Field("uuid", text))

# fmt: off
ROW: tuple[Group, ...] = (
    Group("time", (Field("ts", timestamp, in_layers=True),)),
    Group("source", (
        Field("site", text, in_layers=True),
        Field("file_id", plain, in_layers=True, public=False),
    )),
    Group("line", (Field("line_no", plain, in_layers=True),), per_line=True),
    Group("client", (Field("client_ip", text), Field("country", text), Field("region", text))),
    Group("identity", (
        Field("user", text, in_layers=True, column="user_name"),
        Field("org", text, in_layers=True),
        Field("roles", text_array),
    )),
    Group("request", (
        Field("method", text), Field("path", text), Field("app", plain, in_layers=True),
    )),
    Group("query", (Field("query", text),), per_line=True),
    Group("ogc", (Field("ogc", text, in_layers=True, nested=OGC),)),
    Group("catalog", (Field("catalog", text, nested=CATALOG), Field("action", text, stored=False))),
    Group("status", (Field("status", plain, in_layers=True),)),
    Group("size", (Field("bytes", bigint),), per_line=True),
    Group("duration", (Field("duration_ms", number, in_layers=True),)),
    Group("referer", (Field("referer", text),)),
    Group("agent", (
        Field("user_agent", text), Field("agent_class", plain, in_layers=True),
        Field("agent_name", text),
    )),
)
# fmt: on
BY_NAME = {group.name: group for group in ROW}


def _column(field: Field, parent: Field | None) -> str:
    """The database column of a field (of `parent`'s value if nested)."""
    if field.column:
        return field.column
    return _csv_column(field, parent)


def _csv_column(field: Field, parent: Field | None) -> str:
    return field.name if parent is None else f"{parent.name}_{field.name}"


def _flat(
    keep: Callable[[Field], bool], name: Callable[[Field, Field | None], list[str]]
) -> tuple[str, ...]:
    """The names of the fields `keep` takes, nested ones flattened, in row order."""
    columns: list[str] = []
    for group in ROW:
        for field in group.fields:
            if not keep(field):
                continue
            if not field.nested:
                columns += name(field, None)
            for part in field.nested:
                if keep(part):
                    columns += name(part, field)
    return tuple(columns)


def _layer_columns(field: Field, parent: Field | None) -> list[str]:
    return ["layer", "workspace"] if field.name == LAYERS else [_column(field, parent)]


REQUEST_COLUMNS = _flat(lambda field: field.stored, lambda *named: [_column(*named)])
LAYER_COLUMNS = _flat(lambda field: field.in_layers, _layer_columns)
CSV_COLUMNS = _flat(lambda field: field.public, lambda *named: [_csv_column(*named)])


@dataclass(frozen=True, slots=True)
class Source:
    """What every row of one input shares and no line says."""

    site: str
    file_id: int = 0  # the ledger's file (COPY rows only)


def group_values(group: Group, record: Request, source: Source) -> tuple[Any, ...]:
    """The values of a group's fields for a record of the line path."""
    owner: Any = source if group.name == "source" else record
    return tuple(field.value(owner) for field in group.fields)
