"""User-agent classes: GIS software and scripts by our rules, crawlers and browsers by ua-parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.clients import classify_agent

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
def test_crawlers_and_monitors_are_bots(user_agent, name):
    assert classify_agent(user_agent) == ("bot", name)


@pytest.mark.parametrize(("user_agent", "name"), agents("unknown"))
def test_unrecognised_agents_are_unknown_named_by_their_product(user_agent, name):
    assert classify_agent(user_agent) == ("unknown", name)


@pytest.mark.parametrize("user_agent", [None, "", "-"])
def test_missing_user_agent_is_unknown_without_name(user_agent):
    assert classify_agent(user_agent) == ("unknown", None)


def test_fixture_covers_every_class():
    assert {cls for cls in ("browser", "gis", "script", "bot", "unknown") if agents(cls)} == {
        "browser", "gis", "script", "bot", "unknown",
    }  # fmt: skip
