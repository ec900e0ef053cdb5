"""Apache httpd: the ``apache`` preset and custom ``LogFormat`` strings.

The preset is the ``combined`` format, optionally followed by ``%D`` (microseconds, an
integer).
"""

from __future__ import annotations

import re
from datetime import tzinfo

from analyzer.errors import ConfigError
from analyzer.formats.nginx import COMBINED
from analyzer.formats.regex import CLF_TIME, RegexFormat
from analyzer.formats.template import Field, Part, compile_parts

PRESET = COMBINED + r"(?: (?P<dur_us>\d+))?$"

_NUMBER_OR_DASH = r"\d+|-"
# Directives without an argument, by letter; unknown ones are refused.
DIRECTIVES: dict[str, Field] = {
    "h": Field("ip", r"\S+"),
    "a": Field("ip", r"\S+"),
    "u": Field("user"),
    "r": Field("request"),
    "m": Field("method", r"[A-Z]+"),
    "U": Field("path", r"[^\s?\"]*"),
    "q": Field("query", r"(?:\?\S*)?"),
    "s": Field("status", r"\d{3}"),
    "b": Field("bytes", _NUMBER_OR_DASH),
    "B": Field("bytes", r"\d+"),
    "O": Field("bytes", r"\d+"),
    "D": Field("dur_us", r"\d+"),
    "T": Field("dur_s", r"\d+"),
    **{letter: Field(None) for letter in "AfHIklLpPRSvVX"},
}
# %{name}i request headers with a meaning (names are case-insensitive).
HEADERS: dict[str, Field] = {
    "referer": Field("referer"),
    "user-agent": Field("agent"),
    "sec-username": Field("secname"),
    "sec-org": Field("org"),
    "sec-roles": Field("roles"),
}
_T_UNITS = {
    "s": Field("dur_s", r"\d+"),
    "ms": Field("dur_ms", r"\d+"),
    "us": Field("dur_us", r"\d+"),
}
# %[conditions][<>]{argument}letter
_DIRECTIVE = re.compile(r"%(?:!?\d{3}(?:,\d{3})*)?[<>]?(?:\{([^}]*)\})?([a-zA-Z%])")


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("apache", PRESET)


def custom(spec: str, zone: tzinfo) -> RegexFormat:
    """A format from an Apache ``LogFormat`` string, as written in httpd.conf or not."""
    text = spec.replace('\\"', '"')
    parts: list[Part] = []
    position = 0
    for match in _DIRECTIVE.finditer(text):
        parts.append(text[position : match.start()])
        parts.extend(_directive(text, match.group(1), match.group(2)))
        position = match.end()
    parts.append(text[position:])
    if "time" not in {p.group for p in parts if isinstance(p, Field)}:
        raise ConfigError(f"Apache format {spec!r}: no time (%t)")
    try:
        return RegexFormat("custom apache", compile_parts(parts))
    except ValueError as exc:
        raise ConfigError(f"Apache format {spec!r}: {exc}") from exc


def _directive(text: str, argument: str | None, letter: str) -> list[Part]:
    if letter == "%":
        return ["%"]
    if letter == "t":
        if argument is not None:
            raise ConfigError(f"Apache format {text!r}: %{{{argument}}}t is not supported; use %t")
        return ["[", Field("time", CLF_TIME), "]"]
    if argument is not None:
        if letter == "i":
            return [HEADERS.get(argument.lower(), Field(None))]
        if letter == "T" and argument in _T_UNITS:
            return [_T_UNITS[argument]]
        if letter == "a":
            return [Field("ip", r"\S+")]
        return [Field(None)]  # other headers, notes, cookies, environment
    if letter not in DIRECTIVES:
        raise ConfigError(f"Apache format {text!r}: unknown directive %{letter}")
    return [DIRECTIVES[letter]]
