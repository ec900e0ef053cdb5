"""A real Superset of our own for the dashboard tests, on a known data set.

Session fixtures, built once: an analytics database cloned from the migrated template,
loaded with generated logs of two sites through `analyzer run`; a fresh Superset metadata
database; then superset/bin/init (migrate, admin, roles, provisioning) and superset/bin/serve
on free loopback ports: the same scripts the local stack and the Docker image run. The
stack's own Superset and its dashboards are left alone.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.support.databases import Server, TestDatabase, temporary_database
from tests.support.stack import REPO, require, stack_env

sys.path.insert(0, str(REPO / "superset"))  # superset_assets, as superset/bin/ sets it

from superset_assets.client import SupersetClient

SITES = "alpha:secproxy,beta:nginx"  # secproxy logs carry users, nginx logs do not
# Two days per site get loaded: `analyzer run` leaves the live file (the last day) alone.
GENERATE = ("--sites", SITES, "--days", "3", "--requests-per-day", "2500", "--seed", "11")
DASHBOARDS = ("overview", "ogc-services", "catalog", "users", "quality", "territory")
TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class RunningSuperset:
    url: str
    env: dict[str, str]  # what superset/bin/ scripts were given
    db: TestDatabase  # the analytics database its dashboards read

    def client(self) -> SupersetClient:
        return SupersetClient(self.url).login(
            self.env["SUPERSET_ADMIN_USER"], self.env["SUPERSET_ADMIN_PASSWORD"]
        )


@pytest.fixture(scope="session")
def dashboard_db(
    db_server: Server, db_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A migrated analytics database holding two days of generated logs of two sites, on
    each edition: the dashboards read continuous aggregates on one, tables on the other."""
    logs = tmp_path_factory.mktemp("logs")
    analyzer = Path(sys.executable).with_name("analyzer")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    with temporary_database(db_server, db_template, "test_dashboards") as db:
        _run([analyzer, "generate", "--out", logs, *GENERATE, "--end-date", yesterday])
        env = {**os.environ, "ANALYZER_DATABASE_URL": db.writer_url}
        _run([analyzer, "run", "--config", logs / "config.yaml"], env)
        with psycopg.connect(db.writer_url, autocommit=True) as conn:  # as a catalogue gives
            conn.execute(
                "INSERT INTO analytics.record_titles (site, uuid, title)"
                " SELECT DISTINCT site, catalog_uuid, 'Plan ' || left(catalog_uuid, 8)"
                " FROM analytics.requests WHERE catalog_uuid IS NOT NULL"
            )
        yield db


@pytest.fixture(scope="session")
def superset(dashboard_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory):
    """Superset initialised and served by superset/bin/, its dashboards provisioned."""
    with serve_superset(_superset_env(dashboard_db), dashboard_db, tmp_path_factory) as running:
        yield running


@contextmanager
def serve_superset(
    env: dict[str, str], db: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSuperset]:
    """superset/bin/init, then superset/bin/serve until the block ends, with ``env``; its
    URL ends with SUPERSET_APP_ROOT when ``env`` sets one."""
    with _metadata_database(env):
        _run([REPO / "superset/bin/init"], env)
        log = (tmp_path_factory.mktemp("superset") / "serve.log").open("w")
        server = subprocess.Popen(
            [REPO / "superset/bin/serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://{env['SUPERSET_BIND']}{env.get('SUPERSET_APP_ROOT', '')}"
            running = RunningSuperset(url, env, db)
            _wait_for_health(running.url, server)
            yield running
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)
            log.close()


def _superset_env(db: TestDatabase) -> dict[str, str]:
    stack = stack_env()
    reader = conninfo_to_dict(db.reader_url)
    # `./stack test` exports the stack's own ANALYTICS_READER_URL, which superset/bin
    # would prefer to the parts below: this Superset must read the test database.
    inherited = {k: v for k, v in os.environ.items() if k != "ANALYTICS_READER_URL"}
    return {
        **inherited,
        "SUPERSET_VENV": require("SUPERSET_VENV"),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
        "SUPERSET_METADATA_DB_URL": _metadata_url(stack["SUPERSET_METADATA_DB_URL"]),
        "SUPERSET_ADMIN_USER": "admin",
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(12),
        "SUPERSET_BIND": f"127.0.0.1:{_free_port()}",
        "SUPERSET_INIT_PORT": str(_free_port()),
        "SUPERSET_WORKERS": "2",
        # The parts, as the local stack gives them (ANALYTICS_READER_URL also works).
        "ANALYTICS_DB_HOST": reader["host"],
        "ANALYTICS_DB_PORT": str(reader["port"]),
        "ANALYTICS_DB_NAME": db.name,
        "ANALYTICS_READER_PASSWORD": reader["password"],
        "ANALYTICS_TIMEZONE": TIMEZONE,
        "ANALYTICS_SITES": "alpha,beta",
    }


def _metadata_url(stack_url: str) -> str:
    name = f"superset_test_{secrets.token_hex(4)}"
    return stack_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def _metadata_database(env: dict[str, str]) -> Iterator[None]:
    """Create the metadata database env names (owned by role superset); drop it after."""
    name = sql.Identifier(env["SUPERSET_METADATA_DB_URL"].rsplit("/", 1)[1])
    with psycopg.connect(require("ANALYTICS_ADMIN_URL"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER superset").format(name))
    try:
        yield
    finally:
        with psycopg.connect(require("ANALYTICS_ADMIN_URL"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _run(argv: list[object], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        [str(a) for a in argv], env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        pytest.fail(
            f"{argv[0]} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
            f"{result.stderr[-5000:]}"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_health(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(240):
        if server.poll() is not None:
            pytest.fail(f"superset/bin/serve exited {server.returncode}")
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"Superset at {url} did not answer /health")
