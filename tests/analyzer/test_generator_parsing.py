"""Generated logs through `analyzer parse`: every format is read, and the traffic is realistic.

The generator's summary is the oracle: every line but the junk ones becomes one record.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from typing import Any, NamedTuple

import pytest

from analyzer import config
from analyzer.generator import data
from analyzer.generator.layout import SiteSpec, generate_tree

pytestmark = pytest.mark.slow  # parses eight sites in subprocesses

SUMMARY = re.compile(r"(\d+) records from (\d+) lines, (\d+) rejected")


class Parsed(NamedTuple):
    records: list[dict[str, Any]]
    lines: int  # lines read, junk included
    junk: int  # junk lines the generator wrote
    rejected: int


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Parsed]:
    """One site per format, two days with 2 % junk, each parsed as its config.yaml says."""
    out = tmp_path_factory.mktemp("sites")
    sites = [SiteSpec(fmt.replace("-", "_"), fmt) for fmt in data.FORMATS]
    reports = generate_tree(
        out, sites, days=2, end_date=date(2026, 11, 24), requests_per_day=1500, seed=21,
        junk_rate=0.02,
    )  # fmt: skip
    results = {}
    for spec, site in zip(sites, config.load(out / "config.yaml").sites, strict=True):
        files = sorted(str(path) for path in (out / site.name).iterdir())
        done = subprocess.run(
            [sys.executable, "-m", "analyzer", "parse", *files, "--site", site.name,
             "--format", site.logs[0].format, "--timezone", site.timezone, "--ip-mode", "keep"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        count, lines, rejected = map(int, SUMMARY.findall(done.stderr)[-1])
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(records) == count
        junk = sum(r.junk for r in reports if r.path.parent.name == site.name)
        results[spec.format] = Parsed(records, lines, junk, rejected)
    return results


@pytest.mark.parametrize("fmt", list(data.FORMATS))
def test_every_line_but_the_junk_becomes_a_record(parsed, fmt):
    result = parsed[fmt]
    assert result.junk > 0
    assert result.rejected == result.junk
    assert len(result.records) == result.lines - result.junk


@pytest.mark.parametrize("fmt", list(data.FORMATS))
def test_user_names_and_referers_survive_each_servers_escaping(parsed, fmt):
    records = parsed[fmt].records
    users = {record["user"] for record in records} - {None}
    assert users <= {user.name for user in data.USERS}
    if fmt == "haproxy":
        return  # HAProxy's default line holds no user and no header
    assert users  # a mangled name would not be among data.USERS
    if fmt == "gateway-json":
        return  # the gateway's events hold no referer
    referers = {record["referer"] for record in records}
    assert 'https://intranet.example.net/liens?titre="Carte des écoles"' in referers


def test_requests_reach_every_application(parsed):
    apps = Counter(record["app"] for record in parsed["nginx"].records)
    expected = {"geoserver", "geowebcache", "geonetwork", "datahub", "mapstore", "console",
                "cadastrapp", "mviewer", "extractorapp", "import", "login", "other"}  # fmt: skip
    assert set(apps) == expected
    assert apps.most_common(1)[0][0] == "geoserver"


def test_every_ogc_service_and_catalog_action_appears(parsed):
    records = parsed["nginx"].records
    services = {record["ogc"]["service"] for record in records if record["ogc"]}
    assert services == {"WMS", "WFS", "WCS", "WMTS", "TMS", "OGCAPI-FEATURES"}
    requests = {record["ogc"]["request"] for record in records if record["ogc"]}
    assert {"GetMap", "GetCapabilities", "GetFeatureInfo", "GetLegendGraphic", "GetFeature",
            "GetCoverage", "GetTile", "GetItems", None} <= requests  # fmt: skip
    actions = {record["catalog"]["action"] for record in records if record["catalog"]}
    assert actions == {"metadata_view", "metadata_export", "download", "search", "page"}


def test_browsers_gis_clients_scripts_bots_and_probes_all_appear(parsed):
    records = parsed["nginx"].records
    classes = Counter(record["agent_class"] for record in records)
    assert classes.most_common(1)[0][0] == "browser"
    assert {"gis", "script", "bot", "unknown", "probe"} <= set(classes)
    assert classes["probe"] < 0.05 * len(records)
    names = {record["agent_name"] for record in records}
    assert {"Chrome", "Safari", "Firefox", "Edge", "QGIS", "ArcGIS", "curl"} <= names
    assert {"Googlebot", "bingbot"} & names
    # `analyzer parse` has no site rules: the supervision host's checks are a script's.
    assert {r["agent_name"] for r in records if r["agent_class"] == "probe"} == {
        "UptimeRobot", "kube-probe",
    }  # fmt: skip


def test_status_mix_includes_not_modified_missing_and_server_errors(parsed):
    statuses = Counter(record["status"] for record in parsed["nginx"].records)
    assert {200, 302, 304, 404, 500} <= set(statuses)
    assert statuses[200] > sum(statuses.values()) * 0.8


def test_getmap_and_getfeature_are_slower_than_tiles(parsed):
    by_request: dict[str, list[float]] = {}
    for record in parsed["nginx"].records:
        if record["ogc"] and record["status"] == 200:
            by_request.setdefault(record["ogc"]["request"], []).append(record["duration_ms"])
    tiles = statistics.median(by_request["GetTile"])
    assert statistics.median(by_request["GetMap"]) > 5 * tiles
    assert statistics.median(by_request["GetFeature"]) > 10 * tiles


def test_office_hours_are_busier_than_the_night(parsed):
    hours = Counter(datetime.fromisoformat(r["ts"]).hour for r in parsed["nginx"].records)
    office = sum(hours[hour] for hour in range(9, 17))
    night = sum(hours[hour] for hour in range(0, 6))
    assert office > 8 * night > 0


@pytest.mark.parametrize("fmt", ["secproxy", "gateway-json"])
def test_anonymous_majority_and_users_with_their_org_and_roles(parsed, fmt):
    records = parsed[fmt].records
    logged_in = [record for record in records if record["user"]]
    assert 0.05 * len(records) < len(logged_in) < 0.5 * len(records)
    names = {record["user"] for record in logged_in}
    assert any(not name.isascii() for name in names) and any("." in name for name in names)
    assert all(record["org"] and record["roles"] for record in logged_in)


def test_ipv6_clients_are_a_minority(parsed):
    addresses = [record["client_ip"] for record in parsed["nginx"].records]
    ipv6 = sum(":" in address for address in addresses)
    assert 0 < ipv6 < len(addresses) / 3


def test_haproxy_times_without_offset_are_read_in_the_site_zone(parsed):
    stamps = {record["ts"][-6:] for record in parsed["haproxy"].records}
    assert stamps == {"+01:00"}  # Paris in November, as the config.yaml says
