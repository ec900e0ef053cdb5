"""One line-reading engine for every text format: a regex with conventionally named groups.

Presets and custom ``log_format`` / ``LogFormat`` strings all compile to a regex whose
group names say what each capture means; `RegexFormat` turns a match into a `RawRequest`.
Group names (all optional except ``time``, ``status`` and a request):

- ``ip``; ``user`` (remote user), ``secname``, ``org``, ``roles`` (sec-* headers),
  ``secuser`` (the security-proxy's ``name|org|ROLE_A,ROLE_B``);
- ``time`` (read by the format's time reader);
- ``request`` (the request line), or ``method`` with ``uri`` (path and query), or
  ``method`` with ``path`` and ``query`` (Apache ``%U%q``, query with its ``?``) or
  ``args`` (nginx ``$args``, without it);
- ``status``, ``bytes``; ``dur_s``, ``dur_ms``, ``dur_us``, ``dur_up`` (nginx
  ``$upstream_response_time``: a list of seconds, summed); ``referer``, ``agent``.
"""

from __future__ import annotations

import re
from typing import Final

from analyzer.formats.base import LineRejected, RawRequest
from analyzer.formats.timestamps import TimeReader, clf_time

# A double-quoted field whose content may hold backslash escapes (\" from Apache).
QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
CLF_TIME = r"\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"

# nginx escapes as \xHH, Apache as \" and \\; both only when needed, hence the `in` test.
_ESCAPE = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+|\\(.)")
_ANONYMOUS = frozenset({"-", "", "anonymousUser"})
_ROLE_SPLIT = re.compile(r"[;,]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def quoted(group: str) -> str:
    return f'"(?P<{group}>{QUOTED})"'


def _unescape_one(match: re.Match[str]) -> str:
    if match.group(1) is not None:  # \" or \\
        return match.group(1)
    # A run of \xHH is the bytes of UTF-8 text (nginx writes "é" as \xC3\xA9).
    return bytes.fromhex(match.group(0).replace("\\x", "")).decode("utf-8", "backslashreplace")


def unescape(value: str) -> str:
    return _ESCAPE.sub(_unescape_one, value) if "\\" in value else value


def text_or_none(value: str | None) -> str | None:
    """'-' and empty mean absent; escapes written by the server are undone."""
    if value is None or value == "-" or not value:
        return None
    return unescape(value)


def user_or_none(value: str | None) -> str | None:
    return None if value is None or value in _ANONYMOUS else text_or_none(value)


def split_roles(value: str | None) -> list[str]:
    if not value or value == "-":
        return []
    return [role for role in _ROLE_SPLIT.split(value) if role]


def split_request(line: str) -> tuple[str, str]:
    """'GET /path?q HTTP/1.1' -> ('GET', '/path?q'); junk (TLS bytes, '-') is rejected."""
    method, _, rest = line.partition(" ")
    if not rest or not method.isalpha() or not method.isupper():
        raise LineRejected("bad request line", line[:80])
    target, _, protocol = rest.rpartition(" ")
    if not target or not protocol.startswith("HTTP/"):
        target = rest  # HTTP/0.9 style: no protocol
    return method, target


def join_query(path: str, args: str | None) -> str:
    return f"{path}?{args}" if args and args != "-" else path


INT8_MAX: Final = 2**63 - 1


def byte_count(size: str | None) -> int | None:
    """'-' and counts past 64 bits (a forged line: no response is that big) are None."""
    if size is None or size == "-":
        return None
    count = int(size)
    return count if count <= INT8_MAX else None


def duration_ms(
    seconds: str | None, millis: str | None, micros: str | None, upstream: str | None
) -> float | None:
    """The duration in milliseconds, from whichever unit the format wrote."""
    if seconds and seconds != "-":
        return float(seconds) * 1000.0
    if millis is not None:
        return float(millis)
    if micros is not None:
        return int(micros) / 1000.0
    if upstream and upstream != "-":
        return sum(float(n) for n in _NUMBER.findall(upstream)) * 1000.0
    return None


def _secproxy_identity(field: str) -> tuple[str | None, str | None, list[str]]:
    """'name|org|ROLE_A,ROLE_B' (the org may hold spaces) -> (user, org, roles)."""
    name, _, rest = field.partition("|")
    org, _, roles = rest.partition("|")
    return user_or_none(name), text_or_none(org), split_roles(roles)


def identity(
    user: str | None,
    secuser: str | None,
    secname: str | None,
    org: str | None,
    roles: str | None,
) -> tuple[str | None, str | None, list[str]]:
    """``(user, org, roles)`` from the groups that carry them."""
    if secuser is not None:
        return _secproxy_identity(secuser)
    return user_or_none(secname) or user_or_none(user), text_or_none(org), split_roles(roles)


def method_and_target(
    request: str | None,
    method: str | None,
    uri: str | None,
    path: str | None,
    query: str | None,
    args: str | None,
) -> tuple[str, str]:
    """``(method, target)`` from the request line, or from its parts."""
    if request is not None:
        return split_request(unescape(request))
    assert method is not None  # RegexFormat checks that a format has one or the other
    return method, uri if uri is not None else join_query(path or "", args) + (query or "")


# Every group `parse` reads, in its unpacking order; a format lacking one reads None.
GROUPS = (
    "ip", "user", "secuser", "secname", "org", "roles", "time", "request", "method", "uri",
    "path", "query", "args", "status", "bytes", "dur_s", "dur_ms", "dur_us", "dur_up",
    "referer", "agent",
)  # fmt: skip
_NEVER = "(?!)"  # an empty negative lookahead: fails, so an optional group holds None
_ABSENT = "absent"


# The usual request line, split by the regex engine rather than in Python. The target ends
# at a space, as `split_request` has it (and sre matches two literals faster than \s).
_REQUEST_LINE = r'"(?P<method>[A-Z]+) (?P<uri>[^ "]+)(?: HTTP/\d(?:\.\d)?)?"'


def _fast_source(source: str, groups: set[str]) -> str:
    """A faster pattern for lines without a backslash (nearly all of them): a quoted field
    is then simply [^"]*, which sre matches twice as fast as the escape-aware form, and
    a usual request line is split by the pattern. Other lines go to the exact pattern."""
    if not groups & {"method", "uri"}:
        source = source.replace(f'"(?P<request>{QUOTED})"', _REQUEST_LINE)
    return source.replace(QUOTED, '[^"]*')


def _indices(pattern: re.Pattern[str]) -> tuple[int, ...]:
    """Group numbers in GROUPS order, absent groups pointing to the never-matching one."""
    index = pattern.groupindex
    return tuple(index.get(name, index[_ABSENT]) for name in GROUPS)


class RegexFormat:
    """A log format defined by a regex using the group names documented above."""

    def __init__(self, name: str, pattern: str, time_reader: TimeReader = clf_time) -> None:
        self.name = name
        groups = set(re.compile(pattern).groupindex)
        if not ("request" in groups or {"method", "uri"} <= groups or {"method", "path"} <= groups):
            raise ValueError("a format needs the request line, or the method and the URI")
        # One never-matching group stands for every absent one, so `parse` reads all groups
        # by number in one call and is straight-line code.
        self.pattern = re.compile(f"{pattern}(?P<{_ABSENT}>{_NEVER})?")
        self._indices = _indices(self.pattern)
        self.fast = re.compile(_fast_source(self.pattern.pattern, groups))
        self.fast_indices = _indices(self.fast)
        self.read_time = time_reader

    def parse(self, line: str) -> RawRequest:
        # One group() call reads every group (see _indices).
        match = None if "\\" in line else self.fast.match(line)
        indices = self.fast_indices
        if match is None:  # escapes, or an odd request line: the exact pattern decides
            match, indices = self.pattern.match(line), self._indices
            if match is None:
                raise LineRejected("no match")
        # fmt: off
        (ip, user, secuser, secname, org, roles, time, request, method, uri, path, query, args,
         status, size, dur_s, dur_ms, dur_us, dur_up, referer, agent) = match.group(*indices)
        # fmt: on
        try:
            ts = self.read_time(time)
        except (ValueError, KeyError) as exc:
            raise LineRejected("bad timestamp", time) from exc
        method, target = method_and_target(request, method, uri, path, query, args)
        user, org, role_list = identity(user, secuser, secname, org, roles)
        return RawRequest(
            ts,
            None if ip is None or ip == "-" else ip,
            user,
            org,
            role_list,
            method,
            target,
            int(status),
            byte_count(size),
            duration_ms(dur_s, dur_ms, dur_us, dur_up),
            None if referer is None or referer == "-" else text_or_none(referer),
            None if agent is None or agent == "-" else text_or_none(agent),
        )
