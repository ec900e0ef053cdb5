"""Superset configuration for geOrchestra Analytics.

Everything secret or site-specific comes from the environment (or from a file named by
``<NAME>_FILE``, for Docker secrets); Superset refuses to start without a secret key or a
metadata database. Defaults are the safe ones: no example data, CSRF on, nothing for the
public role. Superset loads this file through ``SUPERSET_CONFIG_PATH`` (set by superset/bin/).
"""

from __future__ import annotations

import os
from copy import deepcopy
from pathlib import Path
from urllib.parse import urlsplit


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


def _app_root() -> str:
    """SUPERSET_APP_ROOT, the URL prefix Superset is served under ("/analytics"), or "/"."""
    value = (_env("SUPERSET_APP_ROOT", "") or "").strip()
    if not value:
        return "/"
    if not value.startswith("/") or value.endswith("/") or "//" in value:
        raise RuntimeError(
            f"superset_config: SUPERSET_APP_ROOT={value!r}: write the URL prefix with a "
            "leading slash and no trailing one (e.g. /analytics), or leave it empty to "
            "serve Superset at the root"
        )
    return value


SECRET_KEY = _required("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = _required("SUPERSET_METADATA_DB_URL")

# Served under a sub-path (https://<platform>/analytics/ behind the geOrchestra gateway):
# superset.app:create_app (6.1.0) takes the prefix from the SUPERSET_APP_ROOT environment
# variable, else from APPLICATION_ROOT, mounts the application there (AppRootMiddleware:
# any other path answers 404, /health included) and prefixes the static assets
# (STATIC_ASSETS_PREFIX) and the logo. Setting APPLICATION_ROOT here too makes a value
# read from SUPERSET_APP_ROOT_FILE count, and refuses a malformed one before Superset
# starts. The proxy passes the path on unchanged (docs/docker.md).
APPLICATION_ROOT = _app_root()
if APPLICATION_ROOT != "/":
    # create_app (6.1.0) would also prefix APP_ICON, the theme's logo and its link when
    # APP_ICON starts with /static/, and the frontend prefixes them again
    # (/analytics/analytics/static/...: a broken logo). Prefixed here, for the pages the
    # server renders, APP_ICON leaves the theme alone, which the frontend prefixes once.
    APP_ICON = f"{APPLICATION_ROOT}/static/assets/images/superset-logo-horiz.png"

# Behind the reverse proxy, take the client's address, scheme, host and port from the
# X-Forwarded-* headers of one proxy (the last hop), so that redirects and URLs are the
# https ones the users see. Trusting them is safe here: in Docker no port of Superset is
# published and only the reverse proxy on the `analytics` network reaches it; natively
# it binds to 127.0.0.1. The prefix is not taken from X-Forwarded-Prefix (a client could
# send one through a proxy that does not overwrite it): it is SUPERSET_APP_ROOT.
ENABLE_PROXY_FIX = _flag("SUPERSET_PROXY_FIX", True)
PROXY_FIX_CONFIG = {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 0}

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

# The base map under the Territory dashboard's map (deck.gl): XYZ tiles from
# ANALYTICS_BASE_MAP_URL, OpenStreetMap's by default; no Mapbox key. The provisioned chart
# names the same URL (superset_assets.settings). Another tile server's origin is added to
# the content security policy, which lets the browser fetch OpenStreetMap's tiles only.
BASE_MAP_URL = _env("ANALYTICS_BASE_MAP_URL") or "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DECKGL_BASE_MAP = [[f"tile://{BASE_MAP_URL}", "Base map"]]
_base_map_origin = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_MAP_URL))
if _base_map_origin != "https://tile.openstreetmap.org":
    # Superset's defaults, loaded before this file (superset.config imports it last).
    from superset import config as _defaults

    TALISMAN_CONFIG = deepcopy(_defaults.TALISMAN_CONFIG)
    for _directive in ("img-src", "connect-src"):
        TALISMAN_CONFIG["content_security_policy"][_directive].append(_base_map_origin)
