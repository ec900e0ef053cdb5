"""Superset configuration for geOrchestra Analytics.

Everything secret or site-specific comes from the environment (or from a file named by
``<NAME>_FILE``, for Docker secrets); Superset refuses to start without a secret key or a
metadata database. Defaults are the safe ones: no example data, CSRF on, nothing for the
public role. Superset loads this file through ``SUPERSET_CONFIG_PATH`` (set by superset/bin/).
"""

from __future__ import annotations

import os
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the content of the file named by NAME_FILE (Docker secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def _required(name: str) -> str:
    value = _env(name)
    if not value:
        raise RuntimeError(f"superset_config: environment variable {name} is required")
    return value


def _flag(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


SECRET_KEY = _required("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = _required("SUPERSET_METADATA_DB_URL")

# Security: CSRF on, the public role gets nothing, cookies not readable by scripts.
WTF_CSRF_ENABLED = True
PUBLIC_ROLE_LIKE = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Turn on behind HTTPS (the usual case behind a geOrchestra gateway).
SESSION_COOKIE_SECURE = _flag("SUPERSET_COOKIE_SECURE", False)
TALISMAN_ENABLED = _flag("SUPERSET_TALISMAN_ENABLED", True)
# Only PostgreSQL sources: refuse SQLite files as data sources.
PREVENT_UNSAFE_DB_CONNECTIONS = True
# Jinja in SQL: the range datasets read whole months from the monthly aggregates, using
# the chart's time range (from_dttm, to_dttm). Superset renders it in its sandbox, and
# the analytics connection's role can only read the aggregates anyway.
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": True, "DASHBOARD_RBAC": False}

# Aggregates change once a night: charts may be cached for a while (seconds).
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache" if _flag("SUPERSET_DATA_CACHE", False) else "NullCache",
    "CACHE_DEFAULT_TIMEOUT": int(_env("SUPERSET_DATA_CACHE_TIMEOUT", "3600") or 3600),
}
# In-memory rate limiting is enough for one Superset container; silences the warning.
RATELIMIT_STORAGE_URI = "memory://"

SUPERSET_WEBSERVER_TIMEOUT = int(_env("SUPERSET_WEBSERVER_TIMEOUT", "60") or 60)
ROW_LIMIT = 50000
