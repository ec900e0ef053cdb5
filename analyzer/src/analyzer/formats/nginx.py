"""nginx: the ``nginx`` preset and custom ``log_format`` strings.

The preset is the ``combined`` format, optionally followed by ``$request_time`` (seconds
with a decimal point, which is what tells it from Apache's ``%D``).
"""

from __future__ import annotations

import re
from datetime import tzinfo

from analyzer.errors import ConfigError
from analyzer.formats.regex import CLF_TIME, RegexFormat, quoted
from analyzer.formats.template import Field, Part, compile_parts
from analyzer.formats.timestamps import TimeReader, clf_time, epoch_time, iso_time_reader

COMBINED = (
    rf"(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>{CLF_TIME})\] {quoted('request')}"
    rf" (?P<status>\d{{3}}) (?P<bytes>\d+|-) {quoted('referer')} {quoted('agent')}"
)
PRESET = COMBINED + r"(?: (?P<dur_s>\d+\.\d+|-))?$"

_SECONDS = r"-|\d+(?:\.\d+)?"
# Variables with a meaning; any other variable is matched and ignored.
VARIABLES: dict[str, Field] = {
    "remote_addr": Field("ip", r"\S+"),
    "remote_user": Field("user"),
    "time_local": Field("time", CLF_TIME),
    "time_iso8601": Field("time", r"\d{4}-\d\d-\d\dT[\d:]+(?:Z|[+-]\d\d:\d\d)?"),
    "msec": Field("time", r"\d+\.\d+"),
    "request": Field("request"),
    "request_method": Field("method", r"[A-Z]+"),
    "request_uri": Field("uri", r"\S+"),
    "uri": Field("path", r"[^\s?]*"),
    "args": Field("args"),
    "query_string": Field("args"),
    "status": Field("status", r"\d{3}"),
    "body_bytes_sent": Field("bytes", r"\d+|-"),
    "bytes_sent": Field("bytes", r"\d+|-"),
    "request_time": Field("dur_s", _SECONDS),
    "upstream_response_time": Field("dur_up", rf"(?:{_SECONDS})(?:(?:, | : )(?:{_SECONDS}))*"),
    "http_referer": Field("referer"),
    "http_user_agent": Field("agent"),
    "http_sec_username": Field("secname"),
    "http_sec_org": Field("org"),
    "http_sec_roles": Field("roles"),
}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_CONF_STRING = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("nginx", PRESET)


def custom(spec: str, zone: tzinfo) -> RegexFormat:
    """A format from an nginx ``log_format`` string (or the whole directive)."""
    text = _unwrap_directive(spec)
    parts: list[Part] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(VARIABLES.get(match.group(1) or match.group(2), Field(None)))
        position = match.end()
    parts.append(text[position:])
    return _build(text, parts, zone)


def _build(text: str, parts: list[Part], zone: tzinfo) -> RegexFormat:
    # The first time variable in the line is the one captured.
    time_vars = sorted(
        (v for v in ("time_local", "time_iso8601", "msec") if f"${v}" in text), key=text.find
    )
    if not time_vars:
        raise ConfigError(f"nginx format {text!r}: no time ($time_local, $time_iso8601, $msec)")
    if "$status" not in text:
        raise ConfigError(f"nginx format {text!r}: no $status")
    readers: dict[str, TimeReader] = {
        "time_local": clf_time,
        "time_iso8601": iso_time_reader(zone),
        "msec": epoch_time,
    }
    try:
        return RegexFormat("custom nginx", compile_parts(parts), readers[time_vars[0]])
    except ValueError as exc:  # no request: RegexFormat says what it needs
        raise ConfigError(f"nginx format {text!r}: {exc}") from exc


def _unwrap_directive(spec: str) -> str:
    """Accept a pasted ``log_format main '...' '...';`` as well as the bare string."""
    stripped = spec.strip()
    if not stripped.startswith("log_format"):
        return spec
    return "".join(single or double for single, double in _CONF_STRING.findall(stripped))
