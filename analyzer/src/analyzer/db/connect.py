"""Connections to the analytics database, with errors a user can act on."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict

from analyzer.errors import ConfigError, DatabaseError

WRITER_ENV = "ANALYZER_DATABASE_URL"  # the analyzer's own role (analytics_writer)
OWNER_ENV = "ANALYTICS_OWNER_URL"  # the role that runs migrations (analytics_owner)
EDITIONS = ("apache", "timescale")


def resolve_url(url: str | None, env_var: str = WRITER_ENV) -> str:
    """``url``, else the environment variable, else a configuration error."""
    resolved = url or os.environ.get(env_var)
    if not resolved:
        raise ConfigError(f"no database URL given, and {env_var} is not set")
    return resolved


def describe(url: str) -> str:
    """``user@host:port/dbname`` for messages: never the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable database URL>"
    host = params.get("host") or "localhost"
    return f"{params.get('user', '')}@{host}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def connect(
    url: str | None, *, autocommit: bool = False, env_var: str = WRITER_ENV
) -> psycopg.Connection:
    """Open a connection; an unreachable or refusing server is a ``DatabaseError``."""
    url = resolve_url(url, env_var)
    try:
        return psycopg.connect(
            url, autocommit=autocommit, connect_timeout=10, application_name="analyzer"
        )
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__  # one line for the log
        raise DatabaseError(f"cannot connect to {describe(url)}: {reason}") from exc


def edition(conn: psycopg.Connection) -> str:
    """The TimescaleDB edition of the server: ``apache`` or ``timescale``."""
    try:
        row = conn.execute("SHOW timescaledb.license").fetchone()
    except psycopg.errors.UndefinedObject as exc:
        raise DatabaseError(
            "TimescaleDB is not loaded on this server (no timescaledb.license setting)"
        ) from exc
    value = str(row[0]) if row else ""
    if value not in EDITIONS:
        raise DatabaseError(f"unknown TimescaleDB licence {value!r}; expected one of {EDITIONS}")
    return value
