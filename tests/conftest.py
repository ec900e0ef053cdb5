"""Fixtures shared by the whole suite: the real services of the local stack.

Database tests run on every TimescaleDB edition available: the local stack's server (Debian's
Apache-licensed build) always, and a Timescale-License server when TEST_TIMESCALE_URL gives
a superuser URL to one; without it those runs are skipped, saying why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import psycopg
import pytest

import analyzer
from tests.support.databases import (
    Server,
    TestDatabase,
    build_template,
    external_server,
    server_edition,
    temporary_database,
)
from tests.support.stack import REPO, require, stack_env

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
    url = stack_env().get("ANALYTICS_ADMIN_URL")
    if url:
        try:
            with psycopg.connect(url.replace("/postgres?", "/analytics?"), connect_timeout=3) as c:
                version = c.execute("SELECT version()").fetchone()[0]
                ts = c.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
                ).fetchone()
                lic = c.execute("SHOW timescaledb.license").fetchone()[0]
            lines.append(
                f"local stack: {version.split(' on ')[0]}, TimescaleDB {ts[0]}, "
                f"timescaledb.license={lic}"
            )
        except psycopg.Error as exc:
            lines.append(f"local stack: database unreachable ({exc.__class__.__name__})")
    else:
        lines.append("local stack: not started (./stack up)")
    timescale = os.environ.get("TEST_TIMESCALE_URL")
    lines.append(
        "timescale edition: "
        + (
            "TEST_TIMESCALE_URL given"
            if timescale
            else "TEST_TIMESCALE_URL not set, native-path tests skip"
        )
    )
    return lines


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session", params=EDITIONS)
def db_server(request: pytest.FixtureRequest) -> Server:
    """A TimescaleDB server of each edition, reached as a superuser."""
    if request.param == "apache":
        admin = require("ANALYTICS_ADMIN_URL")
        env = stack_env()
        passwords = {
            "analytics_owner": env["ANALYTICS_OWNER_URL"],
            "analytics_writer": env["ANALYZER_DATABASE_URL"],
            "analytics_reader": env["ANALYTICS_READER_URL"],
        }
        passwords = {role: _password(url) for role, url in passwords.items()}
        server = Server(
            server_edition(admin),
            admin,
            passwords,
            "127.0.0.1",
            int(env.get("ANALYTICS_PG_PORT", "5432")),
        )
        assert server.edition == "apache", "the local stack runs Debian's Apache-licensed build"
        return server
    url = os.environ.get("TEST_TIMESCALE_URL")
    if not url:
        pytest.skip(
            "TEST_TIMESCALE_URL is not set: no Timescale-License server to test the "
            "native continuous aggregates and policies on"
        )
    server = external_server(url)
    if server.edition != "timescale":
        pytest.fail(f"TEST_TIMESCALE_URL points at a {server.edition!r} edition server")
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
