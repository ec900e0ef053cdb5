"""Traefik's access log in its common log format (``traefik`` preset).

``combined`` followed by the request count, the router, the backend URL and the
duration: ``1 "proxy@docker" "http://172.18.0.11:8080" 57ms``.
"""

from __future__ import annotations

from datetime import tzinfo

from analyzer.formats.nginx import COMBINED
from analyzer.formats.regex import RegexFormat

PATTERN = COMBINED + r' \d+ "[^"]*" "[^"]*" (?P<dur_ms>\d+)ms$'


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("traefik", PATTERN)
