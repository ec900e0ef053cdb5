"""timescaledb/init/bootstrap.sql's `analytics` database, created on each edition's server."""

from __future__ import annotations

import re
import secrets

import psycopg
import pytest
from psycopg import sql

from tests.support.databases import ICU_DATABASE, drop_database
from tests.support.stack import REPO

BOOTSTRAP = REPO / "timescaledb" / "init" / "bootstrap.sql"
NAMES = ["Zwolle", "Élancourt", "Brest", "Évry", "Zürich", "Quimper", "ville de Brest"]


def _create_statement(conn: psycopg.Connection, name: str) -> str:
    """The bootstrap's CREATE DATABASE of `analytics`, for a database called ``name``."""
    select = re.search(
        r"^(SELECT 'CREATE DATABASE analytics .*?)\nWHERE", BOOTSTRAP.read_text(), re.M | re.S
    )
    assert select, "bootstrap.sql creates the analytics database"
    statement = conn.execute(select[1]).fetchone()[0]
    return statement.replace("DATABASE analytics ", f"DATABASE {name} ", 1)


def test_analytics_database_sorts_names_by_icu_on_both_editions(db_server):
    name = f"test_bootstrap_{secrets.token_hex(4)}"
    with psycopg.connect(db_server.admin_url, autocommit=True) as conn:
        conn.execute(_create_statement(conn, name))
    try:
        with psycopg.connect(db_server.url(name)) as conn:
            provider = conn.execute(
                "SELECT datlocprovider FROM pg_database WHERE datname = current_database()"
            ).fetchone()
            ordered = [
                n
                for (n,) in conn.execute(
                    sql.SQL("SELECT n FROM unnest(%s::text[]) AS n ORDER BY n"), [NAMES]
                )
            ]
    finally:
        drop_database(db_server, name)
    assert provider == ("i",)
    # As a reader expects, not bytewise (which puts É after Z, and lower case last).
    assert ordered == [
        "Brest",
        "Élancourt",
        "Évry",
        "Quimper",
        "ville de Brest",
        "Zürich",
        "Zwolle",
    ]


def test_test_databases_are_created_as_the_bootstrap_creates_analytics():
    statement = BOOTSTRAP.read_text()
    for clause in re.findall(r"TEMPLATE template0|ENCODING UTF8|LOCALE_PROVIDER icu", ICU_DATABASE):
        assert clause in statement
    assert "ICU_LOCALE ''und''" in statement and "ICU_LOCALE 'und'" in ICU_DATABASE


@pytest.mark.parametrize("database", ["postgres", "template1"])
@pytest.mark.parametrize("role", ["analytics_owner", "analytics_writer", "analytics_reader"])
def test_application_roles_cannot_connect_to_the_servers_own_databases(db_server, role, database):
    # The stack's servers ran bootstrap.sql, as the Docker image's init and Ansible do.
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(db_server.url(database, role)).close()
    psycopg.connect(db_server.url("analytics", role)).close()  # their own one, still
