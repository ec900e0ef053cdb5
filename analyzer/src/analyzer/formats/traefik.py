"""Traefik's access log in its common log format (``traefik`` preset).

``combined`` followed by the request count, the router, the backend URL and the
duration: ``1 "proxy@docker" "http://172.18.0.11:8080" 57ms``.
"""

from __future__ import annotations

from datetime import tzinfo

from analyzer.formats.regex import CLF_TIME, RegexFormat, quoted

# Traefik writes header values as they came, quotes included: the user agent runs to
# the last quote that the fixed end of the line allows.
PATTERN = (
    rf"(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>{CLF_TIME})\] {quoted('request')}"
    r' (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>.*?)" "(?P<agent>.*)"'
    r' \d+ "[^"]*" "[^"]*" (?P<dur_ms>\d+)ms$'
)


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("traefik", PATTERN)
