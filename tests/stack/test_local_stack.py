"""The local stack started by ./stack up: real services, on loopback only, idempotent."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.support.stack import REPO, require, stack_env


def server_data() -> Path:
    """The data folder of the stack's own server (ANALYTICS_EDITION's)."""
    return REPO / ".local" / f"pg-{require('ANALYTICS_EDITION')}" / "data"


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on the port, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_analytics_database_has_timescaledb():
    with psycopg.connect(require("ANALYZER_DATABASE_URL")) as conn:
        version = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
        ).fetchone()
    assert version and version[0].startswith("2.")


def test_stack_serves_the_docker_images_edition_by_default_and_the_other_beside_it():
    script = (REPO / "scripts" / "stack" / "timescaledb.sh").read_text()
    assert 'ANALYTICS_EDITION="${ANALYTICS_EDITION:-timescale}"' in script
    version = re.search(r"^TIMESCALEDB_VERSION=(\S+)$", script, re.MULTILINE)[1]
    found = {}
    for edition in ("timescale", "apache"):
        url = stack_env().get(f"ANALYTICS_ADMIN_URL_{edition.upper()}")
        assert url, f"./stack test serves the {edition} edition"
        with psycopg.connect(url.replace("/postgres?", "/analytics?")) as conn:
            found[edition] = conn.execute(
                "SELECT current_setting('timescaledb.license'), extversion"
                " FROM pg_extension WHERE extname = 'timescaledb'"
            ).fetchone()
    assert found["timescale"] == ("timescale", version)  # built from the release tarball
    assert found["apache"][0] == "apache"  # Debian's package


def test_server_runs_with_the_tuned_settings_it_was_given():
    """Memory settings take effect only at a restart: the first `up` must write them
    before it starts the server, a later `up` that changes them must restart it."""
    conf = (server_data() / "analytics.conf").read_text()
    written = dict(re.findall(r"^(shared_buffers|wal_buffers) = (\S+)$", conf, re.MULTILINE))
    assert set(written) == {"shared_buffers", "wal_buffers"}, "analyzer db tune's settings"
    with psycopg.connect(require("ANALYTICS_ADMIN_URL")) as conn:
        running = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in written}
        pending = conn.execute("SELECT name FROM pg_settings WHERE pending_restart").fetchall()
    assert running == written
    assert pending == []


def test_database_listens_on_loopback_only():
    port = int(require("ANALYTICS_PG_PORT"))
    # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex.
    assert listening_addresses(port) == {"0100007F"}


def test_application_roles_are_not_superusers():
    with psycopg.connect(require("ANALYTICS_ADMIN_URL")) as conn:
        rows = conn.execute(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname IN "
            "('analytics_owner', 'analytics_writer', 'analytics_reader', 'superset')"
        ).fetchall()
    assert len(rows) == 4
    assert all(not (sup or createrole or createdb) for _, sup, createrole, createdb in rows)


def test_second_up_keeps_the_running_services():
    pid_file = server_data() / "postmaster.pid"
    before = pid_file.read_text().split()[0]
    result = subprocess.run(
        [str(REPO / "stack"), "up"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "stack is up" in result.stderr
    assert pid_file.read_text().split()[0] == before


@pytest.mark.parametrize("command", ["status"])
def test_status_reports_each_service(command):
    result = subprocess.run(
        [str(REPO / "stack"), command], capture_output=True, text=True, timeout=60
    )
    assert f"timescaledb: {require('ANALYTICS_EDITION')} edition running" in result.stdout
    assert "superset:" in result.stdout
