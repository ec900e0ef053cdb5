"""User-agent classification.

Contract used by `interpret.to_request`:

    classify_agent(user_agent: str | None) -> tuple[str, str | None]
        # (agent_class, agent_name): ("gis", "QGIS"), ("browser", "Chrome"), ...

Classes: ``gis`` (desktop and server GIS software), ``script`` (HTTP libraries and
command-line tools), ``bot`` (crawlers and monitors), ``browser``, ``unknown``. Our own
rules come first because ua-parser knows neither GIS software nor most HTTP libraries
(it even calls ``Java/1.8`` a spider); ua-parser then names crawlers and browsers.
A log repeats a few hundred user agents millions of times, hence the cache.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ua_parser

# (name, pattern): the first pattern found anywhere in the user agent wins.
GIS_CLIENTS = (
    ("QGIS", r"\bQGIS\b"),
    ("QField", r"\bQField\b"),
    ("ArcGIS", r"\bArcGIS|\bArcMap\b|\bEsri"),
    ("GDAL", r"\bGDAL\b"),
    ("OWSLib", r"\bOWSLib\b"),
    ("MapProxy", r"\bMapProxy\b"),
    ("uDig", r"\budig\b"),
    ("FME", r"\bFME\b"),
    ("JOSM", r"\bJOSM\b"),
    ("gvSIG", r"\bgvSIG\b"),
    ("MapInfo", r"\bMapInfo\b"),
    ("Global Mapper", r"\bGlobal ?Mapper\b"),
    ("GeoMedia", r"\bGeoMedia\b"),
    ("OpenJUMP", r"\bOpenJUMP\b"),
    ("GeoServer", r"\bGeoServer\b"),
    ("GeoTools", r"\bGeoTools\b"),
    ("MapServer", r"\bMapServer\b"),
    ("Mapnik", r"\bMapnik\b"),
    ("SAGA", r"\bSAGA GIS\b"),
    ("GRASS", r"\bGRASS GIS\b"),
)
SCRIPT_CLIENTS = (
    ("curl", r"^curl/|\blibcurl\b"),
    ("Wget", r"^Wget\b"),
    ("python-requests", r"\bpython-requests\b"),
    ("Python-urllib", r"\bPython-urllib\b"),
    ("aiohttp", r"\baiohttp\b"),
    ("httpx", r"\bpython-httpx\b"),
    ("Java", r"^Java/|\bApache-HttpClient\b|\bJakarta Commons-HttpClient\b"),
    ("Go-http-client", r"^Go-http-client\b"),
    ("okhttp", r"\bokhttp\b"),
    ("node-fetch", r"\bnode-fetch\b|^undici\b|^node\b"),
    ("axios", r"^axios\b"),
    ("PowerShell", r"PowerShell\b"),
    ("libwww-perl", r"^libwww-perl\b"),
    ("Guzzle", r"^GuzzleHttp\b"),
    ("HTTPie", r"^HTTPie\b"),
    ("Postman", r"^PostmanRuntime\b"),
)
# Crawlers ua-parser does not call "Spider", by the words they use.
BOT_WORDS = re.compile(r"bot\b|crawl|spider|slurp|scrap|monitor|archiver|headless", re.I)
_FIRST_PRODUCT = re.compile(r"[^\s/;()]+")
UNKNOWN = ("unknown", None)


def _compile(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.I)) for name, pattern in rules)


_GIS = _compile(GIS_CLIENTS)
_SCRIPTS = _compile(SCRIPT_CLIENTS)


@lru_cache(maxsize=8192)
def classify_agent(user_agent: str | None) -> tuple[str, str | None]:
    """``(agent_class, agent_name)`` of a user agent string."""
    if not user_agent or user_agent == "-":
        return UNKNOWN
    for agent_class, rules in (("gis", _GIS), ("script", _SCRIPTS)):
        for name, pattern in rules:
            if pattern.search(user_agent):
                return agent_class, name
    return _classify_with_ua_parser(user_agent)


def _classify_with_ua_parser(user_agent: str) -> tuple[str, str | None]:
    result = ua_parser.parse(user_agent)
    family = result.user_agent.family if result.user_agent else None
    product = _first_product(user_agent)
    if (result.device and result.device.family == "Spider") or BOT_WORDS.search(user_agent):
        return "bot", family or product
    if family and user_agent.startswith(("Mozilla/", "Opera/")):
        return "browser", family
    return "unknown", family or product


def _first_product(user_agent: str) -> str | None:
    """``MyApp`` from ``MyApp/1.2 (+https://...)``: a name for what ua-parser ignores."""
    match = _FIRST_PRODUCT.search(user_agent)
    return match.group(0) if match else None
