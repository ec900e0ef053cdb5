"""A Docker deployment mapped onto this machine, to run the containers' commands natively.

Container paths map to the repository (the Dockerfiles' COPY lines, compose's bind mounts)
or to test folders (volumes, the admin's logs and config), `timescaledb:5432` to the local
stack's server, and the variables are those of .env.example filled in with the server's
role passwords and test values.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tests.docker.distribution import (
    bind_mounts,
    built,
    compose,
    container_command,
    dockerfile_env,
    dockerfile_of,
    image_paths,
    placeholder_env,
    to_host,
)
from tests.support.databases import Server
from tests.support.stack import REPO, stack_env

# Bind mounts of the admin's own files, not shipped in the repository.
USER_MOUNTS = ("/etc/analyzer", "/var/log/georchestra")
EXAMPLE_CONFIG = REPO / "analyzer" / "docker" / "analyzer.example.yaml"
LOG_TEMPLATE = Path(__file__).parent / "fixtures" / "access.log.template"
DEADLINE_SECONDS = 900  # generous bounds on waits (a busy 2-core CI), not speed checks


def require_program(name: str, debian_package: str) -> None:
    """Fail, saying what to install, when a client program the image has is missing here."""
    if shutil.which(name) is None:
        pytest.fail(f"{name} is not installed here: apt-get install {debian_package}")


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
            ANALYZER_CONFIG_DIR=str(self.root / "config"),
            ANALYTICS_SITES="my-platform",
            SUPERSET_APP_ROOT="",  # left empty, as the example has it: served at the root
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


def write_admin_files(deployment: Deployment) -> None:
    """The example config with the container's paths, and yesterday's log of its site."""
    mounts = deployment.paths("analyzer")
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    for container in ("/var/log/georchestra", "/var/lib/analyzer"):
        text = text.replace(container, str(mounts[container]))
    config_dir = Path(deployment.env["ANALYZER_CONFIG_DIR"])
    config_dir.mkdir()
    (config_dir / "analyzer.yaml").write_text(text, encoding="utf-8")
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


def wait_until(condition: Callable[[], bool], seconds: float = DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.5)
