"""Pages that describe a list from the code name every element of it."""

from __future__ import annotations

import re

import pytest

from analyzer.apps.ogc import FORMATS
from analyzer.apps.registry import MODULES
from analyzer.formats import PRESETS
from tests.support.stack import REPO

DOCS = REPO / "docs"


def headings(page: str) -> set[str]:
    return set(re.findall(r"^## (.+)$", (DOCS / page).read_text(), re.M))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_application_module_has_a_section(module):
    assert module in headings("applications.en.md")


def test_no_section_for_an_application_that_is_gone():
    sections = headings("applications.en.md") - {"Adding an application module"}
    assert sections - set(MODULES) == set()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_is_in_the_log_formats_table(preset):
    rows = re.findall(r"^\| `([\w-]+)` \|", (DOCS / "log-formats.en.md").read_text(), re.M)
    assert preset in rows


def test_the_applications_page_lists_every_canonical_output_format():
    page = (DOCS / "applications.en.md").read_text(encoding="utf-8")
    assert [name for name in FORMATS if f"| `{name}` |" not in page] == []
