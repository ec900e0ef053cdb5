"""From blocks of raw lines to `Request` records and counted rejects.

Shared by ``analyzer parse`` and the database load:

    parser = LineParser(fmt, site_context, source="access.log.1")
    for block in read_blocks(stream, source):
        records, rejects, tally = parser.parse_block(block)  # line numbers run on

or, written by an output (`outputs`) from pieces cached per value, `fastpath.FastParser`
(see `workers`, `db.batches`).

A bad line never stops a file: it becomes a `Reject` with a reason from a small fixed set
(``empty``, ``binary``, ``too long``, the format's reasons such as ``no match``...).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from analyzer.formats import build_format
from analyzer.formats.base import LineRejected, LogFormat
from analyzer.interpret import SiteContext, to_request
from analyzer.reader import MAX_LINE
from analyzer.record import Request
from analyzer.settings import SiteConfig

log = logging.getLogger(__name__)

# C0 controls other than tab, CR and LF, and DEL: no text log holds them unescaped.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUSPECT_CODES = (*range(9), *range(11, 32), 127)  # the same, or CR
_SUSPECT_BYTES = bytes(_SUSPECT_CODES)
# A line of a block that is not clean (`split_block`) holding what `_screened` handles.
suspect = re.compile("[" + re.escape("".join(map(chr, _SUSPECT_CODES))) + "]").search
EXCERPT = 300  # characters of a rejected line kept in the rejects file
# Control characters are written escaped, so a rejects file stays one line per reject.
_VISIBLE = {code: f"\\x{code:02x}" for code in (*range(9), *range(10, 32), 127)}


@dataclass(slots=True)
class Reject:
    source: str
    line_no: int
    reason: str
    detail: str
    excerpt: str  # the start of the line, escaped where not UTF-8

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.source}:{self.line_no}: {self.reason}{detail}: {self.excerpt}"


@dataclass(slots=True)
class Tally:
    """Counts for the run summary."""

    lines: int = 0
    records: int = 0
    rejects: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.lines += other.lines
        self.records += other.records
        self.rejects.update(other.rejects)

    def summary(self, source: str) -> str:
        rejected = sum(self.rejects.values())
        text = f"{source}: {self.records} records from {self.lines} lines, {rejected} rejected"
        if rejected:
            reasons = ", ".join(f"{reason} {n}" for reason, n in self.rejects.most_common())
            text += f" ({reasons})"
        return text


@dataclass(frozen=True, slots=True)
class ParseSetup:
    """Everything needed to parse one source, picklable for worker processes."""

    source: str  # file name for messages and rejects
    format_spec: str  # a preset name or a format string (not "auto": detect first)
    site: SiteConfig
    key: bytes | None = None  # pseudonymization key

    def parser(self) -> LineParser:
        fmt = build_format(self.format_spec, ZoneInfo(self.site.timezone))
        return LineParser(fmt, SiteContext.for_site(self.site, self.key), self.source)


# What parsing a piece of input gives: the encoded records, the rejects, the counts.
Parsed = tuple[bytes, list[Reject], Tally]


class LineParser:
    """Parses the lines of one source in order; `line_no` counts every line."""

    def __init__(self, fmt: LogFormat, site: SiteContext, source: str, line_no: int = 0) -> None:
        self.fmt = fmt
        self.site = site
        self.source = source
        self.line_no = line_no  # of the last line parsed
        self.failed = False  # an internal error was logged (the next ones are only counted)

    def parse_block(self, block: bytes) -> tuple[list[Request], list[Reject], Tally]:
        """The block's records and rejects, and their counts."""
        lines, clean = split_block(block)
        records, rejects = self.parse_lines(enumerate(lines, self.line_no + 1), clean)
        tally = Tally(len(lines), len(records), Counter(r.reason for r in rejects))
        self.line_no += len(lines)
        return records, rejects, tally

    def parse_lines(
        self, numbered: Iterable[tuple[int, str]], clean: bool
    ) -> tuple[list[Request], list[Reject]]:
        """Records and rejects of ``(line_no, line)`` pairs; `clean` as `split_block` says."""
        records: list[Request] = []
        rejects: list[Reject] = []
        parse, site = self.fmt.parse, self.site
        for line_no, line in numbered:
            try:
                if len(line) >= MAX_LINE:
                    raise LineRejected("too long", f"{len(line)} characters or more")
                records.append(to_request(parse(line if clean else _screened(line)), line_no, site))
            except LineRejected as exc:
                rejects.append(self._reject(line, line_no, exc.reason, exc.detail))
            except Exception as exc:  # a bug must not lose the file: count it, say it once
                if not self.failed:
                    log.exception("%s:%d: internal error", self.source, line_no)
                    self.failed = True
                rejects.append(self._reject(line, line_no, "internal error", repr(exc)))
        return records, rejects

    def _reject(self, line: str, line_no: int, reason: str, detail: str) -> Reject:
        if not line.strip():
            reason, detail = "empty", ""
        return Reject(self.source, line_no, reason, detail, line[:EXCERPT].translate(_VISIBLE))


def split_block(block: bytes) -> tuple[list[str], bool]:
    """The block's lines, and whether the block is clean (no CR, no control character).

    Decoding and screening the whole block at once is much cheaper than per line; invalid
    UTF-8 (a Latin-1 user agent) is kept, escaped as nginx escapes bytes."""
    text = block.decode("utf-8", "backslashreplace")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    # In UTF-8 these bytes only ever stand for themselves; deleting them is ten times
    # faster than a regex search of the text.
    return lines, len(block.translate(None, _SUSPECT_BYTES)) == len(block)


def _screened(line: str) -> str:
    """A line of a block holding a carriage return or control characters."""
    if line.endswith("\r"):
        line = line[:-1]
    if _BINARY.search(line):
        raise LineRejected("binary")
    return line
