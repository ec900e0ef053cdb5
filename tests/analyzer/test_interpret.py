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
from analyzer.settings import SiteConfig

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
