"""Every setting the project reads, collected from where it is read, with its default.

Each function returns {name: default}, where the default is the text the configuration
reference must show (backticked) or None when the reference's cell is free text
("required", a structured value). The reference page is parsed by `reference_tables`.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import yaml

from analyzer import config
from analyzer.settings import LogSource, Probes, Retention, Settings, SiteConfig
from tests.support.stack import REPO

REFERENCE = REPO / "docs" / "configuration.en.md"
ROLES = REPO / "ansible" / "roles"

Defaults = dict[str, str | None]


# Keys of the YAML file whose name differs from the settings field holding them.
_FIELD_OF = {"ip": "ip_mode", "user": "user_mode"}


def _field_default(cls: type, key: str) -> str | None:
    """The default of the field behind a YAML key, None for a key without a plain one."""
    if cls is Retention:
        return Retention()[key] or "forever"
    field = next((f for f in fields(cls) if f.name == _FIELD_OF.get(key, key)), None)
    if field is None or field.default is MISSING or isinstance(field.default, tuple):
        return None  # required, a structure or a mapping (apps, privacy): said in words
    if field.default is None:
        return None
    return str(field.default).lower() if isinstance(field.default, bool) else str(field.default)


def analyzer_file() -> dict[str, Defaults]:
    """The YAML keys config.py accepts, by section, with settings.py's defaults."""
    sections = {
        "analyzer-top": (config.TOP_KEYS, Settings),
        "analyzer-retention": (config.RETENTION_KEYS, Retention),
        "analyzer-site": (config.SITE_KEYS, SiteConfig),
        "analyzer-privacy": (config.PRIVACY_KEYS, SiteConfig),
        "analyzer-probes": (config.PROBE_KEYS, Probes),
        "analyzer-log": (config.LOG_KEYS, LogSource),
    }
    result = {
        section: {key: _field_default(cls, key) for key in keys}
        for section, (keys, cls) in sections.items()
    }
    result["analyzer-top"]["database_url"] = None  # its fallback is an environment variable
    return result


def _found(pattern: str, paths: list[Path]) -> set[str]:
    return {name for path in paths for name in re.findall(pattern, path.read_text())}


def analyzer_env() -> Defaults:
    sources = sorted((REPO / "analyzer" / "src" / "analyzer").rglob("*.py"))
    names = _found(r'"(ANALY[A-Z_]+)"', sources)
    names |= _found(r"\$\{(ANALY[A-Z_]+)", [REPO / "analyzer" / "docker" / "entrypoint.sh"])
    return dict.fromkeys(names)


def compose_env() -> Defaults:
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (REPO / ".env.example").read_text(), re.M)
    return {name: value.strip() or None for name, value in pairs}


def superset_env() -> Defaults:
    superset = REPO / "superset"
    names = _found(r'_(?:env|required|flag)\("([A-Z_]+)"', [superset / "superset_config.py"])
    names |= _found(r'env\.get\("([A-Z_]+)"', sorted((superset / "superset_assets").glob("*.py")))
    scripts = sorted((superset / "bin").iterdir())
    names |= _found(r"\$\{([A-Z_]+):-", scripts) - {"TMPDIR", "PYTHONPATH"}
    for line in _found(r"(?m)^require_env ([A-Z_ ]+)$", scripts):
        names |= set(line.split())
    return dict.fromkeys(names)


def _render(value: Any) -> str | None:
    """A role default as the reference shows it, or None for a structure."""
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return '""'
    if isinstance(value, str | int | float):
        return str(value).replace("|", "\\|")  # escaped inside a Markdown table
    if value in ({}, []):
        return str(value)
    return None


def role_names() -> list[str]:
    return sorted(path.parent.parent.name for path in ROLES.glob("*/defaults/main.yml"))


def role_defaults(role: str) -> Defaults:
    """Variables of a role's defaults, and the required ones its comments name."""
    text = (ROLES / role / "defaults" / "main.yml").read_text()
    values = yaml.safe_load(text) or {}
    result: Defaults = {name: _render(value) for name, value in values.items()}
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    for name in re.findall(rf"\b({role}_[a-z0-9_]+)\b", comments):
        result.setdefault(name, None)
    return result


def reference_tables(path: Path = REFERENCE) -> dict[str, dict[str, str]]:
    """{section id: {backticked name in a table's first column: its second cell}}."""
    tables: dict[str, dict[str, str]] = {}
    section = None
    for line in path.read_text().splitlines():
        if heading := re.match(r"^#{2,4} .*?(?:\{#([\w-]+)\})?\s*$", line):
            section = heading.group(1)
            if section:
                tables.setdefault(section, {})
        elif section and line.startswith("| `"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            tables[section][cells[0].strip("`")] = cells[1]
    return tables


def role_values(role: str) -> set[str]:
    """The variables a role's defaults give a value (the others are required)."""
    return set(yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {})
