"""`analyzer doctor` on prepared folders: one deviation each, and a compliant one.

Dates are fixed (`TODAY`) through `doctor.examine`; the command-line tests use the real
date. Files run as root here, so read permissions are checked for a named account.
"""

from __future__ import annotations

import grp
import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analyzer import cli, doctor
from analyzer.generator.layout import generate_single
from tests.logpolicy.doctor_folders import SITE, TODAY, examine, prepare, problems, set_site

ERROR, WARNING = doctor.Severity.ERROR, doctor.Severity.WARNING


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every account may enter (pytest's own are 0700), for permission checks."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANALYZER_DATABASE_URL", raising=False)  # the ledger has its own tests


# Not gateway-json: the gateway logs no response time, which the doctor says.
@pytest.mark.parametrize("fmt", ["nginx", "apache", "traefik", "secproxy"])
def test_compliant_folder_gives_no_finding(fmt, tmp_path):
    assert examine(prepare(tmp_path, fmt, zone="Europe/Paris")) == []


def test_compliant_folder_says_nothing_and_exits_0(tmp_path, capsys):
    config_path = prepare(tmp_path, end=datetime.now(UTC).date())
    assert cli.main(["doctor", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out == ""


def test_log_never_rotated_is_an_error(tmp_path):
    config_path = prepare(tmp_path, days=1)  # access.log only
    [finding] = examine(config_path)
    assert (finding.severity, finding.subject) == (ERROR, str(tmp_path / SITE / "access.log"))
    assert "no rotated file" in finding.problem
    assert "logpolicy/logrotate" in finding.fix


def test_log_folder_that_does_not_exist_is_an_error(tmp_path):
    config_path = prepare(tmp_path, days=1)
    set_site(config_path, log_path=str(tmp_path / "elsewhere" / "access.log"))
    [finding] = examine(config_path)
    assert finding.severity is ERROR
    assert finding.problem == (
        f"its folder {tmp_path / 'elsewhere'} does not exist: the nightly job finds nothing"
    )


def test_missing_file_for_yesterday_is_an_error(tmp_path):
    config_path = prepare(tmp_path, end=TODAY - timedelta(days=3))  # rotation stopped
    assert problems(examine(config_path)) == [
        (
            ERROR,
            "access.log.1",
            f"the newest rotated file ends on {TODAY - timedelta(days=4)}: there is no file "
            f"for yesterday ({TODAY - timedelta(days=1)}), so the nightly job has nothing new "
            "to load",
        )
    ]


def test_yesterday_compressed_is_a_warning_asking_for_delaycompress(tmp_path):
    config_path = prepare(tmp_path)
    plain = tmp_path / SITE / "access.log.1"
    with plain.open("rb") as source, gzip.open(f"{plain}.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    plain.unlink()
    [finding] = examine(config_path)
    assert (finding.severity, finding.subject) == (WARNING, f"{plain}.gz")
    assert "already compressed" in finding.problem
    assert "delaycompress" in finding.fix


def test_weekly_rotation_is_found_from_the_files_time_span(tmp_path):
    config_path = prepare(tmp_path)
    weekly = tmp_path / SITE / "access.log.1"
    generate_single(weekly, "nginx", lines=3000, days=7, end_date=TODAY - timedelta(days=1),
                    seed=3, workers=1, timezone="UTC")  # fmt: skip
    [finding] = examine(config_path)
    assert (finding.severity, finding.subject) == (ERROR, str(weekly))
    assert finding.problem.startswith("it holds 7 days of requests (2026-11-17 00:")
    assert "rotation is not daily" in finding.problem


def test_unparseable_lines_are_counted_with_a_sample(tmp_path):
    config_path = prepare(tmp_path, junk_rate=0.05)
    [finding] = examine(config_path)
    assert finding.severity is ERROR
    assert re.match(
        r"\d+ of its first \d+ lines \([3-7]\.\d%\) are not read by the nginx format and "
        r"are not counted; first: line \d+ \([a-z ]+\): .",
        finding.problem,
    ), finding.problem


def test_a_few_unparseable_lines_are_only_a_warning(tmp_path):
    config_path = prepare(tmp_path)
    yesterday = tmp_path / SITE / "access.log.1"
    stamp = yesterday.stat().st_mtime
    yesterday.write_text("\x16\x03\x01 TLS on the HTTP port\n" + yesterday.read_text())
    os.utime(yesterday, (stamp, stamp))
    [finding] = examine(config_path)
    assert finding.severity is WARNING
    assert "first: line 1 (no match): \x16\x03\x01 TLS on the HTTP port" in finding.problem


def test_missing_response_time_is_a_warning(tmp_path):
    config_path = prepare(tmp_path, "nginx-combined")
    assert problems(examine(config_path)) == [
        (
            WARNING,
            "access.log.1",
            "no line has a response time: the response-time charts stay empty",
        )
    ]


def test_format_without_user_or_agent_is_a_warning(tmp_path):
    config_path = prepare(tmp_path, "haproxy")
    found = problems(examine(config_path))
    assert [severity for severity, _, _ in found] == [WARNING, WARNING]
    assert found[0][2].startswith("no line has a user agent")
    assert found[1][2].startswith("the haproxy format has no user field")


def test_site_zone_other_than_the_servers_clock_is_an_error(tmp_path):
    # HAProxy writes Paris time without offset; the configuration says UTC.
    config_path = prepare(tmp_path, "haproxy", zone="Europe/Paris")
    set_site(config_path, timezone="UTC")
    found = [f for f in examine(config_path) if f.severity is ERROR]
    assert problems(found) == [
        (
            ERROR,
            "access.log.1",
            "its last line is dated 2026-11-23 23:59 +0000 but the file was last written "
            "1.0 hours before (2026-11-23 22:59 UTC): requests land in the wrong hours, and "
            "near midnight in the wrong days",
        )
    ]
    assert "set the site's `timezone`" in found[0].fix


def test_unreadable_file_is_an_error_for_the_analyzer_account(shared_dir):
    config_path = prepare(shared_dir)
    yesterday = shared_dir / SITE / "access.log.1"
    nobody = doctor.Account.named("nobody")
    assert examine(config_path, nobody) == []
    yesterday.chmod(0o000)
    [finding] = examine(config_path, nobody)
    assert (finding.severity, finding.subject) == (ERROR, str(yesterday))
    assert finding.problem.startswith("not readable by nobody, the account that runs the")
    assert "(file 0000 root:root, folder 0755 root:root)" in finding.problem
    assert examine(config_path) == []  # root reads it


def test_group_readable_file_is_readable_by_a_member_of_the_group(shared_dir):
    config_path = prepare(shared_dir)
    yesterday = shared_dir / SITE / "access.log.1"
    adm = grp.getgrnam("adm").gr_gid
    os.chown(yesterday, 0, adm)
    yesterday.chmod(0o640)
    member = doctor.Account("analyzer", uid=4242, gids=frozenset({4242, adm}))
    stranger = doctor.Account("stranger", uid=4343, gids=frozenset({4343}))
    assert examine(config_path, member) == []
    assert [f.subject for f in examine(config_path, stranger)] == [str(yesterday)]


def test_unreadable_file_makes_the_command_exit_1(shared_dir, capsys):
    config_path = prepare(shared_dir, end=datetime.now(UTC).date())
    (shared_dir / SITE / "access.log.2.gz").chmod(0o000)
    code = cli.main(["doctor", "--config", str(config_path), "--user", "nobody"])
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith(f"error: {SITE}: {shared_dir / SITE / 'access.log.2.gz'}: not readable")
    assert "\n  fix: let nobody read the logs" in out


def test_format_no_preset_reads_is_an_error(tmp_path):
    config_path = prepare(tmp_path)
    set_site(config_path, log_format="auto")
    (tmp_path / SITE / "access.log.1").write_text("these are not\naccess log lines\n")
    [finding] = examine(config_path)
    assert finding.severity is ERROR
    assert "no preset format" in finding.problem


def test_unknown_site_is_a_configuration_error(tmp_path, capsys):
    config_path = prepare(tmp_path, days=1)
    assert cli.main(["doctor", "--config", str(config_path), "--site", "nowhere"]) == 3
    assert "no site named 'nowhere' (sites: site)" in capsys.readouterr().err
