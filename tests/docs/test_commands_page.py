"""docs/commands.en.md shows every `analyzer` command with its own `--help`."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from analyzer.cli import build_parser
from analyzer.errors import ExitCode
from tests.support.stack import REPO

PAGE = REPO / "docs" / "commands.en.md"


def _commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse has no public way to list subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _commands(sub, f"{prefix}{name} ")


PARSERS = dict(_commands(build_parser()))
COMMANDS = list(PARSERS)


def _shown() -> dict[str, str]:
    pattern = r"^## analyzer (.+?)\n.*?^```text\n(.*?)^```$"
    return {name: text for name, text in re.findall(pattern, PAGE.read_text(), re.M | re.S)}


def test_page_has_a_section_per_command_and_no_other():
    assert set(_shown()) == set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_section_shows_the_commands_own_help(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # the width the page was written at
    help_text = PARSERS[command].format_help()
    assert _shown().get(command) == help_text, f"update '## analyzer {command}' in {PAGE.name}"


def test_the_page_lists_every_exit_status_of_the_code():
    intro = PAGE.read_text(encoding="utf-8").split("\n## ")[0]
    assert [code for code in ExitCode if f"{int(code)} " not in intro] == []
