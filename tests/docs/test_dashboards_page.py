"""docs/dashboards.en.md has a section per provisioned dashboard with its current screenshot."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.stack import REPO

PAGE = REPO / "docs" / "dashboards.en.md"
SCREENSHOTS = REPO / "docs" / "assets" / "screenshots"


def _dashboards() -> dict[str, str]:
    """{slug: title} of every dashboard provisioned from superset/assets/dashboards/."""
    found = {}
    for path in sorted((REPO / "superset" / "assets" / "dashboards").glob("*.yaml.j2")):
        text = path.read_text()
        slug = re.search(r"^slug: (\S+)$", text, re.M)
        title = re.search(r"^dashboard_title: (.+)$", text, re.M)
        if slug and title:
            found[slug.group(1)] = title.group(1).strip()
    return found


DASHBOARDS = _dashboards()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", PAGE.read_text(), re.M | re.S)
    assert match, f"{PAGE.name}: no section '## {title}'"
    return match.group(1)


def test_every_dashboard_is_found():
    assert len(DASHBOARDS) >= 5, f"dashboards found: {DASHBOARDS}"


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_dashboard_section_shows_its_screenshot(slug):
    section = _section(DASHBOARDS[slug])
    assert f"](assets/screenshots/{slug}.png)" in section
    assert (SCREENSHOTS / f"{slug}.png").is_file(), f"run docs/update_screenshots.sh ({slug})"


def _last_commit_time(path) -> int | None:
    """Unix time of the last commit touching path, None outside a git work tree."""
    result = subprocess.run(
        ["git", "log", "-1", "--format=%ct", "--", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return int(result.stdout) if result.returncode == 0 and result.stdout.strip() else None


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_screenshot_is_newer_than_the_dashboards_definition(slug):
    # Byte equality with a new picture would depend on when it was taken (each draws
    # "N minutes ago" anew); the commit order does not.
    assets = _last_commit_time(REPO / "superset" / "assets")
    shown = _last_commit_time(SCREENSHOTS / f"{slug}.png")
    if assets is None or shown is None:
        pytest.skip("no git history here to date the screenshot against the dashboards")
    assert shown >= assets, (
        f"docs/assets/screenshots/{slug}.png predates the last change of superset/assets/: "
        "run ./stack demo, then docs/update_screenshots.sh, and commit"
    )


def test_no_screenshot_of_a_dashboard_that_is_gone():
    stale = {path.stem for path in SCREENSHOTS.glob("*.png")} - set(DASHBOARDS)
    assert stale == set(), f"remove {sorted(stale)} from {SCREENSHOTS.relative_to(REPO)}"
