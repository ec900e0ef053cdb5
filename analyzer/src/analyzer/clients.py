"""User-agent classification, and the rules that tell monitoring probes.

Contract used by `interpret.to_request`:

    classify_agent(user_agent: str | None) -> tuple[str, str | None]
        # (agent_class, agent_name): ("gis", "QGIS"), ("browser", "Chrome"), ...
    ProbeRules(user_agents, addresses, paths).matches(user_agent, client_ip, path) -> bool

Classes: ``probe`` (monitoring probes: uptime services, supervision tools, load balancers'
health checks), ``gis`` (desktop and server GIS software), ``script`` (HTTP libraries and
command-line tools), ``bot`` (crawlers), ``browser``, ``unknown``. Probes come first: a
check made with curl or Java is still a check. Our own rules come next because ua-parser
knows neither GIS software nor most HTTP libraries (it even calls ``Java/1.8`` a spider);
ua-parser then names crawlers and browsers. A log repeats a few hundred user agents
millions of times, hence the cache.

A site names its own probes (`settings.Probes`): user agents, the addresses of its
supervision hosts, health-check paths. `ProbeRules` holds them compiled.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import ua_parser

PROBE = "probe"
# (name, pattern): the first pattern found anywhere in the user agent wins.
PROBE_CLIENTS = (
    ("Pingdom", r"\bpingdom"),  # Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)
    ("UptimeRobot", r"UptimeRobot"),
    ("StatusCake", r"StatusCake"),
    ("Site24x7", r"\bSite24x7"),
    ("Better Stack", r"\bBetter (?:Uptime|Stack)\b"),
    ("Uptime Kuma", r"\bUptime[- ]Kuma\b"),
    ("Uptime.com", r"\bUptimebot/"),
    ("Datadog", r"\bDatadog(?:[ /]?Synthetics| Agent/)"),
    ("New Relic", r"\bNewRelic(?:Pinger|Synthetics)|\bNew Relic Synthetics"),
    ("Google Cloud Monitoring", r"GoogleStackdriverMonitoring"),
    ("Checkly", r"\bCheckly\b"),
    ("Freshping", r"\bFreshping"),
    ("HetrixTools", r"\bHetrixTools\b"),
    ("NodePing", r"\bNodePing\b"),
    ("updown.io", r"\bupdown\.io\b"),
    ("Oh Dear", r"\bOhDear/"),
    ("Dynatrace", r"\bRuxitSynthetic\b"),
    ("Zabbix", r"\bZabbix\b"),
    # The Nagios plugins' check_http and check_curl, which Icinga, Centreon, Shinken and
    # Naemon run too: "check_http/v2.3.3 (nagios-plugins 2.3.3)".
    ("Nagios", r"^check_(?:http|curl)/|\bNagios\b"),
    ("Icinga", r"\bIcinga"),
    ("Centreon", r"\bCentreon"),
    ("Shinken", r"\bShinken\b"),
    ("Sensu", r"\bSensu\b"),
    ("Checkmk", r"^checkmk-"),
    ("Munin", r"\bmunin\b"),
    ("Monit", r"^Monit/"),
    ("Blackbox Exporter", r"\bBlackbox Exporter\b"),
    ("Prometheus", r"^Prometheus/"),
    ("kube-probe", r"^kube-probe/"),
    ("ELB-HealthChecker", r"^ELB-HealthChecker/"),
    ("GoogleHC", r"^GoogleHC/"),
    ("Consul", r"^Consul Health Check\b"),
)
# Other monitors, by the words they use (named after the product that says it).
PROBE_WORDS = re.compile(r"monitor|uptime|health-?check", re.I)
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
BOT_WORDS = re.compile(r"bot\b|crawl|spider|slurp|scrap|archiver|headless", re.I)
_FIRST_PRODUCT = re.compile(r"[^\s/;()]+")
UNKNOWN = ("unknown", None)


def _compile(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.I)) for name, pattern in rules)


_PROBES = _compile(PROBE_CLIENTS)
_GIS = _compile(GIS_CLIENTS)
_SCRIPTS = _compile(SCRIPT_CLIENTS)


@lru_cache(maxsize=8192)
def classify_agent(user_agent: str | None) -> tuple[str, str | None]:
    """``(agent_class, agent_name)`` of a user agent string."""
    if not user_agent or user_agent == "-":
        return UNKNOWN
    for name, pattern in _PROBES:
        if pattern.search(user_agent):
            return PROBE, name
    if PROBE_WORDS.search(user_agent):
        return PROBE, _probe_name(user_agent)
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


def _probe_name(user_agent: str) -> str | None:
    """``SiteMonitor`` from ``Mozilla/5.0 (compatible; SiteMonitor/2.1)``: the product that
    says it monitors, else the first one."""
    for product in _FIRST_PRODUCT.findall(user_agent):
        if PROBE_WORDS.search(product):
            return product
    return _first_product(user_agent)


def _first_product(user_agent: str) -> str | None:
    """``MyApp`` from ``MyApp/1.2 (+https://...)``: a name for what ua-parser ignores."""
    match = _FIRST_PRODUCT.search(user_agent)
    return match.group(0) if match else None


class ProbeRules:
    """A site's own probe rules (`settings.Probes`), compiled: user agents (regular
    expressions searched without regard to case), addresses as logged (IPv4 or IPv6
    addresses and networks; an IPv4-mapped IPv6 address is also its IPv4 one) and path
    prefixes (whole segments: ``/health`` is ``/health`` and ``/health/live``, not
    ``/healthz``). `config` has validated them."""

    def __init__(
        self,
        user_agents: tuple[str, ...] = (),
        addresses: tuple[str, ...] = (),
        paths: tuple[str, ...] = (),
    ) -> None:
        self.agents = tuple(re.compile(pattern, re.I) for pattern in user_agents)
        self.networks = tuple(ipaddress.ip_network(address) for address in addresses)
        self.exact_paths = frozenset(path.rstrip("/") or "/" for path in paths)
        self.path_prefixes = tuple(path.rstrip("/") + "/" for path in paths)
        self.any = bool(user_agents or addresses or paths)
        self._addresses: dict[str, bool] = {}  # by address as logged

    def matches(self, user_agent: str | None, address: str | None, path: str) -> bool:
        """Whether a request is a probe by one of the site's rules."""
        return self.any and (self.agent(user_agent) or self.address(address) or self.path(path))

    def agent(self, user_agent: str | None) -> bool:
        if user_agent:
            for pattern in self.agents:
                if pattern.search(user_agent):
                    return True
        return False

    def address(self, address: str | None) -> bool:
        if not self.networks or not address:
            return False
        known = self._addresses.get(address)
        if known is None:
            if len(self._addresses) >= CACHED_ADDRESSES:
                self._addresses.clear()
            known = self._addresses[address] = _in_networks(address, self.networks)
        return known

    def path(self, path: str) -> bool:
        return path in self.exact_paths or path.startswith(self.path_prefixes)

    def paths_below(self, prefix: str) -> bool:
        """Whether a path rule is deeper than `prefix`: then the paths below it may be
        probes or not (a rule at `prefix` or above takes them all alike)."""
        below = prefix + "/"
        return any(len(rule) > len(below) and rule.startswith(below) for rule in self.path_prefixes)


CACHED_ADDRESSES = 4096


def _in_networks(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False  # a host name, a socket path
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return any(ip in network or (mapped is not None and mapped in network) for network in networks)
