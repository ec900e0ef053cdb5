"""The geOrchestra security-proxy's access log (``secproxy`` preset).

Like ``combined``, but the user field is ``name|org|ROLE_A,ROLE_B`` (``anonymousUser||``
when anonymous; the org holds spaces), the request names the backend by full URL, and the
line ends with the target service and the duration: ``- "geoserver" "-" 18ms``.
"""

from __future__ import annotations

from datetime import tzinfo

from analyzer.formats.regex import CLF_TIME, RegexFormat, quoted

PATTERN = (
    rf"(?P<ip>\S+) \S+ (?P<secuser>.*?) \[(?P<time>{CLF_TIME})\] {quoted('request')}"
    rf" (?P<status>\d{{3}}) (?P<bytes>\d+|-) {quoted('referer')} {quoted('agent')}"
    r"(?: .*)? (?P<dur_ms>\d+(?:\.\d+)?)ms$"
)


def preset(zone: tzinfo) -> RegexFormat:
    return RegexFormat("secproxy", PATTERN)
