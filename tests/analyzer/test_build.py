"""The analyzer as it is built and shipped: its hot path compiled, the code checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.util import find_spec

import pytest

from analyzer import build
from tests.support.stack import REPO

ANALYZER = REPO / "analyzer"
HOT_PATH = re.findall(r'"src/(analyzer/[\w/]+)\.py"', (ANALYZER / "setup.py").read_text())
BIN = os.path.dirname(sys.executable)  # the venv the tests run in


def test_the_hot_path_is_compiled() -> None:
    """The stack, CI and the images run the compiled modules: an install that fell back to
    the sources would be a third slower without a word."""
    if os.environ.get("ANALYZER_PURE_PYTHON"):
        pytest.skip("ANALYZER_PURE_PYTHON is set: the hot path runs uncompiled on purpose")
    assert len(HOT_PATH) >= 5
    for module in HOT_PATH:
        spec = find_spec(module.replace("/", "."))
        assert spec is not None and spec.origin is not None
        assert spec.origin.endswith(".so"), f"{module} is not compiled: {spec.origin}"
    assert build() == "hot path compiled with mypyc"


def test_analyzer_version_says_how_the_hot_path_runs() -> None:
    result = subprocess.run(
        [f"{BIN}/analyzer", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"analyzer 0.1.0 ({build()})"


def test_the_package_type_checks() -> None:
    """mypyc type-checks the package before compiling it: an error here fails the build."""
    result = subprocess.run(
        [f"{BIN}/mypy"], cwd=ANALYZER, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_passes_ruff() -> None:
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [f"{BIN}/ruff", *command, "."], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
