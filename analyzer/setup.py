"""The analyzer's build: the modules every log line runs through are compiled with mypyc.

Everything else about the package is in pyproject.toml. mypyc compiles these modules from
their type-annotated sources into C extensions; parsing then takes about a third less
time (benchmarks/parse.sh). The sources stay in the package, and behave the same:
``ANALYZER_PURE_PYTHON=1`` installs them uncompiled, for a machine without a C compiler.
``analyzer --version`` says which one runs.
"""

from __future__ import annotations

import os

from setuptools import setup

HOT_PATH = [
    "src/analyzer/fastpath.py",
    "src/analyzer/parsing.py",
    "src/analyzer/interpret.py",
    "src/analyzer/clients.py",
    "src/analyzer/formats/regex.py",
    "src/analyzer/formats/timestamps.py",
    "src/analyzer/apps/ogc.py",
    "src/analyzer/apps/router.py",
    "src/analyzer/row.py",
    "src/analyzer/outputs.py",
    "src/analyzer/territory.py",
]


def compiled_modules() -> list:
    if os.environ.get("ANALYZER_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify  # a build requirement (pyproject.toml)

    return mypycify(HOT_PATH, opt_level="3")


setup(ext_modules=compiled_modules())
