"""The fast path of parsing: each line's output assembled from pieces cached per value.

A day's log repeats the same seconds, addresses, users, request lines and user agents
over and over. For a line without escapes (nearly all), the format's regex splits the
line (`RegexFormat.fast`), and each group of fields (the time, the address, the identity,
the method with the path and the query cut of its placing parameters, the status, the
user agent...) is looked up in a cache of its *output pieces*: text already written for
JSON lines or COPY rows, computed on first sight by the functions of the line path
(`PieceMaker`). A line's output joins its pieces and the few values that differ on every
line (line number, query, byte count, and the BBOX, WIDTH and HEIGHT read back into the
OGC description: see `apps.router`).

This skips what costs most per line on the line path: building `Request` objects and
serialising them field by field. Other lines (escapes, control characters, no match, a
bad timestamp...) go through `LineParser` one by one, so rejects and their reasons stay
those of the line path; the output is the same either way (tests/analyzer/test_fastpath.py
compares both on every format and on crafted lines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from analyzer.apps import ogc
from analyzer.apps.base import AppMatch
from analyzer.apps.router import has_odd_names, placed_values
from analyzer.clients import classify_agent
from analyzer.db.copy import (
    INT8_MAX,
    RowEncoder,
    catalog_values,
    integer,
    layer_cells,
    layer_ogc_values,
    number,
    ogc_values,
    placed_ogc_values,
    text,
    text_array,
    unplaced_ogc_values,
)
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
from analyzer.parsing import LineParser, Reject, Tally, split_block, suspect
from analyzer.reader import MAX_LINE
from analyzer.record import OgcInfo, Request

CACHED_VALUES = 4096  # per group, twice (see _Cache): memory stays flat
_REJECTED = False  # a cached value the line path must read (it rejects the line)
_UNSEEN = object()

Pieces = tuple[Any, ...]


@dataclass(slots=True)
class Encoded:
    """One block, parsed and encoded."""

    rows: str  # JSON lines, or COPY rows for analytics.requests, each ending in "\n"
    layers: str  # COPY rows for analytics.request_layers ("" for JSON)
    rejects: list[Reject]
    tally: Tally
    first_ts: datetime | None
    last_ts: datetime | None
    line_path: int  # lines the fast path left to the line path


class Layout(Protocol):
    """How one kind of output writes the pieces of each field group, and a line.

    `request` gives (method and path, app, ogc, catalog, layer cells, layer_ogc, what
    `placed_ogc` needs of it); `placed_ogc` gives `ogc` with the values of the placing
    parameters of a line (see `router.placed_values`)."""

    ordered: bool  # rows must come out in line order

    def time(self, ts: datetime) -> Pieces: ...
    def ip(self, ip: str | None) -> Pieces: ...
    def identity(self, user: str | None, org: str | None, roles: list[str]) -> Pieces: ...
    def request(self, method: str, path: str, match: AppMatch) -> Pieces: ...
    def ogc(self, info: OgcInfo | None) -> str: ...
    def placed_ogc(self, req: Pieces, info: OgcInfo, bbox: list[float] | None,
                   width: int | None, height: int | None) -> str: ...  # fmt: skip
    def query(self, query: str | None) -> str: ...
    def status(self, status: int) -> Pieces: ...
    def duration(self, duration: float | None) -> Pieces: ...
    def referer(self, referer: str | None) -> Pieces: ...
    def agent(self, user_agent: str | None, agent_class: str, name: str | None) -> Pieces: ...

    def row(self, line_no: int, pieces: tuple[Pieces, ...], query: str, size: int | None,
            ogc_piece: str) -> str: ...  # fmt: skip

    def layer_rows(self, line_no: int, pieces: tuple[Pieces, ...]) -> str: ...

    def encode_records(self, records: list[Request]) -> tuple[list[str], str]:
        """The rows of records from the line path (no line end), and their extra rows."""
        ...


def _json(**fields: Any) -> str:
    """``"a":1,"b":"x"``: fields as orjson writes them inside a record."""
    return orjson.dumps(fields).decode()[1:-1]


class JsonLayout(Layout):
    """`analyzer parse --output jsonl`: what `output.JsonLinesEncoder` writes."""

    ordered = True

    def __init__(self, site: str) -> None:
        self.site = _json(site=site)

    def time(self, ts: datetime) -> Pieces:
        return (_json(ts=ts),)

    def ip(self, ip: str | None) -> Pieces:
        return (_json(client_ip=ip),)

    def identity(self, user: str | None, org: str | None, roles: list[str]) -> Pieces:
        return (_json(user=user, org=org, roles=roles),)

    def request(self, method: str, path: str, match: AppMatch) -> Pieces:
        return (
            _json(method=method, path=path),
            _json(app=match.app),
            self.ogc(match.ogc),
            _json(catalog=match.catalog, action=match.action),
            (),  # no layer rows
            "",
            None,
        )

    def ogc(self, info: OgcInfo | None) -> str:
        return '"ogc":' + orjson.dumps(info).decode()

    def placed_ogc(self, req: Pieces, info: OgcInfo, bbox: list[float] | None,
                   width: int | None, height: int | None) -> str:  # fmt: skip
        return self.ogc(ogc.with_placing(info, bbox, width, height))

    def query(self, query: str | None) -> str:
        if query is None:
            return '"query":null'
        if '"' in query or "\t" in query:  # what JSON escapes (the block has no other)
            return _json(query=query)
        return f'"query":"{query}"'

    def status(self, status: int) -> Pieces:
        return (_json(status=status),)

    def duration(self, duration: float | None) -> Pieces:
        return (_json(duration_ms=duration),)

    def referer(self, referer: str | None) -> Pieces:
        return (_json(referer=referer),)

    def agent(self, user_agent: str | None, agent_class: str, name: str | None) -> Pieces:
        return (_json(user_agent=user_agent), _json(agent_class=agent_class, agent_name=name))

    def row(self, line_no: int, pieces: tuple[Pieces, ...], query: str, size: int | None,
            ogc_piece: str) -> str:  # fmt: skip
        ts, ip, ident, req, status, dur, ref, agent = pieces
        size_text = "null" if size is None else size
        return (
            f'{{"line_no":{line_no},{ts[0]},{self.site},{ip[0]},{ident[0]},{req[0]},{query},'
            f'{status[0]},"bytes":{size_text},{dur[0]},{ref[0]},{agent[0]},{req[1]},'
            f"{agent[1]},{ogc_piece},{req[3]}}}"
        )

    def layer_rows(self, line_no: int, pieces: tuple[Pieces, ...]) -> str:
        return ""

    def encode_records(self, records: list[Request]) -> tuple[list[str], str]:
        return [orjson.dumps(record).decode() for record in records], ""


class CopyLayout(Layout):
    """COPY rows for analytics.requests and analytics.request_layers, as
    `db.copy.RowEncoder` writes them."""

    ordered = False  # COPY loads rows in any order

    def __init__(self, site: str, file_id: int) -> None:
        self.site_and_file = f"{text(site)}\t{file_id}"
        self.encoder = RowEncoder(site, file_id)

    def time(self, ts: datetime) -> Pieces:
        return (f"{ts.isoformat()}\t{self.site_and_file}",)

    def ip(self, ip: str | None) -> Pieces:
        return (text(ip),)

    def identity(self, user: str | None, org: str | None, roles: list[str]) -> Pieces:
        return f"{text(user)}\t{text(org)}\t{text_array(roles)}", f"{text(org)}\t{text(user)}"

    def request(self, method: str, path: str, match: AppMatch) -> Pieces:
        info = match.ogc
        layers = [layer_cells(layer) for layer in info.layers] if info is not None else []
        return (
            f"{text(method)}\t{text(path)}",
            match.app,
            self.ogc(info),
            catalog_values(match.catalog),
            layers,
            layer_ogc_values(match.app, info) if layers else "",  # type: ignore[arg-type]
            None if info is None else unplaced_ogc_values(info),
        )

    def ogc(self, info: OgcInfo | None) -> str:
        return ogc_values(info)

    def placed_ogc(self, req: Pieces, info: OgcInfo, bbox: list[float] | None,
                   width: int | None, height: int | None) -> str:  # fmt: skip
        return placed_ogc_values(req[6], bbox, width, height)

    def query(self, query: str | None) -> str:
        return text(query)

    def status(self, status: int) -> Pieces:
        return (str(status),)

    def duration(self, duration: float | None) -> Pieces:
        return (number(duration),)

    def referer(self, referer: str | None) -> Pieces:
        return (text(referer),)

    def agent(self, user_agent: str | None, agent_class: str, name: str | None) -> Pieces:
        return (text(user_agent), f"{agent_class}\t{text(name)}", agent_class)

    def row(self, line_no: int, pieces: tuple[Pieces, ...], query: str, size: int | None,
            ogc_piece: str) -> str:  # fmt: skip
        ts, ip, ident, req, status, dur, ref, agent = pieces
        return (
            f"{ts[0]}\t{line_no}\t{ip[0]}\t{ident[0]}\t{req[0]}\t{query}\t{status[0]}\t"
            f"{integer(size, INT8_MAX)}\t{dur[0]}\t{ref[0]}\t{agent[0]}\t{req[1]}\t{agent[1]}\t"
            f"{ogc_piece}\t{req[3]}"
        )

    def layer_rows(self, line_no: int, pieces: tuple[Pieces, ...]) -> str:
        ts, _, ident, req, status, dur, _, agent = pieces
        head = f"{ts[0]}\t{line_no}\t"
        tail = f"\t{req[5]}\t{ident[1]}\t{agent[2]}\t{status[0]}\t{dur[0]}\n"
        return "".join([f"{head}{layer}{tail}" for layer in req[4]])

    def encode_records(self, records: list[Request]) -> tuple[list[str], str]:
        encoded = [self.encoder.encode(record) for record in records]
        return [row[:-1] for row, _ in encoded], "".join([layers for _, layers in encoded])


class PieceMaker:
    """A group's pieces for one distinct value, from the values the line path computes
    (`RegexFormat.parse`, then `interpret.to_request`); _REJECTED if it rejects them."""

    def __init__(self, parser: LineParser, layout: Layout) -> None:
        assert isinstance(parser.fmt, RegexFormat)
        self.read_time = parser.fmt.read_time
        self.site = parser.site
        self.layout = layout

    def time(self, time: str) -> Pieces | bool:
        try:
            ts = self.read_time(time)
        except (ValueError, KeyError):
            return _REJECTED
        return (*self.layout.time(ts), ts)

    def ip(self, ip: str | None) -> Pieces:
        return self.layout.ip(self.site.privacy.ip(None if ip is None or ip == "-" else ip))

    def identity(self, columns: tuple[str | None, ...]) -> Pieces:
        user, org, roles = identity(*columns)
        return self.layout.identity(self.site.privacy.user(user), org, roles)

    def request(self, key: tuple[str, str, str | None]) -> Pieces:
        """For the method, path and query cut of its placing parameters (`head`): the
        description the line's placing values go back into (see `Router.classify`), or
        None in its place when `head` has an odd name (the line must use its query)."""
        method, path, head = key
        match = self.site.router.classify(method, path, head)
        odd = head is not None and has_odd_names(head)
        return (*self.layout.request(method, path, match), None if odd else match)

    def status(self, status: str) -> Pieces:
        return self.layout.status(int(status))

    def duration(self, columns: tuple[str | None, ...]) -> Pieces:
        return self.layout.duration(duration_ms(*columns))

    def referer(self, referer: str | None) -> Pieces:
        return self.layout.referer(text_or_none(referer))

    def agent(self, agent: str | None) -> Pieces:
        user_agent = text_or_none(agent)
        return self.layout.agent(user_agent, *classify_agent(user_agent))

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
    """Parses the blocks of one source, in order, into a layout's rows."""

    def __init__(self, lines: LineParser, layout: Layout) -> None:
        self.lines = lines  # the line path, and the line count
        self.layout = layout
        fmt = lines.fmt
        self.fmt = fmt if isinstance(fmt, RegexFormat) else None
        if self.fmt is not None:
            maker = PieceMaker(lines, layout)
            self.caches = [
                _Cache(getattr(maker, name))
                for name in ("time", "ip", "identity", "request", "status", "duration",
                             "referer", "agent", "target")
            ]  # fmt: skip

    def parse_block(self, block: bytes) -> Encoded:
        first_line = self.lines.line_no
        lines, clean = split_block(block)
        if self.fmt is None:
            fast_rows: list[str] = []
            numbers: list[int] = []
            layers: list[str] = []
            used: set[str] = set()
            slow = list(range(len(lines)))
        else:
            fast_rows, numbers, slow, layers, used = self._fast(lines, clean, first_line)
        records, rejects = self.lines.parse_lines(
            ((first_line + 1 + offset, lines[offset]) for offset in slow), clean
        )
        self.lines.line_no = first_line + len(lines)
        rows, record_layers = self.layout.encode_records(records)
        if rows:
            fast_rows = _merged(fast_rows, numbers, rows, records, self.layout.ordered)
        stamps = [record.ts for record in records]
        times = self.caches[0] if self.fmt is not None else {}
        stamps += [times[time][-1] for time in used]
        tally = Tally(len(lines), len(fast_rows), Counter(reject.reason for reject in rejects))
        return Encoded(
            "\n".join(fast_rows) + "\n" if fast_rows else "",
            "".join(layers) + record_layers,
            rejects,
            tally,
            min(stamps, default=None),
            max(stamps, default=None),
            len(slow),
        )

    def _fast(
        self, lines: list[str], clean: bool, first_line: int
    ) -> tuple[list[str], list[int], list[int], list[str], set[str]]:
        """Rows of the lines the fast path takes, their numbers, the offsets of the others,
        the layer rows, and the times seen."""
        assert self.fmt is not None
        match_line, indices = self.fmt.fast.match, self.fmt.fast_indices
        times, ips, identities, requests, statuses, durations, referers, agents, targets = (
            self.caches
        )
        layout, row, layer_rows = self.layout, self.layout.row, self.layout.layer_rows
        rows: list[str] = []
        numbers: list[int] = []
        slow: list[int] = []
        layers: list[str] = []
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
            if query is not None and ogc.may_place(query):
                head, place = ogc.split_place(query)
            req = requests[(method, path, head)]
            ogc_piece = req[2]
            if place:
                found: AppMatch | None = req[-1]
                if found is None:  # an odd name: `classify` reads the whole query
                    req = requests[(method, path, query)]
                    ogc_piece = req[2]
                elif (values := placed_values(found, place)) is not None:
                    ogc_piece = layout.placed_ogc(req, found.ogc, *values)  # type: ignore[arg-type]
            pieces = (
                ts,
                ips[ip],
                identities[(user, secuser, secname, org, roles)],
                req,
                statuses[status],
                durations[(dur_s, dur_ms, dur_us, dur_up)],
                referers[referer],
                agents[agent],
            )
            rows.append(row(line_no, pieces, layout.query(query), byte_count(size), ogc_piece))
            numbers.append(line_no)
            if req[4]:
                layers.append(layer_rows(line_no, pieces))
            used.add(time)
        return rows, numbers, slow, layers, used


def _merged(
    rows: list[str], numbers: list[int], more: list[str], records: list[Request], ordered: bool
) -> list[str]:
    """The fast path's rows (of lines `numbers`) and the line path's, in line order if
    `ordered`."""
    if not ordered:
        return rows + more
    from_records = zip([record.line_no for record in records], more, strict=True)
    return [row for _, row in sorted([*zip(numbers, rows, strict=True), *from_records])]
