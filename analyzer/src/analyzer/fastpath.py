"""The fast path of parsing: each line's output joined from pieces cached per value.

A day's log repeats the same seconds, addresses, users, request lines and user agents
over and over. For a line without escapes (nearly all), the format's regex splits the
line (`RegexFormat.fast`), and each group of fields of `row.ROW` (the time, the address,
the identity, the method with the path and the query cut of its placing parameters, the
status, the user agent...) is looked up in a cache of its *pieces*: its text in the
output, written on first sight by the output (`outputs`) from the values the line path
computes (`PieceMaker`). A line's row joins its pieces, in `ROW`'s order, with the few
that differ on every line (line number, query, byte count, and the BBOX, WIDTH and
HEIGHT put back into the OGC description: see `apps.router`). The tiles of a REST tile
path (TMS, WMTS REST) share one request piece too, described from the path before the
tile's indices, which are read on every line (`ogc.split_tile_path`, `ogc.PathTile`).

This skips what costs most per line on the line path: building `Request` objects and
writing them field by field. Other lines (escapes, control characters, no match, a bad
timestamp...) go through `LineParser` one by one, so rejects and their reasons stay those
of the line path, and the same output writes their records: the rows are the same either
way (tests/analyzer/test_fastpath.py compares both on every format and on crafted lines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from analyzer.apps import ogc
from analyzer.apps.base import AppMatch
from analyzer.apps.ogc import PathTile, Placer
from analyzer.apps.router import has_odd_names, placer
from analyzer.clients import PROBE, classify_agent
from analyzer.formats.base import LineRejected
from analyzer.formats.regex import (
    RegexFormat,
    byte_count,
    duration_ms,
    identity,
    join_query,
    method_and_target,
    text_or_none,
)
from analyzer.interpret import split_target
from analyzer.outputs import LAYER_GROUPS, OgcPieces, Output, Piece
from analyzer.parsing import LineParser, Reject, Tally, split_block, suspect
from analyzer.reader import MAX_LINE
from analyzer.record import Request
from analyzer.row import BY_NAME, ROW

CACHED_VALUES = 4096  # per group, twice (see _Cache): memory stays flat
_REJECTED = False  # a cached value the line path must read (it rejects the line)
# A cached value the line path must read too: a monitoring probe, by its user agent or a
# site's rule. Probes are rare (a check a minute is 1,440 lines a day), and the line path
# writes no request_layers rows for them.
_PROBE: Final = None
_UNSEEN = object()
# The tiles below a path prefix that the request cache must take one by one: the prefix is
# no REST tile's, or a route or a probe rule below it may tell its tiles apart.
_UNTILED: Final = False
_SOME_TILE: Final = "/0/0/0"  # a tile's indices, to describe the tiles below a prefix
_TILE_MARK: Final = "/{tile}"  # where a line's tile indices go in the request piece


# Where each group's piece goes in a line's row: its place in `row.ROW`. The fast path
# fills a line's slots by these names, so it cannot put a group elsewhere than the line
# path does.
_SLOTS: Final = {group.name: index for index, group in enumerate(ROW)}
TIME: Final = _SLOTS["time"]
SOURCE: Final = _SLOTS["source"]
LINE: Final = _SLOTS["line"]
CLIENT: Final = _SLOTS["client"]
IDENTITY: Final = _SLOTS["identity"]
REQUEST: Final = _SLOTS["request"]
QUERY: Final = _SLOTS["query"]
OGC: Final = _SLOTS["ogc"]
CATALOG: Final = _SLOTS["catalog"]
STATUS: Final = _SLOTS["status"]
SIZE: Final = _SLOTS["size"]
DURATION: Final = _SLOTS["duration"]
REFERER: Final = _SLOTS["referer"]
AGENT: Final = _SLOTS["agent"]

# The same for a request_layers row, whose pieces are those of the groups that have
# request_layers columns (`outputs.LAYER_GROUPS`).
_LAYER_SLOTS: Final = {name: index for index, name in enumerate(LAYER_GROUPS)}
L_TIME: Final = _LAYER_SLOTS["time"]
L_SOURCE: Final = _LAYER_SLOTS["source"]
L_LINE: Final = _LAYER_SLOTS["line"]
L_IDENTITY: Final = _LAYER_SLOTS["identity"]
L_REQUEST: Final = _LAYER_SLOTS["request"]
L_OGC: Final = _LAYER_SLOTS["ogc"]
L_STATUS: Final = _LAYER_SLOTS["status"]
L_DURATION: Final = _LAYER_SLOTS["duration"]
L_AGENT: Final = _LAYER_SLOTS["agent"]


@dataclass(slots=True)
class Encoded:
    """One block, parsed and encoded."""

    # UTF-8, encoded row by row where each is made: nearly every block holds a non-ASCII
    # character somewhere (a user's name, a decoded referer), and its text encoded whole
    # would then be taken character by character, where an ASCII row is copied as it is
    # (8 % fewer instructions a JSON line: benchmarks/instructions.sh).
    rows: bytes  # the output's rows (JSON lines, CSV or COPY rows), each ending in "\n"
    layers: bytes  # COPY rows for analytics.request_layers (b"" for the others)
    rejects: list[Reject]
    tally: Tally
    first_ts: datetime | None
    last_ts: datetime | None
    line_path: int  # lines the fast path left to the line path


# The cached pieces of a time and of a request: read-only (`Final`), shared by every line of
# that value. Plain classes, not frozen dataclasses: compiled, their __init__ is native,
# where a dataclass's is interpreted (a tenth of a cache miss's cost).


class TimePieces:
    def __init__(self, piece: tuple, ts: datetime) -> None:
        # Pieces are typed `tuple` here: compiled, a `Piece` attribute would be kept
        # unboxed and boxed again into a new tuple on every read, that is on every line.
        self.piece: Final = piece
        self.ts: Final = ts


class RequestPieces:
    """The pieces a method, path and query (cut of its placing parameters) give."""

    def __init__(
        self,
        request: tuple,
        ogc: tuple,
        catalog: tuple,
        placing: OgcPieces | None,
        placer: Placer | None,
        layer_cells: list[str],
        match: AppMatch | None,
        probe: bool,
        tile: PathTile | None = None,
        around_tile: tuple[str, str] = ("", ""),
    ) -> None:
        self.request: Final = request
        self.ogc: Final = ogc
        self.catalog: Final = catalog
        # The OGC description's cells, for the line's placing values, and how the
        # description reads them (None: it reads none).
        self.placing: Final = placing
        self.placer: Final = placer
        self.layer_cells: Final = layer_cells  # each layer's cells (COPY only)
        # None when the query has an odd name: the line path reads it whole.
        self.match: Final = match
        self.probe: Final = probe  # a site's probe path: the line path reads the line
        # The pieces of a REST tile path's tiles: how the indices give the view, and the
        # request piece's row text before and after them.
        self.tile: Final = tile
        self.around_tile: Final = around_tile


class PieceMaker:
    """A group's pieces for one distinct raw value, from the values the line path
    computes (`RegexFormat.parse`, then `interpret.to_request`); _REJECTED if it rejects
    them."""

    def __init__(self, parser: LineParser, output: Output) -> None:
        assert isinstance(parser.fmt, RegexFormat)
        self.read_time = parser.fmt.read_time
        self.site = parser.site
        self.output = output
        self.pieces = output.pieces

    def _piece(self, group: str, *values: Any) -> Piece:
        return self.pieces[group](values)

    def time(self, time: str) -> TimePieces | bool:
        try:
            ts = self.read_time(time)
        except (ValueError, KeyError):
            return _REJECTED
        return TimePieces(self._piece("time", ts), ts)

    def ip(self, ip: str | None) -> Piece | None:
        address = None if ip == "-" else ip
        if self.site.probes.address(address):
            return _PROBE
        return self._piece("client", self.site.privacy.ip(address), *self.site.locate(address))

    def identity(self, columns: tuple[str | None, ...]) -> Piece:
        user, org, roles = identity(*columns)
        return self._piece("identity", self.site.privacy.user(user), org, roles)

    def request(self, key: tuple[str, str, str | None]) -> RequestPieces:
        """For the method, path and query cut of its placing parameters (`head`)."""
        method, path, head = key
        return self._request(method, path, head, self.site.router.classify(method, path, head))

    def tiles(self, key: tuple[str, str, str, str | None]) -> RequestPieces | bool:
        """For the REST tiles of a path prefix, an extension and a query head (the path
        ``prefix/matrix/first/second.ext``), described once from a tile of theirs;
        _UNTILED if the path is no REST tile's, or if tiles below the prefix may differ in
        more than their view (a route or a probe rule below it, odd query names)."""
        method, prefix, suffix, head = key
        router, probes = self.site.router, self.site.probes
        if router.routes_below(prefix) or probes.paths_below(prefix):
            return _UNTILED
        match = router.classify(method, f"{prefix}{_SOME_TILE}{suffix}", head)
        if match.tile is None or (head is not None and has_odd_names(head)):
            return _UNTILED
        path = f"{prefix}{_TILE_MARK}{suffix}"
        around = self._piece("request", method, path, match.app)[0].split(_TILE_MARK)
        if len(around) != 2:  # the prefix holds the mark
            return _UNTILED
        return self._request(method, path, head, match, match.tile, (around[0], around[1]))

    def _request(
        self,
        method: str,
        path: str,
        head: str | None,
        match: AppMatch,
        tile: PathTile | None = None,
        around_tile: tuple[str, str] = ("", ""),
    ) -> RequestPieces:
        odd = head is not None and has_odd_names(head)
        info = match.ogc
        if info is None:
            ogc_piece, placing = self._piece("ogc", None), None
        else:
            ogc_piece, placing = self.output.described(info)
        return RequestPieces(
            self._piece("request", method, path, match.app),
            ogc_piece,
            self._piece("catalog", match.catalog, match.action),
            placing,
            placer(match),
            [] if info is None else self.output.layer_cells(info.layers),
            None if odd else match,
            self.site.probes.path(path),
            tile,
            around_tile,
        )

    def status(self, status: str) -> Piece:
        return self._piece("status", int(status))

    def duration(self, columns: tuple[str | None, ...]) -> Piece:
        return self._piece("duration", duration_ms(*columns))

    def referer(self, referer: str | None) -> Piece:
        return self._piece("referer", text_or_none(referer))

    def agent(self, agent: str | None) -> Piece | None:
        user_agent = text_or_none(agent)
        agent_class, agent_name = classify_agent(user_agent)
        if agent_class == PROBE or self.site.probes.agent(user_agent):
            return _PROBE
        return self._piece("agent", user_agent, agent_class, agent_name)

    def target(self, request: str) -> tuple[str, str] | bool:
        try:
            return method_and_target(request, None, None, None, None, None)
        except LineRejected:
            return _REJECTED


class _Cache(dict[Hashable, Any]):
    """Pieces by raw value, computed on first sight.

    A full cache starts again empty, and keeps what it held aside: a value still in use
    comes back from there instead of being computed again (a day's requests for records
    and features overflow the cache many times; the busy ones are in both halves)."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        super().__init__()
        self.compute = compute
        self.previous: dict[Hashable, Any] = {}

    def __missing__(self, key: Hashable) -> Any:
        if len(self) >= CACHED_VALUES:
            self.previous = dict(self)
            self.clear()
        value = self.previous.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = self.compute(key)
        self[key] = value
        return value


class FastParser:
    """Parses the blocks of one source, in order, into an output's rows."""

    def __init__(self, lines: LineParser, output: Output) -> None:
        self.lines = lines  # the line path, and the line count
        self.output = output
        fmt = lines.fmt
        self.fmt = fmt if isinstance(fmt, RegexFormat) else None
        self.source = output.piece(BY_NAME["source"], (output.source.site, output.source.file_id))
        if self.fmt is not None:
            maker = PieceMaker(lines, output)
            self.caches = [
                _Cache(getattr(maker, name))
                for name in ("time", "ip", "identity", "request", "status", "duration",
                             "referer", "agent", "target", "tiles")
            ]  # fmt: skip

    def parse_block(self, block: bytes) -> Encoded:
        first_line = self.lines.line_no
        lines, clean = split_block(block)
        if self.fmt is None:
            fast_rows: list[bytes] = []
            numbers: list[int] = []
            layers: list[bytes] = []
            used: set[str] = set()
            slow = list(range(len(lines)))
        else:
            fast_rows, numbers, slow, layers, used = self._fast(lines, clean, first_line)
        records, rejects = self.lines.parse_lines(
            ((first_line + 1 + offset, lines[offset]) for offset in slow), clean
        )
        self.lines.line_no = first_line + len(lines)
        rows, record_layers = self.output.encode(records)
        if rows:
            # Any format's records: a character UTF-8 cannot hold is replaced, as before.
            more = [row.encode("utf-8", "replace") for row in rows]
            fast_rows = _merged(fast_rows, numbers, more, records, self.output.ordered)
        stamps = [record.ts for record in records]
        times = self.caches[0] if self.fmt is not None else {}
        stamps += [times[time].ts for time in used]
        tally = Tally(len(lines), len(fast_rows), Counter(reject.reason for reject in rejects))
        fast_rows.append(b"")  # the last row's line end
        layers.append(record_layers.encode("utf-8", "replace"))
        return Encoded(
            b"\n".join(fast_rows),
            b"".join(layers),
            rejects,
            tally,
            min(stamps, default=None),
            max(stamps, default=None),
            len(slow),
        )

    def _fast(
        self, lines: list[str], clean: bool, first_line: int
    ) -> tuple[list[bytes], list[int], list[int], list[bytes], set[str]]:
        """Rows of the lines the fast path takes, their numbers, the offsets of the others,
        the layer rows, and the times seen."""
        assert self.fmt is not None
        match_line, indices = self.fmt.fast.match, self.fmt.fast_indices
        (times, ips, identities, requests, statuses, durations, referers, agents, targets,
         tiles) = self.caches  # fmt: skip
        output = self.output
        join, layer_rows, placed = output.separator.join, output.layer_rows, output.placed
        line_piece, query_piece, size_piece = (
            output.per_line[name] for name in ("line", "query", "size")
        )
        # A line's pieces in row order, and in request_layers order (the source's never
        # change).
        slots, layer_slots = [""] * len(ROW), [""] * len(LAYER_GROUPS)
        slots[SOURCE], layer_slots[L_SOURCE] = self.source
        rows: list[bytes] = []
        numbers: list[int] = []
        slow: list[int] = []
        layers: list[bytes] = []
        used: set[str] = set()
        line_no = first_line
        for offset, line in enumerate(lines):
            line_no += 1
            if "\\" in line or len(line) >= MAX_LINE or (not clean and suspect(line)):
                slow.append(offset)
                continue
            match = match_line(line)
            if match is None:
                slow.append(offset)
                continue
            # fmt: off
            (ip, user, secuser, secname, org, roles, time, request, method, uri, path, query,
             args, status, size, dur_s, dur_ms, dur_us, dur_up, referer, agent,
             ) = match.group(*indices)
            # fmt: on
            ts = times[time]
            if request is not None:
                method_target = targets[request]
                if ts is _REJECTED or method_target is _REJECTED:
                    slow.append(offset)
                    continue
                method, target = method_target
            else:
                if ts is _REJECTED:
                    slow.append(offset)
                    continue
                target = uri if uri is not None else join_query(path or "", args) + (query or "")
            path, query = split_target(target)
            place = None
            head = query
            if query:
                head, place = ogc.split_place(query)
            tiled: RequestPieces | bool = _UNTILED
            tile = ogc.split_tile_path(path)
            if tile is not None:
                tiled = tiles[(method, tile[0], tile[4], head)]
            req: RequestPieces
            request_text: str | None = None  # a REST tile's: its indices in the path
            if isinstance(tiled, RequestPieces) and tile is not None:
                req = tiled
                _, matrix, first, second, _ = tile
                before, after = req.around_tile
                request_text = f"{before}/{matrix}/{first}/{second}{after}"
                values = req.tile.values(matrix, first, second)  # type: ignore[union-attr]
                ogc_piece: Piece = placed(req.placing, values)  # type: ignore[arg-type]
            else:
                req = requests[(method, path, head)]
                ogc_piece = req.ogc
            if place:
                reader = req.placer
                if req.match is None:  # an odd name: `classify` reads the whole query
                    req = requests[(method, path, query)]
                    ogc_piece = req.ogc
                elif reader is not None:
                    ogc_piece = placed(req.placing, reader.values(place))  # type: ignore[arg-type]
            client_piece, agent_piece = ips[ip], agents[agent]
            if client_piece is _PROBE or agent_piece is _PROBE or req.probe:
                slow.append(offset)
                continue
            number = line_piece(line_no)
            client: Piece = client_piece
            ident: Piece = identities[(user, secuser, secname, org, roles)]
            stat: Piece = statuses[status]
            dur: Piece = durations[(dur_s, dur_ms, dur_us, dur_up)]
            ua: Piece = agent_piece
            referer_piece: Piece = referers[referer]
            time_piece: Piece = ts.piece
            request_piece: Piece = req.request
            catalog_piece: Piece = req.catalog
            slots[TIME] = time_piece[0]
            slots[LINE] = number
            slots[CLIENT] = client[0]
            slots[IDENTITY] = ident[0]
            slots[REQUEST] = request_piece[0] if request_text is None else request_text
            slots[QUERY] = query_piece(query)
            slots[OGC] = ogc_piece[0]
            slots[CATALOG] = catalog_piece[0]
            slots[STATUS] = stat[0]
            slots[SIZE] = size_piece(byte_count(size))
            slots[DURATION] = dur[0]
            slots[REFERER] = referer_piece[0]
            slots[AGENT] = ua[0]
            rows.append(join(slots).encode())  # no lone surrogate: see split_block
            numbers.append(line_no)
            if req.layer_cells:
                layer_slots[L_TIME] = time_piece[1]
                layer_slots[L_LINE] = number
                layer_slots[L_IDENTITY] = ident[1]
                layer_slots[L_REQUEST] = request_piece[1]
                layer_slots[L_OGC] = ogc_piece[1]
                layer_slots[L_STATUS] = stat[1]
                layer_slots[L_DURATION] = dur[1]
                layer_slots[L_AGENT] = ua[1]
                layers.append(layer_rows(layer_slots, req.layer_cells).encode())
            used.add(time)
        return rows, numbers, slow, layers, used


def _merged(
    rows: list[bytes], numbers: list[int], more: list[bytes], records: list[Request], ordered: bool
) -> list[bytes]:
    """The fast path's rows (of lines `numbers`) and the line path's, in line order if
    `ordered`."""
    if not ordered:
        return rows + more
    from_records = zip([record.line_no for record in records], more, strict=True)
    return [row for _, row in sorted([*zip(numbers, rows, strict=True), *from_records])]
