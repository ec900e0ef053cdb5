"""RawRequest -> Request: target splitting, routing, agent classes and privacy together.

Lines are read with the real security-proxy format, as `analyzer parse` does.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.formats import build_format
from analyzer.interpret import SiteContext, split_target, to_request
from analyzer.record import Request
from analyzer.settings import Probes, SiteConfig

FIXTURE = Path(__file__).parent / "fixtures" / "apps" / "secproxy.log"
KEY = b"test-key"


def requests(site: SiteConfig, key: bytes | None = None) -> list[Request]:
    ctx = SiteContext.for_site(site, key)
    fmt = build_format("secproxy", UTC)
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [to_request(fmt.parse(line), number, ctx) for number, line in enumerate(lines, 1)]


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        ("/geoserver/wms?service=WMS", "/geoserver/wms", "service=WMS"),
        ("/geoserver/wms", "/geoserver/wms", None),
        ("/geoserver/wms?", "/geoserver/wms", None),
        ("/a%20b/c%3Ad?x=%3A", "/a%20b/c%3Ad", "x=%3A"),
        ("http://geonetwork:8080/geonetwork/srv/eng/q", "/geonetwork/srv/eng/q", None),
        ("https://geo.example.org/geoserver/ows?x=1", "/geoserver/ows", "x=1"),
        ("http://geo.example.org", "/", None),
        ("http://geo.example.org?x=1", "/", "x=1"),
        ("*", "*", None),
    ],
)  # fmt: skip
def test_split_target_keeps_path_as_sent_without_scheme_host_or_query(target, path, query):
    assert split_target(target) == (path, query)


def test_security_proxy_lines_become_requests_of_the_contract():
    getmap, page, tile, export = requests(SiteConfig("rennes"))
    assert (getmap.line_no, getmap.site, getmap.app) == (1, "rennes", "geoserver")
    assert (getmap.user, getmap.org, getmap.roles) == (
        "testadmin",
        "Project Steering Committee",
        ["ROLE_SUPERUSER", "ROLE_USER"],
    )
    assert getmap.ogc.layers == ["nurc:Arc_Sample"]
    assert (getmap.agent_class, getmap.agent_name) == ("browser", "Firefox")
    assert (page.path, page.query, page.app) == (
        "/geonetwork/srv/eng/catalog.search",
        None,
        "geonetwork",
    )
    assert page.catalog.action == "page"
    assert (tile.app, tile.ogc.service, tile.agent_class) == ("geowebcache", "TMS", "gis")
    assert tile.path.endswith("/cadastre%3Aparcelles@EPSG%3A900913@png/12/2048/1365.png")
    assert (export.user, export.catalog.action, export.agent_class) == (
        None,
        "metadata_export",
        "script",
    )


def test_default_privacy_anonymizes_addresses_and_keeps_users():
    getmap, _, tile, _ = requests(SiteConfig("rennes"))
    assert getmap.client_ip == "192.168.1.0"
    assert tile.client_ip == "2a01:cb19:8a4::"
    assert tile.user == "m.lagadec"
    assert tile.org == "Rennes Métropole"  # organisations are kept


def test_site_privacy_modes_apply_to_every_request():
    site = SiteConfig("rennes", ip_mode="drop", user_mode="pseudonymize")
    result = requests(site, KEY)
    assert {request.client_ip for request in result} == {None}
    assert result[2].user.startswith("u_")
    assert result[3].user is None  # anonymous stays anonymous


def test_request_serialises_to_json_with_nested_ogc_and_catalog():
    data = json.loads(json.dumps(requests(SiteConfig("rennes"))[0].to_dict()))
    assert data["ts"] == "2023-10-18T17:36:06+00:00"
    assert data["ogc"]["request"] == "GetMap"
    assert data["catalog"] is None
    assert data["bytes"] is None
    assert data["duration_ms"] == 18


def test_site_app_routes_are_used():
    site = SiteConfig("rennes", app_routes={"/geonetwork": "other"})
    assert requests(site)[1].app == "other"


def test_invalid_site_settings_name_the_site():
    with pytest.raises(ConfigError, match=r"site 'rennes': app_routes: '/x' -> 'nope'"):
        SiteContext.for_site(SiteConfig("rennes", app_routes={"/x": "nope"}))
    with pytest.raises(ConfigError, match=r"site 'rennes': user_mode pseudonymize needs a key"):
        SiteContext.for_site(SiteConfig("rennes", user_mode="pseudonymize"))


def test_a_built_in_probe_user_agent_makes_a_probe():
    fmt = build_format("nginx", UTC)
    line = (
        '203.0.113.9 - - [18/Oct/2023:17:36:06 +0000] "GET /geoserver/ows?SERVICE=WMS&REQUEST='
        'GetCapabilities HTTP/1.1" 200 95000 "-" "Mozilla/5.0+(compatible; UptimeRobot/2.0; '
        'http://www.uptimerobot.com/)" 0.120'
    )
    request = to_request(fmt.parse(line), 1, SiteContext.for_site(SiteConfig("rennes")))
    assert (request.agent_class, request.agent_name) == ("probe", "UptimeRobot")
    assert request.ogc is not None and request.ogc.request == "GetCapabilities"


@pytest.mark.parametrize(
    ("probes", "expected"),
    [
        # The getmap's address, matched as logged although the site anonymizes it.
        (Probes(addresses=("192.168.1.70",)), [("probe", "Firefox"), None, None, None]),
        (Probes(addresses=("2a01:cb19::/32",)), [None, None, ("probe", "QGIS"), None]),
        (Probes(user_agents=("requests/",)), [None, None, None, ("probe", "python-requests")]),
        (Probes(paths=("/geonetwork/srv/eng",)), [None, ("probe", "Firefox"), None, None]),
        (Probes(paths=("/geonetwork/srv/en",)), [None, None, None, None]),
    ],
)
def test_a_site_rule_makes_a_probe_named_as_its_client_is(probes, expected):
    plain = requests(SiteConfig("rennes"))
    got = requests(SiteConfig("rennes", probes=probes))
    for before, after, want in zip(plain, got, expected, strict=True):
        assert (after.agent_class, after.agent_name) == (
            want or (before.agent_class, before.agent_name)
        )
        assert after.client_ip == before.client_ip  # anonymized all the same


def test_a_probe_by_a_site_rule_without_a_client_name_is_named_probe():
    fmt = build_format("nginx", UTC)
    line = '192.0.2.4 - - [18/Oct/2023:17:36:06 +0000] "GET /health HTTP/1.1" 200 2 "-" "-" 0.001'
    ctx = SiteContext.for_site(SiteConfig("rennes", probes=Probes(paths=("/health",))))
    request = to_request(fmt.parse(line), 1, ctx)
    assert (request.agent_class, request.agent_name) == ("probe", "probe")
