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
from collections.abc import Callable
from datetime import datetime

from analyzer.formats.base import LineRejected, RawRequest
from analyzer.formats.timestamps import TimeReader, clf_time

# A double-quoted field whose content may hold backslash escapes (\" from Apache).
QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
CLF_TIME = r"\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"

# nginx escapes as \xHH, Apache as \" and \\; both only when needed, hence the `in` test.
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)")
_ANONYMOUS = frozenset({"-", "", "anonymousUser"})
_ROLE_SPLIT = re.compile(r"[;,]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def quoted(group: str) -> str:
    return f'"(?P<{group}>{QUOTED})"'


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 3 and code[0] == "x" else code


def text_or_none(value: str | None) -> str | None:
    """'-' and empty mean absent; escapes written by the server are undone."""
    if value is None or value == "-" or not value:
        return None
    return _ESCAPE.sub(_unescape_one, value) if "\\" in value else value


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


def _join_query(path: str, args: str | None) -> str:
    return f"{path}?{args}" if args and args != "-" else path


def _duration_ms(groups: dict[str, str | None]) -> float | None:
    for name, scale in (("dur_ms", 1.0), ("dur_s", 1000.0), ("dur_us", 0.001)):
        value = groups.get(name)
        if value is not None and value != "-":
            return float(value) * scale
    upstream = groups.get("dur_up")
    if upstream and upstream != "-":
        return sum(float(n) for n in _NUMBER.findall(upstream)) * 1000.0
    return None


class RegexFormat:
    """A log format defined by a regex using the group names documented above."""

    def __init__(self, name: str, pattern: str, time_reader: TimeReader = clf_time) -> None:
        self.name = name
        self.pattern = re.compile(pattern)
        self._match = self.pattern.match
        self._time = time_reader
        self._request = self._request_reader(set(self.pattern.groupindex))

    @staticmethod
    def _request_reader(groups: set[str]) -> Callable[[dict], tuple[str, str]]:
        if "request" in groups:
            return lambda g: split_request(g["request"])
        if {"method", "uri"} <= groups:
            return lambda g: (g["method"], g["uri"])
        if {"method", "path", "query"} <= groups:  # Apache %U%q: the query keeps its "?"
            return lambda g: (g["method"], g["path"] + (g["query"] or ""))
        if {"method", "path", "args"} <= groups:  # nginx $uri?$args
            return lambda g: (g["method"], _join_query(g["path"], g["args"]))
        if {"method", "path"} <= groups:
            return lambda g: (g["method"], g["path"])
        raise ValueError("a format needs the request line, or the method and the URI")

    def parse(self, line: str) -> RawRequest:
        match = self._match(line)
        if match is None:
            raise LineRejected("no match")
        g = match.groupdict()
        method, target = self._request(g)
        user, org, roles = self._identity(g)
        size = g.get("bytes")
        return RawRequest(
            ts=self._read_time(g["time"]),
            client_ip=text_or_none(g.get("ip")),
            user=user,
            org=org,
            roles=roles,
            method=method,
            target=target,
            status=int(g["status"]),
            bytes=int(size) if size and size != "-" else None,
            duration_ms=_duration_ms(g),
            referer=text_or_none(g.get("referer")),
            user_agent=text_or_none(g.get("agent")),
        )

    def _read_time(self, text: str) -> datetime:
        try:
            return self._time(text)
        except (ValueError, KeyError) as exc:
            raise LineRejected("bad timestamp", text) from exc

    @staticmethod
    def _identity(g: dict[str, str | None]) -> tuple[str | None, str | None, list[str]]:
        combined = g.get("secuser")
        if combined is not None:  # security-proxy: "name|org|ROLE_A,ROLE_B"
            name, _, rest = combined.partition("|")
            org, _, roles = rest.partition("|")
            return user_or_none(name), text_or_none(org), split_roles(roles)
        name = user_or_none(g.get("secname")) or user_or_none(g.get("user"))
        return name, text_or_none(g.get("org")), split_roles(g.get("roles"))
