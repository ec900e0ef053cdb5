"""HAProxy HTTP log lines (``option httplog``), in a syslog file or not (``haproxy``).

``Nov 26 13:45:12 host haproxy[812]: 10.0.0.1:52144 [26/Nov/2024:13:45:12.345]
front back/srv1 0/0/1/23/24 200 1234 - - ---- 1/1/0/0/0 0/0 "GET /path HTTP/1.1"``.
The date has no offset, so the site's time zone applies. The last of the five timers is
the total time (Ta, or Tt in older versions; -1 when aborted); ``+`` marks values logged
before the end (``option logasap``). HAProxy logs no user agent or referer by default.
"""

from __future__ import annotations

from datetime import tzinfo

from analyzer.formats.regex import RegexFormat
from analyzer.formats.timestamps import local_time_reader

PATTERN = (
    r"(?:.*?\]: )?(?P<ip>\S+):\d+ \[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(?:\.\d+)?)\]"
    r" \S+ \S+ (?:-?\d+/){4}\+?(?:(?P<dur_ms>\d+)|-\d+) (?P<status>\d{3}) \+?(?P<bytes>\d+)"
    r' .*"(?P<request>[^"]*)"$'
)


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("haproxy", PATTERN, local_time_reader(zone))
