"""Deploy for real to Debian 13 targets (one central server, three sites) and check them.

ansible/tests/converge.sh builds the targets, boots their systemd, runs the playbook twice
and fails unless the second run changes nothing; these tests then look inside the targets.
Needs root, mmdebstrap, unshare and nsenter; takes a few minutes (most of it Superset), so
conftest.py starts it in the background when the tests are collected and runs these last.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.ansible.harness import (
    DB_PORT,
    REPO,
    SUPERSET_PORT,
    TARGETS,
    BackgroundDeployment,
    inventory_host_vars,
    locked_by_this_process,
    on_target,
    psql,
    target_path,
    targets_lock,
    vault_secrets,
)

pytestmark = pytest.mark.slow

SITES = ("site-nginx", "site-apache", "site-haproxy")
SUPERSET = f"http://127.0.0.1:{SUPERSET_PORT}"
COLLECTOR = "georchestra-analytics-collector"


NOT_IDEMPOTENT = 3  # converge.sh's exit status when the second run changed something


@pytest.fixture(scope="module")
def deployment(background_deployment: BackgroundDeployment | None) -> Iterator[None]:
    """Wait for the deployment started at collection (conftest.py); power the targets off
    afterwards. Without one (ANALYTICS_TARGETS_REUSE=1), check the targets as they are.
    """
    if background_deployment is None:
        with targets_lock():
            yield
        return
    try:
        # Idempotence is the first test's business: the others still run.
        status = background_deployment.wait()
        if status not in (0, NOT_IDEMPOTENT):
            output = background_deployment.output()
            pytest.fail(f"the deployment failed (exit {status}):\n{output[-9000:]}")
        with locked_by_this_process():  # the session holds the targets' lock
            yield
    finally:
        background_deployment.close()


def test_second_run_changes_nothing_on_any_host(deployment: None) -> None:
    recap = (TARGETS / "logs" / "second-run.log").read_text()
    changed = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", recap, re.MULTILINE))
    assert changed == {"central": "0", **{site: "0" for site in SITES}}


def test_database_has_schema_extension_and_roles(deployment: None) -> None:
    roles = {row[0] for row in psql("SELECT rolname FROM pg_roles")}
    assert {"analytics_owner", "analytics_writer", "analytics_reader", "superset"} <= roles
    assert psql("SELECT extname FROM pg_extension WHERE extname = 'timescaledb'") == [
        ["timescaledb"]
    ]
    migrations = [row[0] for row in psql("SELECT version FROM analytics.schema_migrations")]
    shipped = sorted(p.name[:4] for p in (REPO / "timescaledb" / "migrations").glob("*.sql"))
    assert sorted(migrations) == shipped
    owner = psql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'analytics' AND tablename = 'requests'"
    )
    assert owner == [["analytics_owner"]]


def test_each_collector_configuration_follows_the_inventory(deployment: None) -> None:
    for host in SITES:
        config = yaml.safe_load(
            target_path(host, "/etc/georchestra-analytics/analyzer.yaml").read_text()
        )
        assert config["sites"] == inventory_host_vars(host)["analytics_collector_sites"], host
        assert config["timezone"] == "Europe/Paris"
        env = target_path(host, "/etc/georchestra-analytics/analyzer.env").read_text()
        assert re.search(
            rf"^ANALYZER_DATABASE_URL=postgresql://analytics_writer:[^@]+@127\.0\.0\.1:{DB_PORT}/analytics$",
            env,
            re.MULTILINE,
        ), host
        # The analyzer reads its secrets; nobody else does.
        mode = on_target(host, "stat", "-c", "%a %U %G", "/etc/georchestra-analytics/analyzer.env")
        assert mode.stdout.split() == ["640", "root", "analyzer"]


def test_collector_runs_load_each_sites_logs_under_its_name(
    deployment: None, tmp_path: Path
) -> None:
    expected = {}
    for host in SITES:
        site = inventory_host_vars(host)["analytics_collector_sites"][0]
        expected[site["name"]] = _install_generated_logs(host, site, tmp_path / host)
    for host in SITES:
        run = on_target(host, "systemctl", "start", f"{COLLECTOR}.service", check=False)
        journal = on_target(
            host, "journalctl", "-u", f"{COLLECTOR}.service", "--no-pager", check=False
        )
        assert run.returncode == 0, f"{host}: {run.stderr}\n{journal.stdout[-3000:]}"
    loaded = dict(psql("SELECT site, count(*) FROM analytics.requests GROUP BY site"))
    assert {site: int(count) for site, count in loaded.items()} == expected


def _install_generated_logs(host: str, site: dict, work: Path) -> int:
    """Generate two days of the site's format into its log folder; return the rotated lines."""
    log = site["logs"][0]
    subprocess.run(
        [
            str(REPO / ".local" / "venv" / "bin" / "analyzer"),
            "generate",
            "--out",
            str(work),
            "--sites",
            f"{site['name']}:{log['format']}",
            "--days",
            "3",
            "--requests-per-day",
            "300",
            "--timezone",
            site["timezone"],
            "--workers",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    folder = Path(log["path"]).parent  # as the target sees it
    on_host = target_path(host, str(folder))
    on_host.mkdir(parents=True, exist_ok=True)
    rotated = 0
    for file in sorted((work / site["name"]).glob("access.log*")):
        (on_host / file.name).write_bytes(file.read_bytes())
        if file.name != "access.log":
            opener = gzip.open if file.suffix == ".gz" else open
            with opener(file, "rb") as lines:
                rotated += sum(1 for _ in lines)
    # Logs are root:adm 0640 on Debian; the collector reads them through the adm group.
    on_target(host, "sh", "-c", f"chown -R root:adm {folder} && chmod 0640 {folder}/access.log*")
    return rotated


def test_services_and_timers_are_enabled_and_running(deployment: None) -> None:
    units = {
        "central": [
            "postgresql@17-main.service",
            "georchestra-analytics-superset.service",
            "georchestra-analytics-backup.timer",
        ],
        **{site: [f"{COLLECTOR}.timer"] for site in SITES},
    }
    for host, names in units.items():
        for unit in names:
            enabled = on_target(host, "systemctl", "is-enabled", unit, check=False).stdout.strip()
            active = on_target(host, "systemctl", "is-active", unit, check=False).stdout.strip()
            assert (enabled, active) == ("enabled", "active"), f"{host}: {unit}"


def test_nightly_backup_writes_a_dump_of_each_database(deployment: None) -> None:
    on_target("central", "systemctl", "start", "georchestra-analytics-backup.service")
    names = on_target("central", "ls", "/var/backups/georchestra-analytics").stdout.split()
    assert {re.sub(r"-\d{8}T\d{6}", "", name) for name in names} == {
        "analytics.dump",
        "superset.dump",
        "roles.sql",
    }


def test_superset_answers_with_the_provisioned_dashboards(deployment: None) -> None:
    with urllib.request.urlopen(f"{SUPERSET}/health", timeout=10) as response:
        assert response.read() == b"OK"
    secrets = vault_secrets()
    login = _post_json(
        f"{SUPERSET}/api/v1/security/login",
        {
            "username": "admin",
            "password": secrets["vault_analytics_superset_admin_password"],
            "provider": "db",
            "refresh": False,
        },
    )
    request = urllib.request.Request(
        f"{SUPERSET}/api/v1/dashboard/?q=(page_size:100)",
        headers={"Authorization": f"Bearer {login['access_token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        dashboards = json.load(response)["result"]
    assert dashboards, "no dashboard was provisioned"


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)
