"""The containers' commands, run natively against the local stack (no Docker engine here).

Each command and environment comes from docker-compose.yml and the Dockerfiles, read as
data: container paths map to the repository (the Dockerfiles' COPY lines, compose's bind
mounts) or to test folders (volumes, the admin's logs and config), `timescaledb:5432` to
the stack's server, and the variables are those of .env.example filled in with the stack's
role passwords and test values. Then the nightly job must have loaded the logs and Superset
must list the dashboards.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from analyzer import __version__, build
from tests.docker.distribution import bind_mounts, compose, image_paths, placeholder_env, to_host
from tests.docker.native import (
    DEADLINE_SECONDS,
    LOG_TEMPLATE,
    Deployment,
    free_port,
    require_program,
    run,
    venv,
    wait_until,
    write_admin_files,
)
from tests.support.databases import Server, create_database, drop_database
from tests.support.stack import REPO

pytestmark = pytest.mark.slow

# What this module runs natively; test_images.py checks that nothing else is in the images.
SERVICES_RUN_NATIVELY = ("migrate", "analyzer", "superset-init", "superset")
INIT_SCRIPTS = (
    REPO / "timescaledb" / "init" / "10-bootstrap.sh",
    REPO / "timescaledb" / "init" / "20-config.sh",
)

# The restore steps of docs/docker.md, and the tables compared after a round trip.
PRE_RESTORE = "SELECT timescaledb_pre_restore()"
POST_RESTORE = "SELECT timescaledb_post_restore()"
GUIDE_TABLES = ("ingested_files", "requests", "request_layers", "requests_daily", "users_daily")


@pytest.fixture(scope="module")
def deployment(db_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Fresh analytics and Superset metadata databases, the admin's logs and config."""
    root = tmp_path_factory.mktemp("docker")
    suffix = secrets.token_hex(4)
    databases = {
        "analytics": f"test_docker_analytics_{suffix}",
        "superset": f"test_docker_superset_{suffix}",
    }
    create_database(db_server, databases["analytics"])
    with psycopg.connect(db_server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER superset").format(
                sql.Identifier(databases["superset"])
            )
        )
    deployment = Deployment(db_server, root, databases)
    write_admin_files(deployment)
    try:
        yield deployment
    finally:
        for name in databases.values():
            drop_database(db_server, name)


@pytest.fixture(scope="module")
def migrated(deployment: Deployment) -> str:
    """The `migrate` service's output: the schema of the fresh analytics database."""
    return run(deployment, "migrate", venv("ANALYZER_VENV"))


def test_database_healthcheck_passes_against_a_running_server(deployment: Deployment) -> None:
    check = deployment.healthcheck("timescaledb")
    require_program(check[0], "postgresql-client")
    env = os.environ | {"PGPORT": str(deployment.server.tcp_port)}
    result = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def bootstrap(deployment: Deployment, **extra: str) -> subprocess.CompletedProcess[str]:
    """timescaledb/init/10-bootstrap.sh as the image runs it: superuser over the socket."""
    require_program("psql", "postgresql-client")
    paths = deployment.paths("timescaledb")
    env = deployment.process_env("timescaledb") | {
        "PGHOST": conninfo_to_dict(deployment.server.admin_url)["host"],
        "PGPORT": str(deployment.server.tcp_port),
        "POSTGRES_USER": "postgres",
        "ANALYTICS_BOOTSTRAP_SQL": to_host("/opt/analytics/bootstrap.sql", paths),
    }
    script = to_host("/docker-entrypoint-initdb.d/10-bootstrap.sh", paths)
    return subprocess.run(
        [script], env=env | extra, capture_output=True, text=True, timeout=DEADLINE_SECONDS
    )


def test_bootstrap_init_script_creates_roles_and_databases_again_and_again(
    deployment: Deployment,
) -> None:
    for _ in range(2):
        result = bootstrap(deployment)
        assert result.returncode == 0, result.stderr
    with psycopg.connect(deployment.server.admin_url) as conn:
        owners = dict(
            conn.execute(
                "SELECT datname, pg_get_userbyid(datdba) FROM pg_database"
                " WHERE datname IN ('analytics', 'superset')"
            ).fetchall()
        )
    assert owners == {"analytics": "analytics_owner", "superset": "superset"}
    reader = deployment.server.url("analytics", "analytics_reader")
    with psycopg.connect(reader) as conn:  # the password from .env works
        assert conn.execute("SELECT current_user").fetchone() == ("analytics_reader",)


def test_bootstrap_init_script_names_the_missing_passwords(deployment: Deployment) -> None:
    result = bootstrap(deployment, ANALYTICS_WRITER_PASSWORD="", SUPERSET_DB_PASSWORD="")
    assert result.returncode == 1
    assert "ANALYTICS_WRITER_PASSWORD SUPERSET_DB_PASSWORD" in result.stderr


def test_config_init_script_includes_the_project_settings_once(tmp_path: Path) -> None:
    paths = bind_mounts("timescaledb", placeholder_env())
    conf = tmp_path / "postgresql.conf"
    conf.write_text("shared_preload_libraries = 'timescaledb'\n")
    script = to_host("/docker-entrypoint-initdb.d/20-config.sh", paths)
    env = os.environ | {
        "PGDATA": str(tmp_path),
        "ANALYTICS_CONF": to_host("/etc/postgresql/analytics.conf", paths),
    }
    for _ in range(2):
        subprocess.run([script], env=env, check=True, capture_output=True)
    includes = [line for line in conf.read_text().splitlines() if line.startswith("include")]
    assert includes == [f"include = '{env['ANALYTICS_CONF']}'"]
    assert Path(env["ANALYTICS_CONF"]).is_file()


def test_init_scripts_explain_a_file_they_cannot_read(tmp_path: Path) -> None:
    paths = bind_mounts("timescaledb", placeholder_env())
    missing = tmp_path / "unreadable"  # as a checkout made under umask 077 looks to uid 70
    cases = [
        ("10-bootstrap.sh", {"ANALYTICS_BOOTSTRAP_SQL": str(missing)}),
        ("20-config.sh", {"ANALYTICS_CONF": str(missing), "PGDATA": str(tmp_path)}),
    ]
    for name, extra in cases:
        script = to_host(f"/docker-entrypoint-initdb.d/{name}", paths)
        env = os.environ | {
            "ANALYTICS_OWNER_PASSWORD": "x",
            "ANALYTICS_WRITER_PASSWORD": "x",
            "ANALYTICS_READER_PASSWORD": "x",
            "SUPERSET_DB_PASSWORD": "x",
        }
        result = subprocess.run([script], env=env | extra, capture_output=True, text=True)
        assert result.returncode == 1, name
        assert f"cannot read {missing} as uid" in result.stderr, result.stderr
        assert "chmod -R a+rX timescaledb" in result.stderr


@pytest.fixture
def image_stand_ins(tmp_path: Path) -> dict[str, str]:
    """What timescaledb/docker/entrypoint.sh calls in the image, as recording stand-ins:
    the image's tuning script, its entrypoint, and gosu (docker-library/postgres)."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_ins = {
        "tune.sh": f'echo "tune as $(id -u) $TS_TUNE_MEMORY $TS_TUNE_NUM_CPUS" >>{calls}',
        "bin/gosu": f'echo "gosu $1" >>{calls}; shift; exec "$@"',
        "bin/docker-entrypoint.sh": f'echo "entrypoint $*" >>{calls}',
    }
    for name, body in stand_ins.items():
        path = tmp_path / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    data = tmp_path / "data"
    data.mkdir()
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PGDATA": str(data),
        "TUNE_SCRIPT": str(tmp_path / "tune.sh"),
        "TS_TUNE_MEMORY": "3GB",
        "TS_TUNE_NUM_CPUS": "2",
        "CALLS": str(calls),
    }


def _database_entrypoint(env: dict[str, str], **extra: str) -> list[str]:
    script = to_host("/opt/analytics/entrypoint.sh", bind_mounts("timescaledb", placeholder_env()))
    command = compose(placeholder_env())["services"]["timescaledb"]["command"]
    subprocess.run([script, *command], env=env | extra, check=True, capture_output=True)
    calls = Path(env["CALLS"])
    return calls.read_text().splitlines() if calls.exists() else []


def test_database_is_tuned_again_at_every_start_of_an_initialised_volume(image_stand_ins):
    data = Path(image_stand_ins["PGDATA"])
    (data / "PG_VERSION").write_text("17\n")
    (data / "postgresql.conf").write_text("")
    assert _database_entrypoint(image_stand_ins) == [
        "gosu postgres",  # as the owner of the data, as the image's entrypoint runs
        "tune as 0 3GB 2",
        "entrypoint postgres",
    ]


def test_database_on_an_empty_volume_is_left_to_the_images_own_first_tuning(image_stand_ins):
    assert _database_entrypoint(image_stand_ins) == ["entrypoint postgres"]


def test_database_tuning_can_be_turned_off_as_the_image_allows(image_stand_ins):
    data = Path(image_stand_ins["PGDATA"])
    (data / "PG_VERSION").write_text("17\n")
    (data / "postgresql.conf").write_text("")
    assert _database_entrypoint(image_stand_ins, NO_TS_TUNE="1") == ["entrypoint postgres"]


def test_migrate_service_applies_the_schema_once(deployment: Deployment, migrated: str) -> None:
    assert "applied: 0001" in migrated
    assert "schema up to date" in run(deployment, "migrate", venv("ANALYZER_VENV"))


@dataclass(frozen=True)
class NightlyRun:
    exit_code: int
    log: str


@pytest.fixture(scope="module")
def nightly_run(deployment: Deployment, migrated: str) -> NightlyRun:
    """The `analyzer` service from its start (a run right away) to a SIGTERM."""
    log = deployment.root / "analyzer.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            deployment.command("analyzer"),
            env=deployment.process_env("analyzer", venv("ANALYZER_VENV")),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: "next run at" in log.read_text() or process.poll() is not None)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    return NightlyRun(code, log.read_text())


def test_analyzer_service_runs_the_nightly_job_at_start_and_stops_on_sigterm(
    deployment: Deployment, nightly_run: NightlyRun
) -> None:
    assert "run finished with exit code 0" in nightly_run.log, nightly_run.log
    assert nightly_run.exit_code == 0 and "scheduler stopped" in nightly_run.log
    writer = deployment.server.url(deployment.databases["analytics"], "analytics_writer")
    with psycopg.connect(writer) as conn:
        ledger = conn.execute(
            "SELECT site, path, lines, rejects, rows FROM analytics.ingested_files"
        ).fetchall()
        requests = conn.execute("SELECT count(*) FROM analytics.requests").fetchone()[0]
    lines = len(LOG_TEMPLATE.read_text().splitlines())
    assert [(site, Path(path).name, n, r, rows) for site, path, n, r, rows in ledger] == [
        ("my-platform", "access.log.1", lines, 0, lines)
    ]
    assert requests == lines


def test_backup_and_restore_of_the_guide_round_trip_the_analytics_database(
    deployment: Deployment, nightly_run: NightlyRun
) -> None:
    source = deployment.databases["analytics"]
    server = deployment.server
    dump = deployment.root / "analytics.dump"
    # docs/docker.md, "Backup and restore", with `docker compose exec -T timescaledb` made
    # local; the target stands for the database a new volume gets (extension included).
    with dump.open("wb") as out:
        pg_client(server, "pg_dump", "-U", "postgres", "-Fc", source, stdout=out)
    target = f"{source}_restored"
    create_database(deployment.server, target)
    try:
        pg_client(server, "psql", "-U", "postgres", "-d", target, "-X", "-c", PRE_RESTORE)
        with dump.open("rb") as dump_file:
            pg_client(server, "pg_restore", "-U", "postgres", "-d", target, stdin=dump_file)
        pg_client(server, "psql", "-U", "postgres", "-d", target, "-X", "-c", POST_RESTORE)
        assert table_counts(deployment, target) == table_counts(deployment, source)
        output = run(deployment, "migrate", venv("ANALYZER_VENV"), **retarget(deployment, target))
        assert "schema up to date" in output
    finally:
        drop_database(deployment.server, target)


def test_guide_gives_the_backup_and_restore_commands_this_module_runs() -> None:
    guide = (REPO / "docs" / "docker.md").read_text(encoding="utf-8")
    for command in (
        "pg_dump -U postgres -Fc analytics",
        PRE_RESTORE,
        'pg_restore -U postgres -d "$db"',
        POST_RESTORE,
    ):
        assert command in guide, command


def pg_client(server: Server, *args: str, **streams: IO[bytes]) -> None:
    """A PostgreSQL client program of the server's version, as the image's."""
    where = {"PG_CLIENT_EDITION": server.edition, "PG_CLIENT_PORT": str(server.tcp_port)}
    result = subprocess.run(
        [str(Path(__file__).parent / "pg_client.sh"), *args],
        env=os.environ | where,
        stdout=streams.get("stdout", subprocess.PIPE),
        stdin=streams.get("stdin"),
        stderr=subprocess.PIPE,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 0, result.stderr.decode()


def table_counts(deployment: Deployment, database: str) -> dict[str, int]:
    with psycopg.connect(deployment.server.url(database)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM analytics.{table}").fetchone()[0]
            for table in GUIDE_TABLES
        }


def retarget(deployment: Deployment, database: str) -> dict[str, str]:
    """The migrate service's environment, pointed at another database."""
    url = deployment.process_env("migrate")["ANALYTICS_OWNER_URL"]
    return {"ANALYTICS_OWNER_URL": url.rsplit("/", 1)[0] + f"/{database}"}


def test_superset_services_provision_the_dashboards(deployment: Deployment, migrated: str) -> None:
    superset = venv("SUPERSET_VENV")
    # The one-shot init's temporary server gets a free port (its default may be taken here).
    run(deployment, "superset-init", superset, SUPERSET_INIT_PORT=str(free_port()))
    env = deployment.process_env("superset", superset) | {"SUPERSET_WORKERS": "1"}
    log = deployment.root / "superset.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            deployment.command("superset"),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        check = deployment.healthcheck("superset")
        check[0] = str(superset / "bin" / check[0])
        wait_until(lambda: subprocess.run(check, capture_output=True).returncode == 0)
        slugs = dashboard_slugs(f"http://127.0.0.1:{deployment.superset_port}", deployment.env)
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server's own process group
        process.wait(timeout=60)
    templates = (REPO / "superset" / "assets" / "dashboards").glob("*.yaml.j2")
    expected = {re.search(r"^slug: (\S+)", t.read_text(), re.M)[1] for t in templates}
    assert slugs == expected


def dashboard_slugs(url: str, env: dict[str, str]) -> set[str]:
    """The dashboards' slugs, through Superset's REST API as the admin of .env."""
    login = {
        "username": env["SUPERSET_ADMIN_USER"],
        "password": env["SUPERSET_ADMIN_PASSWORD"],
        "provider": "db",
        "refresh": False,
    }
    token = api(f"{url}/api/v1/security/login", body=login)["access_token"]
    query = "(page_size:100)"
    listing = api(f"{url}/api/v1/dashboard/?q={query}", token=token)
    return {item["slug"] for item in listing["result"]}


def api(url: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The analyzer image's entrypoint with the native analyzer on PATH."""
    script = to_host("/usr/local/bin/analyzer-entrypoint", image_paths("analyzer"))
    path = f"{venv('ANALYZER_VENV') / 'bin'}:{os.environ['PATH']}"
    return subprocess.run(
        [script, *args], env={"PATH": path, **env}, capture_output=True, text=True, timeout=120
    )


def test_analyzer_entrypoint_passes_bare_arguments_to_the_analyzer() -> None:
    for args in (["--version"], ["analyzer", "--version"]):
        result = entrypoint(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"analyzer {__version__} ({build()})"
    result = entrypoint("run", "--help")
    assert result.returncode == 0 and "--dry-run" in result.stdout


def test_analyzer_entrypoint_gives_up_on_an_unreachable_database_saying_why() -> None:
    closed = f"postgresql://analytics_writer:x@127.0.0.1:{free_port()}/analytics"
    result = entrypoint("--version", ANALYZER_DATABASE_URL=closed, ANALYZER_WAIT_SECONDS="2")
    assert result.returncode != 0
    assert "database not reachable after 2 s" in result.stderr
    assert "analyzer" not in result.stdout  # the command did not run
