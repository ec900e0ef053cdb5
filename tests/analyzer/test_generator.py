"""`analyzer generate`: logrotate's layout, one local day per file, config.yaml, determinism."""

from __future__ import annotations

import gzip
import itertools
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer import config
from analyzer.cli import main
from analyzer.generator import data, writer
from analyzer.generator.layout import SiteSpec, generate_single, generate_tree

PARIS = ZoneInfo("Europe/Paris")
END = date(2026, 3, 30)  # a Monday; Sunday 29 March 2026 is the spring DST change in Paris
CLF_TIME = re.compile(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]")
CHECK_STATUS = re.compile(r'HTTP/1\.1" (\d+) ')
SUMMARY = re.compile(r"^(?P<path>\S+): (?P<lines>\d+) lines(?: \((?P<junk>\d+) junk\))?$")


def tree(out: Path, seed: int = 3, **overrides) -> list:
    options = dict(days=4, end_date=END, requests_per_day=400, seed=seed, junk_rate=0.0)
    options.update(overrides)
    sites = [SiteSpec("rennes", "nginx"), SiteSpec("brest", "traefik")]
    return generate_tree(out, sites, **options)


def local_days(text: str, zone: ZoneInfo = PARIS) -> set[date]:
    """The local dates of CLF timestamps."""
    stamps = CLF_TIME.findall(text)
    return {datetime.strptime(s, "%d/%b/%Y:%H:%M:%S %z").astimezone(zone).date() for s in stamps}


def read_log(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as stream:  # binary junk
        return stream.read()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    tree(out)
    return out


def test_rotated_files_follow_logrotate_with_delaycompress(generated):
    names = sorted(path.name for path in (generated / "rennes").iterdir())
    assert names == ["access.log", "access.log.1", "access.log.2.gz", "access.log.3.gz"]
    magic = {name: (generated / "rennes" / name).read_bytes()[:2] for name in names}
    assert magic["access.log"] != b"\x1f\x8b" and magic["access.log.1"] != b"\x1f\x8b"
    assert magic["access.log.2.gz"] == magic["access.log.3.gz"] == b"\x1f\x8b"


@pytest.mark.parametrize("site", ["rennes", "brest"])
def test_each_file_holds_one_local_day_even_when_logged_in_utc(generated, site):
    for age, name in enumerate(["access.log", "access.log.1", "access.log.2.gz"]):
        assert local_days(read_log(generated / site / name)) == {END - timedelta(days=age)}


def test_the_dst_day_switches_offset_at_two_in_the_morning(generated):
    stamps = CLF_TIME.findall(read_log(generated / "rennes" / "access.log.1"))
    before = [s for s in stamps if s.endswith("+0100")]
    after = [s for s in stamps if s.endswith("+0200")]
    assert before and after
    assert max(s[12:20] for s in before) < "02:00:00" <= min(s[12:20] for s in after)


def test_weekend_days_are_quieter_than_weekdays(generated):
    monday = read_log(generated / "rennes" / "access.log").count("\n")
    saturday = read_log(generated / "rennes" / "access.log.2.gz").count("\n")
    assert saturday < monday / 2


def test_config_yaml_is_a_valid_configuration_for_the_generated_sites(generated):
    settings = config.load(generated / "config.yaml")
    by_name = {site.name: site for site in settings.sites}
    assert set(by_name) == {"rennes", "brest"}
    assert by_name["brest"].logs[0].format == "traefik"
    assert by_name["rennes"].logs[0].path == (generated / "rennes" / "access.log").resolve()
    assert by_name["rennes"].timezone == "Europe/Paris"


def test_config_names_the_preset_that_reads_each_generated_format(tmp_path):
    sites = [SiteSpec(fmt.replace("-", "_"), fmt) for fmt in data.FORMATS]
    generate_tree(tmp_path, sites, days=1, end_date=END, requests_per_day=10, seed=1)
    presets = [site.logs[0].format for site in config.load(tmp_path / "config.yaml").sites]
    assert presets == list(data.FORMATS.values())
    assert presets[sites.index(SiteSpec("nginx_combined", "nginx-combined"))] == "nginx"


def test_same_seed_writes_the_same_bytes_and_another_seed_other_ones(generated, tmp_path):
    tree(tmp_path / "again")
    tree(tmp_path / "other", seed=4)
    for name in ["access.log", "access.log.1", "access.log.2.gz", "access.log.3.gz"]:
        first = (generated / "rennes" / name).read_bytes()
        assert (tmp_path / "again" / "rennes" / name).read_bytes() == first
        assert (tmp_path / "other" / "rennes" / name).read_bytes() != first


def test_sites_written_by_worker_processes_have_the_same_bytes(generated, tmp_path):
    tree(tmp_path, workers=2)
    for site in ("rennes", "brest"):
        for path in sorted((generated / site).iterdir()):
            assert (tmp_path / site / path.name).read_bytes() == path.read_bytes()


def test_worker_processes_do_not_change_the_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "SLICE_LINES", 500)  # several slices for the workers to share
    options = dict(lines=3000, days=2, end_date=END, seed=9, junk_rate=0.01)
    one = generate_single(tmp_path / "one.log", "haproxy", workers=1, **options)
    two = generate_single(tmp_path / "two.log", "haproxy", workers=2, **options)
    assert (tmp_path / "one.log").read_bytes() == (tmp_path / "two.log").read_bytes()
    assert one.lines == two.lines == 3000 + one.junk


def test_single_file_mode_writes_the_requested_lines_gzipped_when_asked(tmp_path):
    report = generate_single(
        tmp_path / "bench.log.gz", "nginx", lines=1234, days=3, end_date=END, seed=1
    )
    assert (report.lines, report.junk) == (1234, 0)
    assert read_log(tmp_path / "bench.log.gz").count("\n") == 1234


def test_cli_summary_lists_every_file_with_its_lines_and_junk(tmp_path, capsys):
    code = main(
        ["generate", "--out", str(tmp_path), "--sites", "quimper:haproxy,lorient", "--days", "3",
         "--end-date", "2026-06-15", "--requests-per-day", "300", "--junk-rate", "0.05"]
    )  # fmt: skip
    assert code == 0
    found = [SUMMARY.match(line) for line in capsys.readouterr().err.splitlines()]
    files = {Path(m["path"]): (int(m["lines"]), int(m["junk"] or 0)) for m in found if m}
    assert len(files) == 6
    for path, (lines, junk) in files.items():
        assert read_log(path).count("\n") == lines
        assert 0 < junk < lines


def test_a_site_can_name_its_own_time_zone(tmp_path):
    sites = "cayenne:traefik:America/Cayenne,rennes"
    argv = [
        "--sites",
        sites,
        "--days",
        "2",
        "--end-date",
        "2026-07-01",
        "--requests-per-day",
        "300",
    ]
    assert main(["generate", "--out", str(tmp_path), *argv]) == 0
    zones = {site.name: site.timezone for site in config.load(tmp_path / "config.yaml").sites}
    assert zones == {"cayenne": "America/Cayenne", "rennes": "Europe/Paris"}
    text = read_log(tmp_path / "cayenne" / "access.log.1")
    assert local_days(text, ZoneInfo("America/Cayenne")) == {date(2026, 6, 30)}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sites", "a:csv"], "unknown format 'csv'"),
        (["--sites", "a,a"], "distinct site names"),
        (["--sites", "a/b"], "sites[0].name"),
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--sites", "a:nginx:Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_cli_refuses_bad_arguments_with_a_clear_message(tmp_path, capsys, argv, message):
    assert main(["generate", "--out", str(tmp_path), *argv]) != 0
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_every_site_is_checked_by_monitoring_probes_at_a_steady_pace_day_and_night(tmp_path):
    """A check every interval, scaled to the site's volume (the demo's 6,000 requests a
    day: kube-probe every 10 minutes), on the same schedule every day; rare failures."""
    sites = [SiteSpec("rennes", "nginx")]
    generate_tree(tmp_path, sites, days=2, end_date=END, requests_per_day=6000, seed=3)
    days = [read_log(tmp_path / "rennes" / name) for name in ("access.log", "access.log.1")]
    schedules = []
    for text, hours in zip(days, (24, 23), strict=True):  # Sunday 29 March lost an hour
        checks = [line for line in text.splitlines() if '"kube-probe/1.29"' in line]
        stamps = [
            int(datetime.strptime(CLF_TIME.findall(line)[0], "%d/%b/%Y:%H:%M:%S %z").timestamp())
            for line in checks
        ]
        assert len(stamps) == hours * 6
        assert {b - a for a, b in itertools.pairwise(stamps)} <= {599, 600, 601}
        schedules.append({stamp % 600 for stamp in stamps})
        statuses = Counter(int(CHECK_STATUS.search(line)[1]) for line in checks)
        assert set(statuses) <= {200, 500, 502, 503} and statuses[200] > 0.95 * len(checks)
    assert len(schedules[0] | schedules[1]) <= 2  # the same instants (give or take a second)
    for probe in data.PROBES:
        assert f'"{probe.user_agent}"' in days[0] and probe.address in days[0]
    site = config.load(tmp_path / "config.yaml").sites[0]
    assert site.probes.addresses == (data.SUPERVISION_ADDRESS + "/32",)


def test_a_small_site_is_checked_less_often_and_its_checks_count_in_its_lines(tmp_path):
    report = generate_single(
        tmp_path / "small.log", "nginx", lines=600, days=1, end_date=END, seed=2
    )
    text = read_log(tmp_path / "small.log")
    assert report.lines == text.count("\n") == 600
    assert 0 < text.count("kube-probe") <= 600 * 0.05
