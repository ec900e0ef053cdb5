"""Fixtures shared by the whole suite: the real services of the local stack.

Database tests run on both TimescaleDB editions: `./stack test` serves the stack's edition
(ANALYTICS_EDITION, the Timescale-License one by default) and the other one beside it, and
names both in .local/stack.env (ANALYTICS_ADMIN_URL_TIMESCALE, ANALYTICS_ADMIN_URL_APACHE).
An edition without a server fails its tests under CI and is skipped, saying why, elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import analyzer
from tests.support.databases import (
    Server,
    TestDatabase,
    build_template,
    server_edition,
    temporary_database,
)
from tests.support.stack import REPO, stack_env

EDITIONS = ("apache", "timescale")
TEMPLATE = "analytics_test_template"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test a compiled module older than its source: the test would run old code."""
    stale = [
        str(source.relative_to(REPO))
        for built in (REPO / "analyzer" / "src").rglob("*.so")
        if (source := built.with_name(built.name.split(".")[0] + ".py")).exists()
        and source.stat().st_mtime > built.stat().st_mtime
    ]
    if stale:
        pytest.exit(
            f"compiled before its last change: {', '.join(stale)}. "
            "Rebuild with ./stack up (or ./stack test).",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"analyzer {analyzer.__version__}: {analyzer.build()}"]
    for edition in EDITIONS:
        url = stack_env().get(_admin_url_key(edition))
        if not url:
            lines.append(f"{edition} edition: no server (./stack test serves both)")
            continue
        try:
            with psycopg.connect(url, connect_timeout=3) as c:
                version = c.execute("SELECT version()").fetchone()[0]
            with psycopg.connect(make_conninfo(url, dbname="analytics"), connect_timeout=3) as c:
                ts = c.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
                ).fetchone()
                lic = c.execute("SHOW timescaledb.license").fetchone()[0]
            lines.append(
                f"{edition} edition: {version.split(' on ')[0]}, TimescaleDB {ts[0]}, "
                f"timescaledb.license={lic}"
            )
        except psycopg.Error as exc:
            lines.append(f"{edition} edition: database unreachable ({exc.__class__.__name__})")
    return lines


def _admin_url_key(edition: str) -> str:
    return f"ANALYTICS_ADMIN_URL_{edition.upper()}"


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session", params=EDITIONS)
def db_server(request: pytest.FixtureRequest) -> Server:
    """A TimescaleDB server of each edition, reached as a superuser."""
    edition = request.param
    admin = stack_env().get(_admin_url_key(edition))
    if not admin:
        reason = (
            f"no {edition} edition server: ./stack test serves both editions "
            f"({_admin_url_key(edition)} is not in .local/stack.env)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI runs every test on both editions
        pytest.skip(reason)
    env = stack_env()
    passwords = {
        "analytics_owner": env["ANALYTICS_OWNER_URL"],
        "analytics_writer": env["ANALYZER_DATABASE_URL"],
        "analytics_reader": env["ANALYTICS_READER_URL"],
    }
    passwords = {role: _password(url) for role, url in passwords.items()}
    params = conninfo_to_dict(admin)
    server = Server(server_edition(admin), admin, passwords, "127.0.0.1", int(params["port"]))
    assert server.edition == edition, f"{_admin_url_key(edition)} serves {server.edition}"
    return server


def _password(url: str) -> str:
    match = re.match(r"postgresql://[^:]+:([^@]+)@", url)
    assert match, f"no password in {url}"
    return match.group(1)


@pytest.fixture(scope="session")
def db_template(db_server: Server) -> Iterator[str]:
    """A migrated template database on the server, built once per session."""
    name = f"{TEMPLATE}_{os.getpid()}"
    build_template(db_server, name)
    yield name
    from tests.support.databases import drop_database

    drop_database(db_server, name)


@pytest.fixture(scope="module")
def analytics_db(db_server: Server, db_template: str) -> Iterator[TestDatabase]:
    """A fresh migrated analytics database for the test module (one per edition)."""
    with temporary_database(db_server, db_template, "test_analytics") as db:
        yield db


@pytest.fixture
def empty_db(db_server: Server) -> Iterator[TestDatabase]:
    """A fresh database with only the extension: migrations from scratch."""
    with temporary_database(db_server, None, "test_empty") as db:
        yield db
