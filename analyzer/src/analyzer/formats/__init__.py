"""Log formats: built-in presets, custom nginx/Apache format strings, and detection.

    fmt = build_format("nginx", ZoneInfo("Europe/Paris"))
    raw = fmt.parse(line)          # RawRequest, or raises LineRejected(reason)

Adding a preset is one module with a ``preset(zone)`` function plus one line in PRESETS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import tzinfo
from pathlib import Path

from analyzer.errors import ConfigError, InputError
from analyzer.formats import apache, gateway_json, haproxy, nginx, secproxy, traefik
from analyzer.formats.base import LineRejected, LogFormat, RawRequest
from analyzer.reader import open_log

__all__ = [
    "PRESETS",
    "LineRejected",
    "LogFormat",
    "RawRequest",
    "build_format",
    "detect_format",
    "file_format",
    "resolve_format",
]

# Also the order `auto` tries them in: the more specific first (a Traefik line is also a
# valid security-proxy line; combined without duration fits both nginx and apache).
PRESETS: dict[str, Callable[[tzinfo], LogFormat]] = {
    "traefik": traefik.preset,
    "secproxy": secproxy.preset,
    "haproxy": haproxy.preset,
    "gateway-json": gateway_json.preset,
    "nginx": nginx.preset,
    "apache": apache.preset,
}
AUTO = "auto"
SAMPLE_LINES = 50  # lines `auto` looks at


def build_format(spec: str, zone: tzinfo) -> LogFormat:
    """A preset name, an nginx ``log_format`` string or an Apache ``LogFormat`` string."""
    if spec in PRESETS:
        return PRESETS[spec](zone)
    if "$" in spec:
        return nginx.custom(spec, zone)
    if "%" in spec:
        return apache.custom(spec, zone)
    raise ConfigError(
        f"unknown log format {spec!r}: use {AUTO}, one of {', '.join(PRESETS)}, "
        "an nginx log_format string ('$remote_addr ...') or an Apache LogFormat string ('%h ...')"
    )


def resolve_format(spec: str, zone: tzinfo, head: bytes, source: str) -> LogFormat:
    """The format ``spec`` names; for `auto`, the preset that reads most of the first
    lines of ``head`` (the file's first bytes). The one place a file's format is decided:
    `analyzer parse`, the nightly run and the doctor all come here."""
    if spec != AUTO:
        return build_format(spec, zone)
    lines = head.split(b"\n", SAMPLE_LINES)[:SAMPLE_LINES]
    return detect_format((raw.decode("utf-8", "replace") for raw in lines), zone, source)


def file_format(spec: str, path: Path, zone: tzinfo) -> LogFormat:
    """The format ``spec`` names; for `auto`, the one the first lines of the file at
    ``path`` (plain or gzip) read as. InputError when no preset reads them."""
    if spec != AUTO:
        return build_format(spec, zone)
    with open_log(path) as stream:
        head = b"".join(itertools.islice(stream, SAMPLE_LINES))
    return resolve_format(AUTO, zone, head, str(path))


def detect_format(lines: Iterable[str], zone: tzinfo, source: str) -> LogFormat:
    """The preset reading most of the sample lines; ties go to the earlier in PRESETS."""
    sample = [line for line in lines if line.strip()][:SAMPLE_LINES]
    best: LogFormat | None = None
    best_score = 0
    for build in PRESETS.values():
        candidate = build(zone)
        score = sum(1 for line in sample if _reads(candidate, line))
        if score > best_score:
            best, best_score = candidate, score
    if best is None:
        raise InputError(
            f"{source}: no preset format ({', '.join(PRESETS)}) reads any of its first "
            f"{len(sample)} lines; give the format with --format (an nginx log_format or "
            "Apache LogFormat string)"
        )
    return best


def _reads(fmt: LogFormat, line: str) -> bool:
    try:
        fmt.parse(line)
    except LineRejected:
        return False
    return True
