"""What the templates need from the platform, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from superset_assets import AssetsError

DEFAULT_TIMEZONE = "Europe/Paris"
# XYZ tiles under the map charts (superset_config.py reads the same variable).
DEFAULT_BASE_MAP_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# What Superset shows and stores in place of the password in a masked URI.
PASSWORD_MASK = "XXXXXXXXXX"


@dataclass(frozen=True, slots=True)
class Connection:
    """The read-only analytics connection, split so the password never enters the bundle."""

    user: str
    password: str
    host: str
    port: int
    database: str

    @property
    def masked_uri(self) -> str:
        return (
            f"postgresql+psycopg2://{quote(self.user, safe='')}:{PASSWORD_MASK}"
            f"@{self.host}:{self.port}/{quote(self.database, safe='')}"
        )


@dataclass(frozen=True, slots=True)
class AssetSettings:
    connection: Connection
    timezone: str = DEFAULT_TIMEZONE  # the bucket time zone of the aggregates
    sites: tuple[str, ...] = ()  # known sites, listed on the dashboards; empty is fine
    base_map_url: str = DEFAULT_BASE_MAP_URL


def from_env(env: Mapping[str, str] | None = None) -> AssetSettings:
    """ANALYTICS_READER_URL, or its parts ANALYTICS_DB_HOST/PORT/NAME and ANALYTICS_READER_*."""
    env = os.environ if env is None else env
    sites = tuple(s.strip() for s in env.get("ANALYTICS_SITES", "").split(",") if s.strip())
    return AssetSettings(
        connection=_connection(env),
        timezone=_timezone(env.get("ANALYTICS_TIMEZONE") or DEFAULT_TIMEZONE),
        sites=sites,
        base_map_url=env.get("ANALYTICS_BASE_MAP_URL") or DEFAULT_BASE_MAP_URL,
    )


def _timezone(name: str) -> str:
    """A known IANA zone: it is written into SQL and the connection options."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AssetsError(f"ANALYTICS_TIMEZONE: unknown time zone {name!r}") from exc
    return name


def _connection(env: Mapping[str, str]) -> Connection:
    if url := env.get("ANALYTICS_READER_URL"):
        return parse_url(url)
    password = env.get("ANALYTICS_READER_PASSWORD")
    if not password:
        raise AssetsError(
            "set ANALYTICS_READER_URL, or ANALYTICS_READER_PASSWORD with ANALYTICS_DB_HOST, "
            "ANALYTICS_DB_PORT and ANALYTICS_DB_NAME"
        )
    return Connection(
        user=env.get("ANALYTICS_READER_USER", "analytics_reader"),
        password=password,
        host=env.get("ANALYTICS_DB_HOST", "127.0.0.1"),
        port=int(env.get("ANALYTICS_DB_PORT", "5432")),
        database=env.get("ANALYTICS_DB_NAME", "analytics"),
    )


def parse_url(url: str) -> Connection:
    """postgresql://user:password@host:port/database (TCP: Superset may run elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise AssetsError(f"ANALYTICS_READER_URL: expected a postgresql:// URL, got {url!r}")
    if not (parts.username and parts.password and parts.hostname and parts.path.strip("/")):
        raise AssetsError("ANALYTICS_READER_URL: user, password, host and database are required")
    return Connection(
        user=unquote(parts.username),
        password=unquote(parts.password),
        host=parts.hostname,
        port=parts.port or 5432,
        database=unquote(parts.path.strip("/")),
    )
