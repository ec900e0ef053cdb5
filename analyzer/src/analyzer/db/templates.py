"""The SQL files of ``timescaledb/`` (migrations, aggregate definitions) as Jinja templates.

They are rendered with the TimescaleDB edition and the bucket time zone, so that one file
serves both editions. ``ANALYZER_SQL_DIR`` points elsewhere when the package is installed
without the repository (the Docker image copies ``timescaledb/`` there).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

# src/analyzer/db/templates.py -> the repository root holds timescaledb/.
_REPO_SQL_DIR = Path(__file__).resolve().parents[4] / "timescaledb"


def sql_dir() -> Path:
    return Path(os.environ.get("ANALYZER_SQL_DIR") or _REPO_SQL_DIR)


def literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is always on since PostgreSQL 9.1)."""
    return "'" + value.replace("'", "''") + "'"


@cache
def _environment(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails, never renders ""
        keep_trailing_newline=True,
        autoescape=False,  # SQL, not HTML; values go through the `literal` filter
    )
    env.filters["literal"] = literal
    return env


def render(name: str, **context: Any) -> str:
    """Render ``timescaledb/<name>`` with ``context``."""
    try:
        template = _environment(sql_dir()).get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise FileNotFoundError(f"{sql_dir() / name}: no such SQL template") from exc
    return template.render(**context)
