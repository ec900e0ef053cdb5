"""The contract between log formats and the rest of the analyzer.

A format turns one log line (text, without its line ending) into a `RawRequest`: the
fields as the log wrote them, before routing, privacy or user-agent classification
(``interpret.to_request`` does those).

Rejects: a format that cannot read a line raises `LineRejected` with a short, stable
reason (``"no match"``, ``"bad timestamp"``, ...). Reasons are counted in the run summary
and written to the rejects file, so keep them few and without line-specific text; put
the details in ``detail``. Raising (rather than returning a sentinel) keeps the hot path
free of checks: valid lines are the overwhelming majority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(slots=True)
class RawRequest:
    ts: datetime  # timezone-aware (formats without an offset apply the site's zone)
    client_ip: str | None
    user: str | None  # None for anonymous ("-", "anonymousUser")
    org: str | None
    roles: list[str]
    method: str
    # The request target as in the request line: "/path?query", or a full URL
    # ("http://geonetwork:8080/geonetwork/...") in the security-proxy's log.
    target: str
    status: int
    bytes: int | None  # None for "-"
    duration_ms: float | None
    referer: str | None  # None for "-"
    user_agent: str | None  # None for "-"


class LineRejected(Exception):
    """A line this format cannot read; `reason` is the counted category."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class LogFormat(Protocol):
    """A compiled log format. Build one with ``analyzer.formats.build_format``."""

    name: str  # preset name, or "custom nginx" / "custom apache"

    def parse(self, line: str) -> RawRequest:
        """Read one line; raise `LineRejected` when it does not fit."""
        ...
