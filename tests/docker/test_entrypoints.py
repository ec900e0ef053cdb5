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
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from analyzer import __version__
from tests.docker.distribution import (
    bind_mounts,
    compose,
    container_command,
    dockerfile_env,
    dockerfile_of,
    image_paths,
    placeholder_env,
    to_host,
)
from tests.support.databases import Server, create_database, drop_database
from tests.support.stack import REPO, stack_env

pytestmark = pytest.mark.slow

# What this module runs natively; test_images.py checks that nothing else is in the images.
SERVICES_RUN_NATIVELY = ("migrate", "analyzer", "superset-init", "superset")
INIT_SCRIPTS = (
    REPO / "timescaledb" / "init" / "10-bootstrap.sh",
    REPO / "timescaledb" / "init" / "20-config.sh",
)
# Bind mounts of the admin's own files, not shipped in the repository.
USER_MOUNTS = ("/etc/analyzer/analyzer.yaml", "/var/log/georchestra")
EXAMPLE_CONFIG = REPO / "analyzer" / "docker" / "analyzer.example.yaml"
LOG_TEMPLATE = Path(__file__).parent / "fixtures" / "access.log.template"
DEADLINE_SECONDS = 900  # generous bounds on waits (a busy 2-core CI), not speed checks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url_password(url: str) -> str:
    match = re.match(r"postgresql://[^:]+:([^@]+)@", url)
    assert match, "no password in the stack's URL"
    return match.group(1)


@dataclass
class Deployment:
    """One Docker deployment mapped onto this machine."""

    server: Server
    root: Path  # test folders standing for volumes and the admin's files
    databases: dict[str, str]  # database name in compose -> test database
    superset_port: int = field(default_factory=free_port)
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.env = self.filled_env()

    def filled_env(self) -> dict[str, str]:
        """.env as an admin fills it in: the server's role passwords, fresh test secrets."""
        env = placeholder_env()
        env.update(
            ANALYTICS_OWNER_PASSWORD=self.server.passwords["analytics_owner"],
            ANALYTICS_WRITER_PASSWORD=self.server.passwords["analytics_writer"],
            ANALYTICS_READER_PASSWORD=self.server.passwords["analytics_reader"],
            SUPERSET_DB_PASSWORD=url_password(stack_env()["SUPERSET_METADATA_DB_URL"]),
            SUPERSET_SECRET_KEY=secrets.token_hex(32),
            SUPERSET_ADMIN_PASSWORD=secrets.token_hex(16),
            ANALYZER_PSEUDONYM_KEY=secrets.token_hex(32),
            ANALYTICS_LOG_ROOT=str(self.root / "logs"),
            ANALYZER_CONFIG=str(self.root / "analyzer.yaml"),
            ANALYTICS_SITES="my-platform",
        )
        return env

    def localize(self, value: str) -> str:
        """A compose value as seen from this machine instead of the compose network."""
        host, port = self.server.tcp_host, self.server.tcp_port
        value = re.sub(
            r"@timescaledb:5432/(\w+)",
            lambda m: f"@{host}:{port}/{self.databases.get(m[1], m[1])}",
            value,
        )
        value = re.sub(
            r"\b(0\.0\.0\.0|127\.0\.0\.1):8088\b", f"127.0.0.1:{self.superset_port}", value
        )
        whole = {"timescaledb": host, "5432": str(port), **self.databases}
        return whole.get(value, value)

    def paths(self, service: str) -> dict[str, Path]:
        mapping = bind_mounts(service, self.env)
        if built(service):
            mapping |= image_paths(service)
        mapping["/var/lib/analyzer"] = self.root / "state"  # the analyzer-state volume
        return mapping

    def process_env(self, service: str, venv: Path | None = None) -> dict[str, str]:
        """The container's environment: the image's ENV, then compose's, made local."""
        paths = self.paths(service)
        bin_dir = f"{venv / 'bin'}:" if venv else ""
        result = {"PATH": bin_dir + os.environ["PATH"], "HOME": str(self.root), "LANG": "C.UTF-8"}
        image_env = dockerfile_env(dockerfile_of(service)) if built(service) else {}
        for name, value in image_env.items():
            if name != "PATH":  # the venv above stands for the image's
                result[name] = to_host(value, paths)
        for name, value in compose(self.env)["services"][service].get("environment", {}).items():
            result[name] = to_host(self.localize(str(value)), paths)
        return result

    def command(self, service: str) -> list[str]:
        paths = self.paths(service)
        return [to_host(word, paths) for word in container_command(service)]

    def healthcheck(self, service: str) -> list[str]:
        test = compose(self.env)["services"][service]["healthcheck"]["test"]
        assert test[0] == "CMD"
        return [self.localize(word) for word in test[1:]]


def built(service: str) -> bool:
    return "build" in compose(placeholder_env())["services"][service]


@pytest.fixture(scope="module")
def deployment(db_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Fresh analytics and Superset metadata databases, the admin's logs and config."""
    root = tmp_path_factory.mktemp("docker")
    suffix = secrets.token_hex(4)
    databases = {"analytics": f"test_docker_analytics_{suffix}"}
    create_database(db_server, databases["analytics"])
    if db_server.edition == "apache":
        databases["superset"] = f"test_docker_superset_{suffix}"
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


def write_admin_files(deployment: Deployment) -> None:
    """The example config with the container's paths, and yesterday's log of its site."""
    mounts = deployment.paths("analyzer")
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    for container in ("/var/log/georchestra", "/var/lib/analyzer"):
        text = text.replace(container, str(mounts[container]))
    Path(deployment.env["ANALYZER_CONFIG"]).write_text(text, encoding="utf-8")
    (deployment.root / "state").mkdir()
    live = Path(yaml.safe_load(text)["sites"][0]["logs"][0]["path"])
    live.parent.mkdir(parents=True)
    live.write_text("")
    day = (date.today() - timedelta(days=1)).strftime("%d/%b/%Y")
    rotated = LOG_TEMPLATE.read_text(encoding="utf-8").replace("@DAY@", day)
    Path(f"{live}.1").write_text(rotated, encoding="utf-8")


def run(deployment: Deployment, service: str, venv: Path, **extra: str) -> str:
    """Run a one-shot service to completion; on timeout, stop its whole process group."""
    process = subprocess.Popen(
        deployment.command(service),
        env=deployment.process_env(service, venv) | extra,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{service} still running after {DEADLINE_SECONDS} s:\n{output}")
    assert process.returncode == 0, f"{service}:\n{output}"
    return output


def venv(name: str) -> Path:
    """The native stack's virtual environment standing for an image's (ANALYZER_VENV, ...)."""
    return Path(stack_env()[name])


def require_local_stack(deployment: Deployment) -> None:
    if deployment.server.edition != "apache":
        pytest.skip("runs against the local stack's server only (socket access, Superset)")


@pytest.fixture(scope="module")
def migrated(deployment: Deployment) -> str:
    """The `migrate` service's output: the schema of the fresh analytics database."""
    return run(deployment, "migrate", venv("ANALYZER_VENV"))


def test_database_healthcheck_passes_against_a_running_server(deployment: Deployment) -> None:
    require_local_stack(deployment)
    check = deployment.healthcheck("timescaledb")
    env = os.environ | {"PGPORT": str(deployment.server.tcp_port)}
    result = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def bootstrap(deployment: Deployment, **extra: str) -> subprocess.CompletedProcess[str]:
    """timescaledb/init/10-bootstrap.sh as the image runs it: superuser over the socket."""
    paths = deployment.paths("timescaledb")
    env = deployment.process_env("timescaledb") | {
        "PGHOST": stack_env()["ANALYTICS_PG_SOCKET_DIR"],
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
    require_local_stack(deployment)
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
    require_local_stack(deployment)
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


def test_migrate_service_applies_the_schema_once(deployment: Deployment, migrated: str) -> None:
    assert "applied: 0001" in migrated
    assert "schema up to date" in run(deployment, "migrate", venv("ANALYZER_VENV"))


def test_analyzer_service_runs_the_nightly_job_at_start_and_stops_on_sigterm(
    deployment: Deployment, migrated: str
) -> None:
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
        assert process.poll() is None, log.read_text()
        assert "run finished with exit code 0" in log.read_text(), log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0 and "scheduler stopped" in log.read_text(), log.read_text()
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


def wait_until(condition: Callable[[], bool], seconds: float = DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.5)


def test_superset_services_provision_the_dashboards(deployment: Deployment, migrated: str) -> None:
    require_local_stack(deployment)
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
        assert result.stdout.strip() == f"analyzer {__version__}"
    result = entrypoint("run", "--help")
    assert result.returncode == 0 and "--dry-run" in result.stdout


def test_analyzer_entrypoint_gives_up_on_an_unreachable_database_saying_why() -> None:
    closed = f"postgresql://analytics_writer:x@127.0.0.1:{free_port()}/analytics"
    result = entrypoint("--version", ANALYZER_DATABASE_URL=closed, ANALYZER_WAIT_SECONDS="2")
    assert result.returncode != 0
    assert "database not reachable after 2 s" in result.stderr
    assert "analyzer" not in result.stdout  # the command did not run
