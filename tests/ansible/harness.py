"""The Ansible deployment's test harness: ansible/tests/converge.sh and its targets."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import yaml

from tests.support.stack import REPO

ANSIBLE = REPO / "ansible"
CONVERGE = ANSIBLE / "tests" / "converge.sh"
INVENTORY = ANSIBLE / "tests" / "inventory"
TARGETS = Path(
    os.environ.get("ANALYTICS_TARGETS_DIR", "/var/lib/georchestra-analytics/ansible-targets")
)
# The same defaults as converge.sh.
DB_PORT = int(os.environ.get("ANALYTICS_TARGETS_DB_PORT", "15432"))
SUPERSET_PORT = int(os.environ.get("ANALYTICS_TARGETS_SUPERSET_PORT", "18088"))


@contextmanager
def targets_lock() -> Iterator[None]:
    """Hold converge.sh's lock on the targets for a whole test module."""
    with _lock_targets(), locked_by_this_process():
        yield


def _lock_targets() -> IO[str]:
    """converge.sh's lock on the targets, held until the file is closed."""
    TARGETS.mkdir(parents=True, exist_ok=True)
    lock = open(TARGETS / ".lock", "w")  # noqa: SIM115 (the caller closes it)
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


class BackgroundDeployment:
    """`converge.sh all`, started when the session's tests are collected.

    The deployment takes minutes, most of them spent waiting on downloads, package installs
    and services booting in the targets: started first and checked last, it overlaps the
    rest of the suite. It holds the targets' lock from start to finish.
    """

    def __init__(self) -> None:
        self._lock = _lock_targets()
        (TARGETS / "logs").mkdir(exist_ok=True)
        self.log = TARGETS / "logs" / "converge.log"
        self._output = open(self.log, "w")  # noqa: SIM115 (the child writes it)
        self._process = subprocess.Popen(
            [str(CONVERGE), "all"],
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=os.environ | {"ANALYTICS_TARGETS_LOCKED": "1"},
            start_new_session=True,  # its own process group, so that close() stops it all
        )
        self.targets_up = True

    def wait(self) -> int:
        """converge.sh's exit status, once it has finished."""
        return self._process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        """Stop the deployment if it still runs (an aborted session), power the targets off."""
        try:
            if self._process.poll() is None:
                os.killpg(self._process.pid, signal.SIGTERM)
                self._process.wait()
            if self.targets_up:
                with locked_by_this_process():
                    converge("down")
                self.targets_up = False
        finally:
            self._output.close()
            self._lock.close()


@contextmanager
def locked_by_this_process() -> Iterator[None]:
    """Tell converge.sh that the caller already holds the targets' lock."""
    os.environ["ANALYTICS_TARGETS_LOCKED"] = "1"
    try:
        yield
    finally:
        del os.environ["ANALYTICS_TARGETS_LOCKED"]


def converge(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a step of converge.sh; its output is kept for the failure message."""
    result = subprocess.run(
        [str(CONVERGE), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"converge.sh {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout (end)\n{result.stdout[-6000:]}\n--- stderr (end)\n{result.stderr[-4000:]}"
        )
    return result


def on_target(host: str, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command inside a booted target."""
    return converge("exec", host, *command, check=check)


def psql(query: str) -> list[list[str]]:
    """Rows of a query on the central database, as the postgres superuser (peer, socket)."""
    out = on_target(
        "central",
        "su",
        "postgres",
        "-s",
        "/bin/sh",
        "-c",
        f"psql -X -At -F '|' -p {DB_PORT} -d analytics -c \"{query}\"",
    ).stdout
    return [line.split("|") for line in out.splitlines() if line]


def target_path(host: str, path: str) -> Path:
    """A target's file, seen from the controller (the target's root is a folder here)."""
    return TARGETS / "hosts" / host / path.lstrip("/")


def inventory_host_vars(host: str) -> dict:
    return yaml.safe_load((INVENTORY / "host_vars" / f"{host}.yml").read_text())


def vault_secrets() -> dict[str, str]:
    """The secrets converge.sh generated, decrypted with its vault password."""
    view = converge(
        "tool",
        "ansible-vault",
        "view",
        "--vault-password-file",
        str(TARGETS / "secrets" / "vault-pass"),
        str(TARGETS / "secrets" / "vault.yml"),
    )
    return yaml.safe_load(view.stdout)
