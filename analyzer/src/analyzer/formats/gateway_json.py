"""The geOrchestra gateway's JSON access events (``gateway-json`` preset).

One JSON object per line, written by the gateway's Logstash encoder or exported through
OpenTelemetry. Attributes are dotted names (``enduser.id``, ``http.request.method``),
flat or nested, at the top level or under ``attributes``. The gateway logs neither the
response size nor the duration. When the status has no attribute of its own, it is read
from the access-log message (``GET /api/maps/123 200``).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

import orjson

from analyzer.formats.base import LineRejected, RawRequest
from analyzer.formats.regex import split_roles, user_or_none
from analyzer.formats.timestamps import iso_time_reader

# Alternative attribute names, preferred first.
TIME = ("@timestamp", "timestamp", "time", "timeUnixNano")
METHOD = ("http.request.method", "http.method")
PATH = ("http.request.path", "url.path", "http.request.url", "http.url")
QUERY = ("http.request.query-string", "http.request.query_string", "url.query")
STATUS = ("http.status_code", "http.response.status_code", "http.response.status-code")
CLIENT = ("http.request.remote-addr", "client.address", "http.client_ip")
USER, ORG, ROLES = ("enduser.id",), ("enduser.org.id", "enduser.org"), ("enduser.roles",)
REFERER = ("http.request.header.referer", "http.request.header.Referer")
AGENT = ("http.request.header.user-agent", "http.request.header.User-Agent", "user_agent.original")
PARAMETER = "http.request.parameter."


def flatten(obj: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict:
    """Nested objects become dotted keys; OpenTelemetry's ``attributes`` join the top."""
    out = {} if out is None else out
    for key, value in obj.items():
        name = key if key == "attributes" and not prefix else f"{prefix}{key}"
        if isinstance(value, dict):
            flatten(value, "" if name == "attributes" else f"{name}.", out)
        else:
            out[name] = value
    return out


def _first(attrs: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = attrs.get(name)
        if value not in (None, ""):
            return value
    return None


class GatewayJsonFormat:
    name = "gateway-json"

    def __init__(self, zone: tzinfo) -> None:
        self._iso = iso_time_reader(zone)

    def parse(self, line: str) -> RawRequest:
        if not line.startswith("{"):
            raise LineRejected("no match")
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise LineRejected("bad json", str(exc)) from exc
        if not isinstance(obj, dict):
            raise LineRejected("bad json", "not an object")
        attrs = flatten(obj)
        method, target, status = self._request(attrs)
        roles = _first(attrs, ROLES)
        return RawRequest(
            ts=self._time(_first(attrs, TIME)),
            client_ip=_first(attrs, CLIENT),
            user=user_or_none(_first(attrs, USER)),
            org=_first(attrs, ORG),
            roles=list(roles) if isinstance(roles, list) else split_roles(roles),
            method=method,
            target=target,
            status=status,
            bytes=None,
            duration_ms=None,
            referer=_first(attrs, REFERER),
            user_agent=_first(attrs, AGENT),
        )

    @staticmethod
    def _request(attrs: dict[str, Any]) -> tuple[str, str, int]:
        words = str(attrs.get("message", "")).split(" ")
        method = _first(attrs, METHOD) or (words[0] if len(words) == 3 else None)
        path = _first(attrs, PATH) or (words[1] if len(words) == 3 else None)
        status = _first(attrs, STATUS) or (words[2] if len(words) == 3 else None)
        if not method or not path:
            raise LineRejected("not an access event")
        try:
            code = int(status)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise LineRejected("bad status", repr(status)) from exc
        return str(method), _with_query(str(path), attrs), code

    def _time(self, value: Any) -> datetime:
        try:
            if isinstance(value, int | float):  # epoch in s, ms, us or ns
                while value > 1e11:
                    value /= 1000
                return datetime.fromtimestamp(value, UTC)
            return self._iso(str(value))
        except (ValueError, TypeError, OverflowError) as exc:
            raise LineRejected("bad timestamp", repr(value)) from exc


def _with_query(path: str, attrs: dict[str, Any]) -> str:
    if "?" in path:
        return path
    query = _first(attrs, QUERY)
    if query is None:
        params = {k[len(PARAMETER) :]: v for k, v in attrs.items() if k.startswith(PARAMETER)}
        query = urlencode(params, doseq=True) if params else None
    return f"{path}?{query}" if query else path


def preset(zone: tzinfo) -> GatewayJsonFormat:
    return GatewayJsonFormat(zone)
