"""Every shipped logrotate rule, rendered as Ansible would, is accepted by `logrotate --debug`."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from tests.support.stack import REPO

RULES = sorted((REPO / "logpolicy" / "logrotate").glob("*.conf"))
REQUIRED = ("daily", "delaycompress", "compress", "postrotate")


def render(rule: Path, log: Path, keep_days: int = 14) -> str:
    """The rule as the analytics_collector role renders it (``item.1`` is the log)."""
    template = jinja2.Template(rule.read_text(), undefined=jinja2.StrictUndefined)
    return template.render(
        item=({"name": "site"}, {"path": str(log)}),
        analytics_collector_logrotate_keep_days=keep_days,
    )


def test_a_rule_is_shipped_for_each_server():
    assert [rule.stem for rule in RULES] == ["apache", "haproxy", "nginx", "traefik"]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.stem)
def test_logrotate_debug_accepts_the_rule(rule: Path, tmp_path: Path):
    logrotate = shutil.which("logrotate")
    assert logrotate, "logrotate is missing: apt-get install logrotate (./stack test does)"
    log = tmp_path / "logs" / "access.log"
    log.parent.mkdir()
    log.write_text("a line\n")
    config = tmp_path / "rule.conf"
    config.write_text(render(rule, log, keep_days=9))
    done = subprocess.run(
        [logrotate, "--debug", "--state", str(tmp_path / "state"), str(config)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower(), done.stderr
    # The debug output shows the rule was read for our file, with our retention.
    assert f"considering log {log}" in done.stderr
    assert "9 rotations" in done.stderr  # "rotating pattern: ... 9 rotations"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.stem)
def test_rule_rotates_daily_and_leaves_yesterday_uncompressed(rule: Path, tmp_path: Path):
    directives = {line.split()[0] for line in render(rule, tmp_path).splitlines() if line.strip()}
    assert set(REQUIRED) <= directives
    assert not directives & {"weekly", "monthly", "dateext", "nocompress", "copytruncate"}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.stem)
def test_two_nights_leave_yesterday_plain_and_the_day_before_compressed(rule, tmp_path):
    logrotate = shutil.which("logrotate")
    assert logrotate, "logrotate is missing: apt-get install logrotate (./stack test does)"
    log = tmp_path / "access.log"
    # The reload signals a server that is not here: the rotation itself is under test.
    text = re.sub(r"postrotate.*?endscript", "", render(rule, log), flags=re.S)
    config = tmp_path / "rule.conf"
    config.write_text(text)
    for night in ("monday", "tuesday"):
        with log.open("a") as live:
            live.write(f"{night} line\n")
        command = [logrotate, "--force", "--state", str(tmp_path / "state"), str(config)]
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert log.read_text() == ""  # recreated by `create`
    assert (tmp_path / "access.log.1").read_text() == "tuesday line\n"
    assert gzip.decompress((tmp_path / "access.log.2.gz").read_bytes()) == b"monday line\n"
