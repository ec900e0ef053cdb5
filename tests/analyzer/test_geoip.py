"""Clients located by country and region, from a GeoIP database built here (mmdb-writer).

The lookup reads the address as logged, before anonymization; without a database nothing
changes; a file that cannot serve is refused with a message naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer import config
from analyzer.errors import ConfigError
from analyzer.formats import build_format
from analyzer.generator import geoip as demo
from analyzer.geoip import GEOIP_ENV, NOWHERE, locator, place_of
from analyzer.interpret import SiteContext, to_request
from analyzer.settings import SiteConfig

NETWORKS = [
    ("90.12.4.0/25", "FR", "Brittany"),
    ("90.12.4.128/25", "BE", None),  # the same /24 as above: two countries
    ("2a01:cb00::/32", "FR", "Île-de-France"),
]


@pytest.fixture(scope="module")
def mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.write_mmdb(tmp_path_factory.mktemp("geoip") / "test.mmdb", NETWORKS)


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("90.12.4.7", ("FR", "Brittany")),
        ("90.12.4.200", ("BE", None)),
        ("2a01:cb00:12::9", ("FR", "Île-de-France")),
        ("[2a01:cb00::1]", ("FR", "Île-de-France")),
        ("::ffff:90.12.4.7", ("FR", "Brittany")),
        ("203.0.113.7", NOWHERE),  # not in the database
        ("host.example", NOWHERE),
        ("-", NOWHERE),
        (None, NOWHERE),
    ],
)
def test_addresses_are_located(mmdb: Path, address: str | None, place: tuple) -> None:
    assert locator(mmdb)(address) == place


def test_without_a_database_nothing_is_located() -> None:
    assert locator(None)("90.12.4.7") == NOWHERE


def test_the_registered_country_stands_in_for_a_missing_country() -> None:
    assert place_of({"registered_country": {"iso_code": "US"}}) == ("US", None)
    assert place_of({"continent": {"code": "EU"}}) == NOWHERE
    assert place_of(None) == NOWHERE


def test_the_address_is_located_before_it_is_anonymized(mmdb: Path) -> None:
    """90.12.4.200 is in Belgium; its anonymized 90.12.4.0 would read as France."""
    site = SiteConfig("s", ip_mode="anonymize", geoip_database=mmdb)
    fmt = build_format("nginx", ZoneInfo("UTC"))
    raw = fmt.parse(
        '90.12.4.200 - - [18/Oct/2023:17:36:06 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" 0.1'
    )
    request = to_request(raw, 1, SiteContext.for_site(site))
    assert (request.client_ip, request.country, request.region) == ("90.12.4.0", "BE", None)


def _config(tmp_path: Path, geoip_line: str) -> Path:
    (tmp_path / "a.log").write_text("")
    path = tmp_path / "analyzer.yaml"
    path.write_text(f"{geoip_line}\nsites:\n  - name: a\n    logs: [{{path: {tmp_path}/a.log}}]\n")
    return path


def test_the_configured_database_reaches_every_site(mmdb: Path, tmp_path: Path) -> None:
    settings = config.load(_config(tmp_path, f"geoip_database: {mmdb}"))
    assert [site.geoip_database for site in settings.sites] == [mmdb]


def test_the_environment_gives_the_database_when_the_file_does_not(
    mmdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GEOIP_ENV, str(mmdb))
    assert config.load(_config(tmp_path, "")).sites[0].geoip_database == mmdb


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"not a database", "not an MMDB file"),
    ],
)
def test_a_database_that_cannot_serve_is_refused(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.mmdb"
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(ConfigError, match=f"geoip_database: GeoIP database {bad}: {message}"):
        config.load(_config(tmp_path, f"geoip_database: {bad}"))


def test_a_database_without_countries_is_refused(tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    writer.insert_network(IPSet(["8.8.8.0/24"]), {"autonomous_system_number": 15169})
    asn = tmp_path / "asn.mmdb"
    writer.to_db_file(str(asn))
    with pytest.raises(ConfigError, match="has no countries"):
        config.load(_config(tmp_path, f"geoip_database: {asn}"))


def _parse(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "analyzer", "parse", "--site", "s", *args, "-"]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)


def test_parse_writes_country_and_region(mmdb: Path) -> None:
    line = '90.12.4.7 - - [18/Oct/2023:17:36:06 +0200] "GET / HTTP/1.1" 200 5 "-" "curl/8" 0.1\n'
    done = _parse("--format", "nginx", "--geoip-database", str(mmdb), stdin=line)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["client_ip"], record["country"], record["region"]) == (
        "90.12.4.0",
        "FR",
        "Brittany",
    )
    plain = json.loads(_parse("--format", "nginx", stdin=line).stdout)
    assert (plain["country"], plain["region"]) == (None, None)


def test_parse_refuses_a_bad_database(tmp_path: Path) -> None:
    done = _parse("--geoip-database", str(tmp_path / "none.mmdb"), stdin="")
    assert done.returncode == 2
    assert f"--geoip-database: GeoIP database {tmp_path}/none.mmdb: no such file" in done.stderr
