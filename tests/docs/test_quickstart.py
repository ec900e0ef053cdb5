"""The quick start is what README.md says and what CI runs, word for word."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.support.stack import REPO

QUICKSTART = REPO / "docs" / "quickstart.en.md"
README = REPO / "README.md"


def sh_blocks_under(path, heading: str) -> list[str]:
    """The ```sh blocks of the section whose `## ` heading starts with `heading`."""
    text = path.read_text()
    match = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{path.name}: no section '## {heading}'"
    return re.findall(r"^```sh\n(.*?)^```$", match.group(1), re.M | re.S)


def commands(block: str) -> list[str]:
    """The commands of a shell block, comments and spacing aside."""
    return [" ".join(shlex.split(line, comments=True)) for line in block.splitlines()]


@pytest.mark.parametrize(
    ("doc_heading", "readme_heading"),
    [("Native", "On a fresh Debian machine"), ("With Docker", "With Docker")],
)
def test_quickstart_commands_are_the_readmes(doc_heading, readme_heading):
    docs = sh_blocks_under(QUICKSTART, doc_heading)
    readme = sh_blocks_under(README, readme_heading)
    assert docs, f"{QUICKSTART.name}: '## {doc_heading}' has no sh block"
    assert docs[0] == readme[0], "the quick start's commands differ from README.md's"


def test_ci_runs_the_native_quickstarts_test_command():
    native = commands(sh_blocks_under(QUICKSTART, "Native")[0])
    assert "./stack test" in native
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\s*\./stack test\b", ci, re.M), ".ci/run no longer runs ./stack test"


def test_files_the_docker_quickstart_copies_exist():
    for command in commands(sh_blocks_under(QUICKSTART, "With Docker")[0]):
        words = command.split()
        if words[:1] == ["cp"]:
            assert (REPO / words[1]).is_file(), f"the quick start copies {words[1]}: missing"
