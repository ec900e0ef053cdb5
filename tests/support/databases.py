"""Fresh databases on a real TimescaleDB server for tests.

A template database is built once per session and server (extension and migrations), then
cloned per test module: a clone takes a fraction of a second, migrations take seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

# What timescaledb/init/bootstrap.sql does to TimescaleDB's own job-history job.
BOOTSTRAP_JOB_3 = """
UPDATE _timescaledb_config.bgw_job SET scheduled = false
WHERE id = 3 AND current_setting('timescaledb.license') = 'apache'
"""
ICU_DATABASE = " TEMPLATE template0 ENCODING UTF8 LOCALE_PROVIDER icu ICU_LOCALE 'und'"
DATABASE_PRIVILEGES = {
    "analytics_owner": "CONNECT, TEMPORARY",
    "analytics_writer": "CONNECT, TEMPORARY",
    "analytics_reader": "CONNECT",
}


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server with TimescaleDB, reached as a superuser."""

    edition: str  # "apache" (Debian's build) or "timescale" (Timescale-License build)
    admin_url: str
    passwords: dict[str, str]  # role -> password, for the application roles
    tcp_host: str
    tcp_port: int

    def url(self, dbname: str, role: str | None = None) -> str:
        if role is None:
            return make_conninfo(self.admin_url, dbname=dbname)
        return make_conninfo(
            host=self.tcp_host,
            port=self.tcp_port,
            dbname=dbname,
            user=role,
            password=self.passwords[role],
        )


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False  # a fixture's value, not a class of tests for pytest to collect

    server: Server
    name: str

    @property
    def edition(self) -> str:
        return self.server.edition

    @property
    def admin_url(self) -> str:
        return self.server.url(self.name)

    @property
    def owner_url(self) -> str:
        return self.server.url(self.name, "analytics_owner")

    @property
    def writer_url(self) -> str:
        return self.server.url(self.name, "analytics_writer")

    @property
    def reader_url(self) -> str:
        return self.server.url(self.name, "analytics_reader")


def server_edition(admin_url: str) -> str:
    with psycopg.connect(make_conninfo(admin_url, dbname="analytics")) as conn:
        return conn.execute("SHOW timescaledb.license").fetchone()[0]


def create_database(server: Server, name: str, template: str | None = None) -> None:
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        query = sql.SQL("CREATE DATABASE {} OWNER analytics_owner").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        else:  # as timescaledb/init/bootstrap.sql creates `analytics`
            query += sql.SQL(ICU_DATABASE)
        _retry_while_template_busy(conn, query, template)
        # The same database privileges as timescaledb/init/bootstrap.sql gives `analytics`.
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        for role, privileges in DATABASE_PRIVILEGES.items():
            conn.execute(
                sql.SQL("GRANT {} ON DATABASE {} TO {}").format(
                    sql.SQL(privileges), sql.Identifier(name), sql.Identifier(role)
                )
            )
    if template is None:
        with psycopg.connect(server.url(name), autocommit=True) as conn:
            with conn.transaction():  # as bootstrap.sql: job 3 never runs on Apache
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                conn.execute(BOOTSTRAP_JOB_3)
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def _retry_while_template_busy(
    conn: psycopg.Connection, query: sql.Composable, template: str | None
) -> None:
    # TimescaleDB's scheduler may still hold a connection to the template for a moment.
    for attempt in range(20):
        try:
            conn.execute(query)
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [template],
            )
            time.sleep(0.25)


def drop_database(server: Server, name: str) -> None:
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def build_template(server: Server, name: str) -> None:
    """An empty database with the extension and every migration, ready to be cloned."""
    from analyzer.db.migrate import migrate

    create_database(server, name)
    migrate(server.url(name, "analytics_owner"))
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )


@contextmanager
def temporary_database(server: Server, template: str | None, prefix: str) -> Iterator[TestDatabase]:
    name = f"{prefix}_{secrets.token_hex(4)}"
    create_database(server, name, template)
    try:
        yield TestDatabase(server, name)
    finally:
        drop_database(server, name)
