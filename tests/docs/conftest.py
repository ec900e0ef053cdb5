"""A virtual environment with docs/requirements.txt, built once and rebuilt when they change.

It lives in .local/docs-venv; pip reaches PyPI only, which is all the network CI has.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import REPO

REQUIREMENTS = REPO / "docs" / "requirements.txt"
DOCS_VENV = REPO / ".local" / "docs-venv"


@pytest.fixture(scope="session")
def mkdocs() -> Path:
    """The `mkdocs` executable of the pinned documentation toolchain."""
    installed = DOCS_VENV / "requirements.txt"  # what the venv was built from
    if not installed.exists() or installed.read_text() != REQUIREMENTS.read_text():
        subprocess.run([sys.executable, "-m", "venv", "--clear", DOCS_VENV], check=True)
        pip = [DOCS_VENV / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", REQUIREMENTS], check=True)
        shutil.copyfile(REQUIREMENTS, installed)
    return DOCS_VENV / "bin" / "mkdocs"
