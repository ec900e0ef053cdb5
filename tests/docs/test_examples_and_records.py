"""Examples shown in the pages give what they say; decision records are indexed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import REPO

ARCHIVES = REPO / "archives"


def test_overview_parse_example_prints_the_record_shown(tmp_path):
    page = (REPO / "docs" / "index.en.md").read_text()
    line = re.search(r"^echo '(.+)' \\$", page, re.M).group(1)
    command = re.search(r"^  \| analyzer (parse .+)$", page, re.M).group(1).split()
    shown = re.search(r"^```json\n(.+?)\n```$", page, re.M | re.S).group(1)
    analyzer = Path(sys.executable).with_name("analyzer")
    result = subprocess.run(
        [analyzer, *command], input=line + "\n", capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == json.loads(shown)


def _records() -> list[Path]:
    return sorted((ARCHIVES / "decisions").glob("*.md"))


def test_archives_index_links_every_decision_record():
    linked = set(re.findall(r"\]\((decisions/[^)]+\.md)\)", (ARCHIVES / "README.md").read_text()))
    assert linked == {str(path.relative_to(ARCHIVES)) for path in _records()}


@pytest.mark.parametrize("record", _records(), ids=lambda path: path.stem[:4])
def test_decision_record_says_what_was_decided_and_why(record):
    text = record.read_text()
    assert re.match(r"# \d+\. ", text), f"{record.name}: title '# N. decision'"
    assert "## Decision" in text and "## Why" in text
    assert re.search(r"^- Status: (accepted|superseded by \d+|proposed)", text, re.M)
