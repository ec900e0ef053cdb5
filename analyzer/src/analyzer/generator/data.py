"""The generator's tables: who visits a geOrchestra platform, what they ask, how it answers.

Everything the generator draws from lives here, so making the traffic more realistic means
editing tables, not code. Weights are relative; they need not sum to anything.
"""

from __future__ import annotations

from random import Random
from typing import NamedTuple

# --- Output formats --------------------------------------------------------------------

# Generator format name -> the analyzer preset that reads it (written to config.yaml).
# The "-combined" variants are the plain combined format without a timing field.
FORMATS: dict[str, str] = {
    "secproxy": "secproxy",
    "nginx": "nginx",
    "nginx-combined": "nginx",
    "apache": "apache",
    "apache-combined": "apache",
    "haproxy": "haproxy",
    "traefik": "traefik",
    "gateway-json": "gateway-json",
}

DEFAULT_TIMEZONE = "Europe/Paris"
SITE_HOST = "{site}.example.org"

# --- People ------------------------------------------------------------------------------


class Org(NamedTuple):
    id: str  # short name, what the gateway logs
    name: str  # full name, what the security-proxy logs


ORGS: dict[str, Org] = {
    org.id: org
    for org in (
        Org("psc", "Project Steering Committee"),
        Org("rennes-metropole", "Rennes Métropole"),
        Org("brest", "Ville de Brest"),
        Org("region-bretagne", "Région Bretagne"),
        Org("ddtm29", "DDTM du Finistère"),
        Org("geo-conseil", "Géo Conseil, Études & Cartographie"),
        Org("quimper", "Ville de Quimper"),
        Org("lorient-agglo", "Lorient Agglomération"),
        Org("vannes", "Ville de Vannes"),
        Org("saint-brieuc", "Saint-Brieuc Armor Agglomération"),
        Org("morlaix", "Morlaix Communauté"),
        Org("lannion", "Lannion-Trégor Communauté"),
        Org("concarneau", "Concarneau Cornouaille Agglomération"),
        Org("cd29", "Département du Finistère"),
        Org("cd56", "Département du Morbihan"),
        Org("cd22", "Département des Côtes-d'Armor"),
        Org("dreal", "DREAL Bretagne"),
        Org("ddtm56", "DDTM du Morbihan"),
        Org("ofb", "Office français de la biodiversité"),
        Org("agrocampus", "Institut Agro Rennes-Angers"),
        Org("univ-rennes", "Université de Rennes"),
        Org("ubo", "Université de Bretagne Occidentale"),
        Org("sdis29", "SDIS du Finistère"),
        Org("eau-du-ponant", "Eau du Ponant"),
        Org("audiar", "AUDIAR, agence d'urbanisme de Rennes"),
        Org("adeupa", "ADEUPa Brest-Bretagne"),
        Org("bretagne-vivante", "Bretagne Vivante"),
        Org("terra-geo", "Terra Géo, bureau d'études"),
        Org("cartoplus", "CartoPlus SARL"),
        Org("megalis", "Mégalis Bretagne"),
    )
}


class User(NamedTuple):
    name: str
    org: str  # key of ORGS
    roles: tuple[str, ...]


NAMED_USERS: tuple[User, ...] = (
    User("m.lagadec", "rennes-metropole", ("ROLE_USER", "ROLE_GN_EDITOR")),
    User("jérôme.dupont", "brest", ("ROLE_USER",)),
    User("testadmin", "psc", ("ROLE_SUPERUSER", "ROLE_ADMINISTRATOR", "ROLE_USER")),
    User("françoise.le-hénaff", "region-bretagne", ("ROLE_USER", "ROLE_GN_REVIEWER")),
    User("a.le-goff", "ddtm29", ("ROLE_USER", "ROLE_CADASTRAPP", "ROLE_EXTRACTORAPP")),
    User("s.martin", "rennes-metropole", ("ROLE_USER", "ROLE_MAPSTORE_ADMIN")),
    User("gaëlle.kerjean", "brest", ("ROLE_USER", "ROLE_CADASTRAPP")),
    User("l.bernard", "geo-conseil", ("ROLE_USER", "ROLE_IMPORT")),
    User("y.tanguy", "region-bretagne", ("ROLE_USER", "ROLE_GN_ADMIN", "ROLE_IMPORT")),
    User("noël.guéguen", "ddtm29", ("ROLE_USER",)),
    User("integration.sig", "geo-conseil", ("ROLE_USER", "ROLE_EXTRACTORAPP")),
)

_FIRST_NAMES = (
    "anne", "yann", "gwenaëlle", "erwan", "maëlle", "loïc", "sophie", "thomas", "élodie",
    "nicolas", "katell", "ronan", "claire", "pierre", "soizic", "mathieu", "hélène",
    "julien", "morgane", "florian", "nolwenn", "tangi", "aurélie", "gaël", "léna",
)  # fmt: skip
_LAST_NAMES = (
    "le-gall", "kerbrat", "le-roux", "morvan", "le-bihan", "guillou", "quéré", "riou",
    "le-floch", "cariou", "le-meur", "jaouen", "hamon", "prigent", "le-bras", "nédélec",
    "le-corre", "berthou", "cozic", "pennec", "salaün", "le-dantec", "gourmelon", "abgrall",
)  # fmt: skip
_EXTRA_ROLES = (
    "ROLE_GN_EDITOR", "ROLE_GN_REVIEWER", "ROLE_CADASTRAPP", "ROLE_EXTRACTORAPP",
    "ROLE_MAPSTORE_ADMIN", "ROLE_IMPORT",
)  # fmt: skip
GENERATED_USERS = 300


def _population() -> tuple[User, ...]:
    """Hundreds of users in a few dozen organisations, a few big ones and many small ones
    (Zipf weights), always the same: the seed is fixed."""
    rng = Random("georchestra-analytics:users")
    orgs = [org for org in ORGS if org != "psc"]
    weights = [1 / rank for rank in range(1, len(orgs) + 1)]
    names = [f"{first}.{last}" for first in _FIRST_NAMES for last in _LAST_NAMES]
    taken = {user.name for user in NAMED_USERS}
    users: list[User] = []
    for name in rng.sample(names, GENERATED_USERS + len(taken)):
        if name in taken or len(users) == GENERATED_USERS:
            continue
        extra = (rng.choice(_EXTRA_ROLES),) if rng.random() < 0.15 else ()
        users.append(User(name, rng.choices(orgs, weights)[0], ("ROLE_USER", *extra)))
    return tuple(users)


USERS: tuple[User, ...] = NAMED_USERS + _population()

# --- Clients -----------------------------------------------------------------------------


class Agent(NamedTuple):
    kind: str  # browser, gis, script, bot, unknown, probe (what the analyzer should classify)
    user_agent: str | None  # None: the header was absent, logged as "-"
    weight: float


AGENTS: tuple[Agent, ...] = (
    Agent(
        "browser",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36",
        30,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/129.0.0.0 Safari/537.36",
        8,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.6 Safari/605.1.15",
        7,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        4,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
        6,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        6,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
        9,
    ),
    Agent(
        "browser",
        "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.6723.102 Mobile Safari/537.36",
        3,
    ),
    Agent("gis", "Mozilla/5.0 QGIS/33414/Windows 10 Version 2009", 6),
    Agent("gis", "Mozilla/5.0 QGIS/32816/Ubuntu 22.04.4 LTS", 2),
    Agent("gis", "ArcGIS Pro 3.3.1 (00000000000) - ArcGISPro", 2),
    Agent("gis", "ArcGIS Client Using WinInet", 1),
    Agent("gis", "GDAL/3.6.2", 1.5),
    Agent("gis", "OWSLib 0.31.0 (https://github.com/geopython/OWSLib)", 1),
    Agent("gis", "MapProxy-1.16.0", 1),
    Agent("gis", "FME/2023.7.49.23664 libcurl/8.0.1 Schannel zlib/1.2.13", 0.5),
    Agent("script", "curl/7.88.1", 2),
    Agent("script", "Wget/1.21.3", 0.7),
    Agent("script", "python-requests/2.32.3", 2),
    Agent("script", "Java/17.0.12", 1),
    Agent("script", "Go-http-client/1.1", 0.5),
    Agent("bot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 6),
    Agent("bot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 4),
    Agent(
        "bot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
        3,
    ),
    Agent("bot", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1),
    Agent("unknown", None, 2),
    Agent("unknown", "Mozilla/5.0", 1),
    Agent("browser", "Opera/9.80 (J2ME/MIDP; Opera Mini/4.2.14912/870; U; id) Presto/2.4.15", 0.2),
)

# Share of clients of each kind that are logged in (the rest is anonymous).
LOGGED_IN_SHARE: dict[str, float] = {"browser": 0.22, "gis": 0.25, "script": 0.1}
CLIENTS_PER_SITE = 400
# How many requests each client makes is Pareto-distributed (a few clients make most of
# them), capped so that no single client, logged in or not, dominates a whole site.
ACTIVITY_ALPHA = 1.1
ACTIVITY_CAP = 40.0
# Mean number of consecutive requests of one visit, by kind of client: a browser loads a
# page and a map's tiles, QGIS a layer's tiles, a script loops over a few URLs.
VISIT_REQUESTS: dict[str, float] = {"browser": 8, "gis": 12, "script": 5, "bot": 6, "unknown": 2}
IPV6_SHARE = 0.15
# Public address blocks clients come from (documentation blocks stay unrealistic), with
# where the demo's GeoIP database (generator.geoip) places them: mostly the platform's
# region, some of the country, a few neighbours.
IPV4_NETWORKS: tuple[tuple[str, str, str], ...] = (
    ("90.12", "FR", "Brittany"),
    ("86.245", "FR", "Brittany"),
    ("176.143", "FR", "Pays de la Loire"),
    ("82.64", "FR", "Normandy"),
    ("193.52", "FR", "Île-de-France"),
    ("5.172", "FR", "Brittany"),
    ("78.120", "FR", "Occitanie"),
    ("81.240", "BE", "Wallonia"),
    ("24.200", "CA", "Quebec"),
    ("91.64", "DE", "Berlin"),
)
# How often clients come from each of them (a prefix listed twice, twice as often).
_NETWORK_WEIGHTS = (5, 5, 2, 2, 2, 5, 1, 1, 1, 1)
IPV4_PREFIXES: tuple[str, ...] = tuple(
    prefix
    for (prefix, _, _), weight in zip(IPV4_NETWORKS, _NETWORK_WEIGHTS, strict=True)
    for _ in range(weight)
)
IPV6_NETWORKS: tuple[tuple[str, str, str], ...] = (
    ("2a01:cb00", "FR", "Brittany"),
    ("2a01:e0a", "FR", "Île-de-France"),
    ("2001:660", "FR", "Brittany"),
    ("2a02:8428", "FR", "Pays de la Loire"),
)
IPV6_PREFIXES: tuple[str, ...] = tuple(prefix for prefix, _, _ in IPV6_NETWORKS)

# --- Geodata -----------------------------------------------------------------------------


class Layer(NamedTuple):
    workspace: str
    name: str
    raster: bool  # rasters get GetCoverage, vectors GetFeature
    weight: float
    slowness: float = 1.0  # how much longer than the profile's median it takes to draw


LAYERS: tuple[Layer, ...] = (
    Layer("ign", "ortho_2022", True, 30),
    Layer("cadastre", "parcelle", False, 25, 2.5),
    Layer("cadastre", "batiment", False, 10, 3.0),
    Layer("urbanisme", "plu_zonage", False, 14, 1.8),
    Layer("admin", "communes", False, 12),
    Layer("transport", "arrets_bus", False, 6),
    Layer("eau", "cours_eau", False, 5),
    Layer("environnement", "znieff_type1", False, 4),
    Layer("risques", "ppri_zones", False, 4, 4.0),
    Layer("energie", "bornes_recharge", False, 3),
    Layer("tourisme", "sentiers_randonnee", False, 2),
    Layer("agriculture", "rpg_2023", False, 2, 6.0),
    Layer("ign", "mnt_5m", True, 2, 8.0),
    Layer("ign", "scan25", True, 5, 0.5),
)

# Map extents per CRS: (xmin, ymin, xmax, ymax) of the area the clients look at.
EXTENTS: dict[str, tuple[float, float, float, float]] = {
    "EPSG:3857": (-560000.0, 5970000.0, -130000.0, 6220000.0),
    "EPSG:2154": (100000.0, 6700000.0, 400000.0, 6880000.0),
    "EPSG:4326": (-5.2, 47.2, -1.0, 48.9),
}
# Where most maps are centered: the region's towns, (name, lon, lat, Lambert-93 x, y,
# weight); the other maps anywhere in EXTENTS. The Territory map shows them as hot spots.
TOWNS: tuple[tuple[str, float, float, float, float, int], ...] = (
    ("Rennes", -1.678, 48.112, 351_900.0, 6_789_300.0, 8),
    ("Brest", -4.486, 48.390, 146_200.0, 6_838_400.0, 4),
    ("Quimper", -4.102, 47.996, 171_300.0, 6_790_300.0, 2),
    ("Vannes", -2.760, 47.658, 268_100.0, 6_744_900.0, 2),
    ("Lorient", -3.370, 47.748, 222_000.0, 6_757_700.0, 2),
    ("Saint-Brieuc", -2.765, 48.514, 273_900.0, 6_839_700.0, 1),
)
TOWN_SHARE = 0.7  # of the maps centered on a town
# How each kind of client writes the CRS parameter (all mean the same thing).
CRS_SPELLINGS: dict[str, str] = {
    "EPSG:3857": "EPSG%3A3857",
    "EPSG:2154": "EPSG:2154",
    "EPSG:4326": "urn:ogc:def:crs:EPSG::4326",
}
WFS_OUTPUT_FORMATS: tuple[tuple[str, float], ...] = (
    ("application%2Fjson", 5),
    ("csv", 3),
    ("SHAPE-ZIP", 2),
    ("application/gml%2Bxml;%20version=3.2", 1),
)
INFO_FORMATS: tuple[str, ...] = ("application%2Fjson", "text%2Fhtml", "text/plain")

METADATA_UUIDS: tuple[str, ...] = (
    "6513270e-269e-4d37-b2a7-4de452e6b438",
    "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
    "9531985d-5d9d-49f8-9818-e811892f902b",
    "36f675cc-81e7-4ef5-a8e2-5d940ed90475",
    "6b0d549b-6f03-475a-9600-a35a099950d8",
    "8d116ece-1738-47d9-bd9c-172411e20b8f",
    "90c192cf-d3ac-44af-8f21-ddb66cad4a26",
    "a170b338-3926-4059-b28c-105d1fb17c23",
    "0fd630f1-f29d-4da9-953f-48f1a09f76b5",
    "0cb1e29c-658c-4a14-95e6-0af593bd04cf",
    "8e81973e-0bec-47b0-b898-d190f9ebdacc",
    "6b4cb242-4a23-4596-a217-beaddbc496cb",
)
ATTACHMENTS: tuple[str, ...] = ("donnees.zip", "notice_technique.pdf", "export%202023.csv")
SEARCH_TERMS: tuple[str, ...] = ("cadastre", "plu", "eau+potable", "%C3%A9cole", "v%C3%A9lo")
MAPSTORE_CONTEXTS: tuple[str, ...] = ("urbanisme", "mobilite", "patrimoine")
MVIEWER_APPS: tuple[str, ...] = ("eau", "biodiversite", "velo")
COMMUNES: tuple[str, ...] = ("350238", "290019", "350115", "291260")

# --- Pages, referers, assets -------------------------------------------------------------

STATIC_ASSETS: tuple[str, ...] = (
    "/favicon.ico",
    "/header/?active=datahub&lang=fr",
    "/header/img/logo.png",
    "/datahub/main.7f3e2a1b9c.js",
    "/datahub/styles.41d0c2e8.css",
    "/datahub/assets/img/placeholder.svg",
    "/mapstore/dist/mapstore2.js?0f3c9a2b",
    "/mapstore/configs/localConfig.json",
    "/geonetwork/static/lib.js?v=9a8b7c6d",
    "/geonetwork/catalog/views/default/less/gn_view_default.css",
    "/mviewer/js/mviewer.js",
)
# Pages a browser comes from on the platform itself ({host} is the site's host).
SITE_REFERERS: tuple[str, ...] = (
    "https://{host}/datahub/",
    "https://{host}/datahub/dataset/6513270e-269e-4d37-b2a7-4de452e6b438",
    "https://{host}/mapstore/",
    "https://{host}/mapstore/#/context/urbanisme",
    "https://{host}/geonetwork/srv/fre/catalog.search",
    "https://{host}/mviewer/?config=apps/public/eau.xml",
    "https://{host}/cadastrapp/",
)
# Shares of browser requests with a referer from the site itself and from elsewhere.
SITE_REFERER_SHARE = 0.75
EXTERNAL_REFERER_SHARE = 0.07
# Referers from elsewhere, including the odd ones (commas, quotes, non-ASCII).
EXTERNAL_REFERERS: tuple[str, ...] = (
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.qwant.com/?q=plu+rennes,+zonage&t=web",
    'https://intranet.example.net/liens?titre="Carte des écoles"',
    "https://example.net/carte.html?bbox=-4.5,48.3,-4.4,48.4&zoom=12",
)

# --- Responses -----------------------------------------------------------------------------


class Profile(NamedTuple):
    """How a kind of request is answered: latency and size are log-normal."""

    median_ms: float
    sigma: float  # of the log of the latency: heavier tail for bigger values
    median_bytes: int
    statuses: tuple[tuple[int, float], ...]


_DYNAMIC = ((200, 955), (404, 15), (400, 8), (500, 6), (503, 2), (403, 4))
_STATIC = ((200, 690), (304, 290), (404, 20))
_TILE = ((200, 860), (304, 100), (404, 35), (500, 5))
_LOGIN = ((302, 820), (200, 140), (401, 40))
# A monitoring check asks the same working URL again and again: it fails rarely, and then
# because the platform does.
_CHECK = ((200, 996), (503, 2), (502, 1), (500, 1))

PROFILES: dict[str, Profile] = {
    "getmap": Profile(220, 0.9, 48_000, _DYNAMIC),
    "getfeature": Profile(450, 1.1, 350_000, _DYNAMIC),
    "getcoverage": Profile(900, 1.0, 2_500_000, _DYNAMIC),
    "capabilities": Profile(120, 0.6, 95_000, _DYNAMIC),
    "featureinfo": Profile(90, 0.6, 1_800, _DYNAMIC),
    "legend": Profile(25, 0.5, 900, _TILE),
    "tile": Profile(12, 0.8, 18_000, _TILE),
    "api": Profile(60, 0.7, 6_000, _DYNAMIC),
    "page": Profile(40, 0.6, 24_000, _DYNAMIC),
    "search": Profile(140, 0.7, 38_000, _DYNAMIC),
    "export": Profile(700, 0.8, 160_000, _DYNAMIC),
    "static": Profile(3, 0.7, 45_000, _STATIC),
    "login": Profile(80, 0.5, 3_500, _LOGIN),
    "check_capabilities": Profile(110, 0.4, 95_000, _CHECK),
    "check_map": Profile(180, 0.5, 42_000, _CHECK),
    "health": Profile(2, 0.5, 50, _CHECK),
}

# --- What each kind of client asks for -----------------------------------------------------

# Request builder name (see requests.py) -> weight, per kind of client.
REQUEST_MIX: dict[str, dict[str, float]] = {
    "browser": {
        "wms_getmap": 22,
        "wmts_tile": 18,
        "tms_tile": 4,
        "wms_getfeatureinfo": 3,
        "wms_getlegendgraphic": 4,
        "wfs_getfeature": 2,
        "ogcapi_items": 1,
        "gn_record": 3,
        "gn_export": 1,
        "gn_attachment": 1,
        "gn_search": 5,
        "gn_page": 1.5,
        "datahub_page": 3,
        "mapstore_page": 2,
        "mapstore_api": 4,
        "console_account": 1,
        "login": 1.2,
        "cas": 0.8,
        "cadastrapp": 2,
        "mviewer": 1.5,
        "extractorapp": 0.4,
        "import": 0.4,
        "static": 12,
    },
    "gis": {
        "wms_getmap": 40,
        "wms_getcapabilities": 6,
        "wms_getfeatureinfo": 3,
        "wmts_tile": 25,
        "tms_tile": 3,
        "wfs_getcapabilities": 3,
        "wfs_getfeature": 12,
        "wfs_post": 3,
        "wcs_getcoverage": 2,
        "ogcapi_items": 2,
    },
    "script": {
        "wfs_getfeature": 25,
        "ogcapi_items": 10,
        "wms_getcapabilities": 10,
        "wms_getmap": 10,
        "wcs_getcoverage": 4,
        "csw": 8,
        "gn_search": 8,
        "gn_export": 6,
        "gn_attachment": 4,
        "static": 2,
    },
    "bot": {
        "gn_record": 30,
        "gn_page": 8,
        "datahub_dataset": 25,
        "datahub_page": 6,
        "robots": 6,
        "sitemap": 4,
        "wms_getcapabilities": 3,
        "static": 8,
        "mviewer": 2,
    },
    "unknown": {"static": 5, "wms_getcapabilities": 3, "gn_page": 2, "scan": 4},
}

# --- Monitoring probes ---------------------------------------------------------------------


class Probe(NamedTuple):
    """A monitoring check every site gets, day and night, at a fixed interval."""

    address: str  # one address, as monitors check from
    user_agent: str
    target: str  # always the same
    app: str  # key of UPSTREAMS
    profile: str  # key of PROFILES
    interval_s: float  # between two checks, on a site of PROBE_VOLUME requests a weekday


# The address of the platform's own supervision host. Its checks are made with an HTTP
# library that names no monitor: the generated config.yaml names this address in each
# site's `probes` (a site rule), the other probes are known by their user agent.
SUPERVISION_ADDRESS = "172.16.8.20"
PROBES: tuple[Probe, ...] = (
    Probe(
        "216.144.250.150",
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "/geoserver/ows?SERVICE=WMS&REQUEST=GetCapabilities",
        "geoserver",
        "check_capabilities",
        300,
    ),
    Probe("10.42.0.1", "kube-probe/1.29", "/actuator/health/liveness", "other", "health", 60),
    Probe(
        SUPERVISION_ADDRESS,
        "python-requests/2.31.0",
        "/geoserver/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=admin%3Acommunes"
        "&STYLES=&CRS=EPSG%3A3857&BBOX=-200000,6050000,-150000,6100000&WIDTH=256&HEIGHT=256"
        "&FORMAT=image%2Fpng",
        "geoserver",
        "check_map",
        600,
    ),
)
# The intervals above are those of a platform of this many requests a weekday (a check a
# minute is 1,440 lines a day). A smaller generated site is checked as many times less
# often, so that checks keep their share of its lines, about 3 %: the demo's 6,000
# requests a day get a check every 10 minutes from kube-probe.
PROBE_VOLUME = 60_000

# Relative traffic per local hour (0-23): low at night, high during office hours.
HOURLY_PROFILE: tuple[float, ...] = (
    *(1.2, 0.8, 0.7, 0.6, 0.6, 0.8, 1.5, 3.5),  # 00-07
    *(7.0, 9.0, 9.5, 9.0, 5.5, 7.0, 9.0, 9.0),  # 08-15
    *(8.0, 6.5, 4.0, 3.0, 2.5, 2.2, 1.8, 1.5),  # 16-23
)
WEEKEND_FACTOR = 0.35  # Saturday and Sunday traffic relative to a weekday

# Upstream of each application: (docker service name, port), as proxies name them.
UPSTREAMS: dict[str, tuple[str, int]] = {
    "geoserver": ("geoserver", 8080),
    "geonetwork": ("geonetwork", 8080),
    "datahub": ("datahub", 80),
    "mapstore": ("mapstore", 8080),
    "console": ("console", 8080),
    "cadastrapp": ("cadastrapp", 8080),
    "mviewer": ("mviewer", 80),
    "extractorapp": ("extractorapp", 8080),
    "import": ("datafeeder", 8080),
    "header": ("header", 8080),
    "login": ("cas", 8080),
    "other": ("proxy", 8080),
}
# Applications the security-proxy logs with the backend's full URL instead of the path.
SECPROXY_FULL_URL_APPS: frozenset[str] = frozenset({"geonetwork", "mapstore", "console"})

# Lines that are not log lines, mixed in with --junk-rate (plus truncated real lines).
JUNK_LINES: tuple[bytes, ...] = (
    b"",
    b"-- MARK --",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xa7\x9e\xff\x00",
    b"nginx: [warn] could not build optimal proxy_headers_hash",
)
