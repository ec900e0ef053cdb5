"""User-agent classes: monitoring probes, GIS software and scripts by our rules, crawlers and
browsers by ua-parser; a site's own probe rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.clients import PROBE_CLIENTS, ProbeRules, classify_agent

FIXTURE = Path(__file__).parent / "fixtures" / "apps" / "user_agents.tsv"


def agents(agent_class: str) -> list[tuple[str, str]]:
    """``(user_agent, agent_name)`` of one class in the fixture file."""
    rows = [line.split("\t") for line in FIXTURE.read_text().splitlines()]
    return [(ua, name) for cls, name, ua in rows if cls == agent_class]


@pytest.mark.parametrize(("user_agent", "name"), agents("browser"))
def test_browsers_are_named_by_their_family(user_agent, name):
    assert classify_agent(user_agent) == ("browser", name)


@pytest.mark.parametrize(("user_agent", "name"), agents("gis"))
def test_desktop_and_server_gis_software_is_gis(user_agent, name):
    assert classify_agent(user_agent) == ("gis", name)


@pytest.mark.parametrize(("user_agent", "name"), agents("script"))
def test_http_libraries_and_command_line_tools_are_scripts(user_agent, name):
    assert classify_agent(user_agent) == ("script", name)


@pytest.mark.parametrize(("user_agent", "name"), agents("bot"))
def test_crawlers_are_bots(user_agent, name):
    assert classify_agent(user_agent) == ("bot", name)


@pytest.mark.parametrize(("user_agent", "name"), agents("probe"))
def test_monitoring_probes_are_probes_named_by_their_service(user_agent, name):
    assert classify_agent(user_agent) == ("probe", name)


def test_every_built_in_probe_has_a_real_user_agent_in_the_fixture():
    named = {name for _, name in agents("probe")}
    assert {name for name, _ in PROBE_CLIENTS} <= named


def test_a_check_made_with_a_script_or_a_browser_engine_is_still_a_probe():
    """Probe rules come before the GIS and script rules and ua-parser's crawlers."""
    assert classify_agent("check_curl/v2.4.0 (monitoring-plugins 2.4.0, libcurl/8.5.0)")[0] == (
        "probe"
    )
    assert classify_agent("Mozilla/5.0 (compatible; UptimeRobot/2.0)")[0] == "probe"
    assert classify_agent("Mozilla/5.0 (compatible; Googlebot/2.1)")[0] == "bot"


@pytest.mark.parametrize(("user_agent", "name"), agents("unknown"))
def test_unrecognised_agents_are_unknown_named_by_their_product(user_agent, name):
    assert classify_agent(user_agent) == ("unknown", name)


@pytest.mark.parametrize("user_agent", [None, "", "-"])
def test_missing_user_agent_is_unknown_without_name(user_agent):
    assert classify_agent(user_agent) == ("unknown", None)


def test_fixture_covers_every_class():
    classes = ("probe", "browser", "gis", "script", "bot", "unknown")
    assert {cls for cls in classes if agents(cls)} == set(classes)


RULES = ProbeRules(
    user_agents=(r"^Supervision/", r"internal-check"),
    addresses=("192.0.2.10/32", "198.51.100.0/24", "2001:db8:42::/48"),
    paths=("/health", "/geoserver/ows/ping/"),
)


@pytest.mark.parametrize(
    "user_agent", ["Supervision/1.0", "supervision/2", "curl/8.5.0 (internal-check)"]
)
def test_a_site_rule_names_probes_by_user_agent_regardless_of_case(user_agent):
    assert RULES.agent(user_agent) and RULES.matches(user_agent, None, "/")


@pytest.mark.parametrize("user_agent", [None, "", "curl/8.5.0", "MySupervision/1.0"])
def test_other_user_agents_are_not_probes_by_a_site_rule(user_agent):
    assert not RULES.agent(user_agent)


@pytest.mark.parametrize(
    "address",
    ["192.0.2.10", "198.51.100.7", "2001:db8:42::1", "[2001:db8:42:1::9]", "::ffff:198.51.100.9"],
)
def test_a_site_rule_names_probes_by_address_or_network(address):
    assert RULES.address(address) and RULES.matches(None, address, "/")


@pytest.mark.parametrize(
    "address", [None, "", "-", "192.0.2.11", "198.51.101.7", "2001:db8:43::1", "host.example"]
)
def test_other_addresses_are_not_probes(address):
    assert not RULES.address(address)


@pytest.mark.parametrize(
    ("path", "probe"),
    [
        ("/health", True),
        ("/health/live", True),
        ("/healthz", False),
        ("/geoserver/ows/ping", True),
        ("/geoserver/ows/ping/x", True),
        ("/geoserver/ows", False),
        ("/", False),
    ],
)
def test_a_site_rule_names_probes_by_path_prefix_of_whole_segments(path, probe):
    assert RULES.path(path) is probe
    assert RULES.matches(None, None, path) is probe


def test_no_site_rule_matches_nothing():
    rules = ProbeRules()
    assert not rules.matches("Supervision/1.0", "192.0.2.10", "/health")
