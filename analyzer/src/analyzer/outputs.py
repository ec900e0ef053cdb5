"""The outputs of parsing, each derived from `row.ROW`: COPY rows, JSON lines, CSV.

An output writes each group of fields as one *piece* of text (`Output.piece`), a row as
its pieces joined (`Output.join`), and for COPY the request_layers rows of a line. The
fast path caches pieces per raw value (`fastpath`); the line path makes them from a
`Request` (`Output.encode`); both join them the same way, so they agree by construction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import orjson

from analyzer.clients import PROBE
from analyzer.record import OgcInfo, Request
from analyzer.row import (
    CSV_COLUMNS,
    LAYERS,
    PLACING,
    ROW,
    Field,
    Group,
    Source,
    group_values,
    layer_cells,
    text,
)

_OGC = next(field for group in ROW for field in group.fields if field.name == "ogc")


# A group's text in a row, and in the line's request_layers rows ("" if none). A plain
# pair: compiled, its items are read as fast as local variables.
Piece = tuple[str, str]


@dataclass(frozen=True, slots=True)
class OgcPieces:
    """The ogc group's text of one description around its placing values (BBOX, WIDTH,
    HEIGHT and the view they give: `row.PLACING`), to put a line's own between; in the
    request row, and in its request_layers rows (COPY only)."""

    before: str
    after: str
    layer_before: str
    layer_after: str


Write = Callable[[Any], str]
Plan = list[tuple[int, Write]]  # (index of a group's value, how to write it)


class Output:
    """What every output shares: pieces from fields, rows from pieces, in `ROW`'s order.

    A subclass says how it writes one value (`cell_writer`), a nested one (`nested`), and
    which fields it takes (`writes`); the plans of each group derive from that, once."""

    name: ClassVar[str] = ""
    ordered = True  # rows come out in line order
    separator = "\t"
    has_layers = False
    opening = ""  # around a row
    closing = ""

    def __init__(self, source: Source) -> None:
        self.source = source
        # Per group, how its piece is written from its values: run once per distinct value
        # on the fast path, once per line on the line path.
        self.pieces = {group.name: self._piece_writer(group) for group in ROW}
        if self.opening or self.closing:  # in the first and last pieces: a row is one join
            assert not (ROW[0].per_line or ROW[-1].per_line), "a row opens and closes cached"
            first, last = self.pieces[ROW[0].name], self.pieces[ROW[-1].name]
            self.pieces[ROW[0].name] = lambda values: _opened(self.opening, first(values))
            self.pieces[ROW[-1].name] = lambda values: _closed(last(values), self.closing)
        # The fast path's writers of the groups that change on every line. Its lines hold
        # no backslash and no control character but the tab (`FastParser._fast`).
        self.per_line = {
            group.name: self.screened_writer(group.fields[0]) for group in ROW if group.per_line
        }
        parts = [part for part in _OGC.nested if self.writes(part)]
        # (index in PLACING, writer) of the placing values this output writes, in order:
        # the extent's (BBOX, WIDTH, HEIGHT), then the view's. A view is one of a few
        # thousand cells, an extent seldom repeats: the view's text is kept per cell.
        placing = [
            (PLACING.index(part.name), self.cell_writer(part))
            for part in parts
            if part.name in PLACING
        ]
        self.extent_placing = [(i, write) for i, write in placing if i < _VIEW_AT]
        self.view_placing = [(i - _VIEW_AT, write) for i, write in placing if i >= _VIEW_AT]
        assert placing == self.extent_placing + [
            (i + _VIEW_AT, write) for i, write in self.view_placing
        ] and (self.extent_placing or not self.view_placing), "an extent, then its view"
        self.layer_placing = [
            (PLACING.index(part.name) - _VIEW_AT, part.cell)
            for part in _OGC.nested
            if self.has_layers and part.in_layers and part.name in PLACING
        ]
        assert all(i >= 0 for i, _ in self.layer_placing), "request_layers rows: views only"
        assert not (self.view_placing and self.layer_placing), "a view in rows or in layers"
        # By `_cell_key`: ints and strings, which the garbage collector never scans.
        self.views: dict[int, str] = {}
        self.placing_at = [part.name for part in parts].index(PLACING[0])
        self.ogc_parts = [
            (part, _PLACED if part.name in PLACING else self.cell_writer(part)) for part in parts
        ]  # fmt: skip

    # How one output writes a value, and joins cells and rows.

    def cell_writer(self, field: Field) -> Write:
        raise NotImplementedError

    def nested(self, field: Field, cells: list[str] | None) -> str:
        """The text of a nested field from its parts' cells (None: no value)."""
        raise NotImplementedError

    def screened_writer(self, field: Field) -> Write:
        """`cell_writer` for values known to hold no backslash and no control character
        but the tab: the same text, sooner where an output can tell."""
        return self.cell_writer(field)

    def writes(self, field: Field) -> bool:
        return field.public

    def layer_writer(self, field: Field) -> Write:
        """How a field is written in request_layers rows (outputs that have them)."""
        raise NotImplementedError

    def join(self, pieces: Sequence[str]) -> str:
        """One row (no line end) from its groups' pieces."""
        return self.separator.join(pieces)

    def header(self) -> bytes:
        return b""

    def layer_cells(self, layers: list[str]) -> list[str]:
        """The cells of each layer in its request_layers row (none: no such rows)."""
        return []

    def layer_rows(self, layer_pieces: Sequence[str], cells: list[str]) -> str:
        """The request_layers rows of a line: its groups' layer pieces (`LAYER_GROUPS`)
        with each layer's `layer_cells`."""
        return ""

    # Derived: the same for every output.

    @staticmethod
    def _plan(
        group: Group, takes: Callable[[Field], bool], writer: Callable[[Field], Write]
    ) -> Plan:
        return [(index, writer(field)) for index, field in enumerate(group.fields) if takes(field)]

    def writer(self, field: Field) -> Write:
        """A field's writer; a nested field's writes its parts."""
        if not field.nested:
            return self.cell_writer(field)
        parts = [(part, self.cell_writer(part)) for part in field.nested if self.writes(part)]

        def write_nested(value: Any) -> str:
            if value is None:
                return self.nested(field, None)
            return self.nested(field, [write(part.value(value)) for part, write in parts])

        return write_nested

    def piece(self, group: Group, values: Sequence[Any]) -> Piece:
        """A group's piece, from its fields' values (in the group's order)."""
        return self.pieces[group.name](values)

    def _piece_writer(self, group: Group) -> Callable[[Sequence[Any]], Piece]:
        plan = self._plan(group, self.writes, self.writer)
        layer_plan = self._plan(group, _in_layers, self.layer_writer) if self.has_layers else []
        if len(plan) == 1 and not layer_plan:  # most groups: no list, no join
            [(index, write)] = plan
            return lambda values: (write(values[index]), "")
        separator = self.separator

        def write_piece(values: Sequence[Any]) -> Piece:
            row = separator.join([write(values[i]) for i, write in plan])
            return row, "\t".join([write(values[i]) for i, write in layer_plan])

        return write_piece

    def ogc_pieces(self, info: OgcInfo) -> OgcPieces:
        """The ogc group's text of `info` around its placing values, for `placed`."""
        cells = [write(part.value(info)) for part, write in self.ogc_parts if write is not _PLACED]
        at = self.placing_at
        before, after = self.nested(_OGC, [*cells[:at], _MARK, *cells[at:]]).split(_MARK)
        return OgcPieces(before, after, *self.layer_around_placing(info))

    def described(self, info: OgcInfo) -> tuple[Piece, OgcPieces]:
        """The ogc group's piece of `info`, and its text around the placing values: the
        piece is made of that text, once, and a placed request's differs from it by its
        placing values only."""
        pieces = self.ogc_pieces(info)
        return self.placed(pieces, tuple([getattr(info, name) for name in PLACING])), pieces

    def layer_around_placing(self, info: OgcInfo) -> tuple[str, str]:
        """The ogc group's text in request_layers rows, around the placing values."""
        return "", ""

    def placed(self, ogc: OgcPieces, values: tuple) -> Piece:
        """The ogc group's piece with a line's placing values (in `row.PLACING`'s order)."""
        key = _cell_key(values[_VIEW_AT], values[_VIEW_AT + 1], values[_VIEW_AT + 2])
        view = self.views.get(key)
        if view is None:
            view = self._view_text(values[_VIEW_AT:])
            if key != _UNPACKED:
                if len(self.views) >= CACHED_VIEWS:
                    self.views.clear()
                self.views[key] = view
        extent = self.separator.join([write(values[i]) for i, write in self.extent_placing])
        if not self.layer_placing:
            return f"{ogc.before}{extent}{view}{ogc.after}", ""
        return f"{ogc.before}{extent}{ogc.after}", f"{ogc.layer_before}{view}{ogc.layer_after}"

    def _view_text(self, cell: tuple) -> str:
        """The text of a view's values: after the extent's in a row, or in request_layers."""
        if self.layer_placing:
            return "\t".join([write(cell[i]) for i, write in self.layer_placing])
        return "".join([self.separator + write(cell[i]) for i, write in self.view_placing])

    def encode(self, records: list[Request]) -> tuple[list[str], str]:
        """The line path: the rows of records (no line end), and their request_layers rows."""
        rows, layer_rows = [], []
        for record in records:
            pieces = [self.piece(group, group_values(group, record, self.source)) for group in ROW]
            rows.append(self.join([row for row, _ in pieces]))
            probe = record.agent_class == PROBE  # no request_layers rows: not layer usage
            if self.has_layers and not probe and record.ogc is not None and record.ogc.layers:
                layer_pieces = [pieces[index][1] for index in _LAYER_INDEXES]
                layer_rows.append(
                    self.layer_rows(layer_pieces, self.layer_cells(record.ogc.layers))
                )
        return rows, "".join(layer_rows)


def _opened(opening: str, piece: Piece) -> Piece:
    return opening + piece[0], piece[1]


def _closed(piece: Piece, closing: str) -> Piece:
    return piece[0] + closing, piece[1]


def _in_layers(field: Field) -> bool:
    return field.in_layers


def _placed(value: Any) -> str:
    raise AssertionError("a placing value is written per line (Output.placed)")


_PLACED: Write = _placed
CACHED_VIEWS: Final = 16384  # written views, per output


def _cell_key(zoom: int | None, x: int | None, y: int | None) -> int:
    """A view cell as one small int, -1 for no view; _UNPACKED for indices of 2**20 or more
    (none so far: a cell's zoom is at most territory.MAX_ZOOM, 14)."""
    if zoom is None or x is None or y is None:
        return -1
    if not (0 <= zoom < _PACKED and 0 <= x < _PACKED and 0 <= y < _PACKED):
        return _UNPACKED
    return (zoom << 40) | (x << 20) | y


_PACKED: Final = 1 << 20
_UNPACKED: Final = -2


_VIEW_AT: Final = PLACING.index("view_zoom")  # the view's values follow the extent's
_MARK = "\0"  # where something goes in a text made around it (COPY and JSON hold no NUL)
# The OGC parts of a request_layers row; the placing ones among them are together, with
# others before and after them (`CopyOutput.layer_around_placing`).
_LAYER_OGC = [part for part in _OGC.nested if part.in_layers]
_LAYER_PLACING = [index for index, part in enumerate(_LAYER_OGC) if part.name in PLACING]
_LAYER_PLACING_AT = _LAYER_PLACING[0]
assert list(range(_LAYER_PLACING_AT, _LAYER_PLACING[-1] + 1)) == _LAYER_PLACING
assert _LAYER_PLACING[-1] < len(_LAYER_OGC) - 1, "cells after a request_layers row's placing"
# The groups with request_layers columns, in row order: a request_layers row's pieces.
LAYER_GROUPS = tuple(group.name for group in ROW if any(f.in_layers for f in group.fields))
_LAYER_INDEXES = [index for index, group in enumerate(ROW) if group.name in LAYER_GROUPS]


class CopyOutput(Output):
    """Text COPY rows for analytics.requests and analytics.request_layers.

    Plain string joins: on the hot path several times cheaper than adapting every value
    through psycopg, and the rows are encoded in the parsing processes."""

    name: ClassVar[str] = "copy"
    ordered = False  # COPY loads rows in any order
    has_layers = True

    def cell_writer(self, field: Field) -> Write:
        return field.cell

    def nested(self, field: Field, cells: list[str] | None) -> str:
        if cells is None:
            cells = [part.cell(part.value(None)) for part in field.nested if part.stored]
        return "\t".join(cells)

    def writes(self, field: Field) -> bool:
        return field.stored

    def layer_writer(self, field: Field) -> Write:
        """The layer's own cells go at the mark (`layer_rows`)."""
        if not field.nested:
            return field.cell
        parts = [part for part in field.nested if part.in_layers]

        def write_layer_parts(value: Any) -> str:
            return "\t".join(
                [_MARK if part.name == LAYERS else part.cell(part.value(value)) for part in parts]
            )

        return write_layer_parts

    def layer_around_placing(self, info: OgcInfo) -> tuple[str, str]:
        cells = [
            _MARK if part.name == LAYERS else part.cell(part.value(info))
            for part in _LAYER_OGC
            if part.name not in PLACING
        ]
        return "\t".join(cells[:_LAYER_PLACING_AT]) + "\t", "\t" + "\t".join(
            cells[_LAYER_PLACING_AT:]
        )

    def layer_cells(self, layers: list[str]) -> list[str]:
        return [layer_cells(layer) for layer in layers]

    def layer_rows(self, layer_pieces: Sequence[str], cells: list[str]) -> str:
        """A row per layer: the line's layer pieces with the layer's cells at the mark."""
        head, tail = "\t".join(layer_pieces).split(_MARK)
        return "".join([f"{head}{layer}{tail}\n" for layer in cells])


class JsonLinesOutput(Output):
    """``analyzer parse --output jsonl``: one object per line, nested as `Request` is."""

    name: ClassVar[str] = "jsonl"
    separator = ","
    opening = "{"
    closing = "}"

    def cell_writer(self, field: Field) -> Write:
        key = f'"{field.name}":'
        null = key + "null"
        if field.cell is not text:
            return lambda value: (
                f"{key}{value}"
                if type(value) is int
                else null
                if value is None
                else _json(key, value)
            )

        def write_text(value: str | None) -> str:
            if value is None:
                return null
            if '"' in value or "\\" in value or not value.isprintable():
                return _json(key, value)
            return f'{key}"{value}"'

        return write_text

    def nested(self, field: Field, cells: list[str] | None) -> str:
        return f'"{field.name}":null' if cells is None else f'"{field.name}":{{{",".join(cells)}}}'

    def screened_writer(self, field: Field) -> Write:
        if field.cell is not text:
            return self.cell_writer(field)
        key = f'"{field.name}":'
        null = key + "null"

        def write_screened(value: str | None) -> str:
            # JSON escapes these, and control characters, which a screened value lacks
            # (scanning for them costs a tenth of a JSON line's writing).
            if value is None:
                return null
            if '"' in value or "\t" in value:
                return _json(key, value)
            return f'{key}"{value}"'

        return write_screened


_dumps: Final = orjson.dumps  # compiled, a module's attribute is looked up on every call


def _json(key: str, value: Any) -> str:
    return key + _dumps(value).decode()


class CsvOutput(Output):
    """``analyzer parse --output csv``: a header, then a row per line; nested fields
    flattened (``ogc_layers``), lists comma-joined, None empty."""

    name: ClassVar[str] = "csv"
    separator = ","

    def cell_writer(self, field: Field) -> Write:
        return _csv_cell

    def nested(self, field: Field, cells: list[str] | None) -> str:
        if cells is None:
            cells = ["" for part in field.nested if part.public]
        return ",".join(cells)

    def header(self) -> bytes:
        return (",".join(map(_csv_quoted, CSV_COLUMNS)) + "\n").encode()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return _csv_quoted(str(value).replace(_MARK, ""))  # a decoded %00: no text tool wants it


def _csv_quoted(text: str) -> str:
    """A CSV cell as the csv module writes it (minimal quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]


OUTPUTS: dict[str, type[Output]] = {
    output.name: output for output in (JsonLinesOutput, CsvOutput, CopyOutput)
}
PARSE_OUTPUTS = ("jsonl", "csv")  # what `analyzer parse --output` writes
