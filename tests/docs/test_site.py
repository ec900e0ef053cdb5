"""The documentation site builds with `mkdocs build --strict`, offline, in or out of git."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.stack import REPO

pytestmark = pytest.mark.slow

# A proxy nobody listens on: any attempt to fetch something fails the build.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
# What a page may load from elsewhere: nothing (links to other sites are fine).
REMOTE_SRC = re.compile(r'<(?:script|img|iframe)\b[^>]*\bsrc="(?:https?:)?//[^"]*"')
LINK = re.compile(r"<link\b[^>]*>")
LOADED_LINK = re.compile(r'\brel="(?:stylesheet|preconnect|preload|modulepreload|icon)"')
REMOTE_HREF = re.compile(r'\bhref="(?:https?:)?//')


def remote_assets(html: str) -> list[str]:
    """Tags that make a browser fetch something from another host."""
    links = LINK.findall(html)
    fetched = [tag for tag in links if LOADED_LINK.search(tag) and REMOTE_HREF.search(tag)]
    return REMOTE_SRC.findall(html) + fetched


def build(mkdocs: Path, config: Path, site: Path | None = None, **env: str) -> None:
    """`mkdocs build --strict`, into `site` or the configuration's own site_dir."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DOCS_GIT_DATES", "READTHEDOCS")}
    where = ["--site-dir", site] if site else []
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--config-file", config, *where],
        env={**environ, **OFFLINE, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"


@pytest.fixture(scope="module")
def site(mkdocs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from a copy of the sources outside any git work tree."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(REPO / "mkdocs.yml", source)
    shutil.copytree(REPO / "docs", source / "docs")
    build(mkdocs, source / "mkdocs.yml")  # as a reader would: the configured site_dir
    return source / ".local" / "docs-site"


def test_site_builds_strictly_outside_a_git_work_tree(site):
    assert (site / "index.html").is_file()
    assert (site / "configuration" / "index.html").is_file()


def test_site_builds_with_git_dates_in_a_clone(mkdocs, tmp_path):
    # A clone, as CI and Read the Docs build: pages not committed yet have no history.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", REPO, clone], check=True)
    build(mkdocs, clone / "mkdocs.yml", tmp_path / "site", DOCS_GIT_DATES="true")
    assert "git-revision-date-localized" in (tmp_path / "site" / "index.html").read_text()


def test_pages_load_no_script_style_or_font_from_the_network(site):
    remote = {
        str(page.relative_to(site)): remote_assets(page.read_text())
        for page in site.rglob("*.html")
    }
    assert {page: found for page, found in remote.items() if found} == {}
    css = "\n".join(path.read_text() for path in site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "@import url(http" not in css
