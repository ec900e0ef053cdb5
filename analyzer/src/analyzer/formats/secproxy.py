"""The geOrchestra security-proxy's access log (``secproxy`` preset).

Like ``combined``, but the user field is ``name|org|ROLE_A,ROLE_B`` (``anonymousUser||``
when anonymous; the org holds spaces), the request names the backend by full URL, and the
line ends with the target service and the duration: ``- "geoserver" "-" 18ms``.
Header values are written as they came, quotes included: the user agent runs to the
last quote that the fixed end of the line allows.
"""

from __future__ import annotations

from datetime import tzinfo

from analyzer.formats.regex import CLF_TIME, RegexFormat, quoted

PATTERN = (
    rf"(?P<ip>\S+) \S+ (?P<secuser>.*?) \[(?P<time>{CLF_TIME})\] {quoted('request')}"
    r' (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>.*?)" "(?P<agent>.*)"'
    r' \S+ "[^"]*" "[^"]*" (?P<dur_ms>\d+(?:\.\d+)?)ms$'
)


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("secproxy", PATTERN)
