"""The recommended log formats are presets, and the generator writes them.

Each shipped server configuration names the analyzer preset that reads it; the format text
it ships, compiled as a custom format, reads the same lines as that preset; the
generator's logs in that format parse with zero rejects. The HAProxy fixtures were written
by HAProxy 2.6 (Debian 12) running logpolicy/haproxy/haproxy.cfg, to stdout and through
rsyslog 8.2302 with logpolicy/haproxy/rsyslog.conf; the nginx and Apache ones by nginx 1.22 and
Apache 2.4 (Debian 12) with the files of logpolicy/nginx/ and logpolicy/apache/.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from analyzer.formats import LineRejected, build_format
from analyzer.generator.layout import generate_single
from tests.support.stack import REPO

POLICY = REPO / "logpolicy"
FIXTURES = Path(__file__).parent / "fixtures"
ZONE = ZoneInfo("Europe/Paris")
PRESET_LINE = re.compile(r"Analyzer preset: ([\w-]+)")


def preset_named_in(config: Path) -> str:
    match = PRESET_LINE.search(config.read_text())
    assert match, f"{config} does not say which preset reads it"
    return match.group(1)


def generated_lines(tmp_path: Path, fmt: str) -> list[str]:
    path = tmp_path / f"{fmt}.log"
    report = generate_single(
        path, fmt, lines=3000, days=2, end_date=date(2026, 11, 24), seed=9, workers=1
    )
    assert report.junk == 0
    return path.read_text().splitlines()


def rejects(spec: str, lines: list[str]) -> list[str]:
    fmt = build_format(spec, ZONE)
    rejected = []
    for line in lines:
        try:
            fmt.parse(line)
        except LineRejected as exc:
            rejected.append(f"{exc}: {line}")
    return rejected


@pytest.mark.parametrize(
    ("config", "preset"),
    [
        ("nginx/georchestra-analytics.conf", "nginx"),
        ("apache/georchestra-analytics.conf", "apache"),
        ("haproxy/haproxy.cfg", "apache"),
        ("traefik/traefik.yml", "traefik"),
    ],
)
def test_each_recommended_config_names_an_existing_preset(config: str, preset: str):
    assert preset_named_in(POLICY / config) == preset


@pytest.mark.parametrize("preset", ["nginx", "apache", "traefik"])
def test_generated_logs_in_the_recommended_format_parse_without_rejects(preset, tmp_path):
    lines = generated_lines(tmp_path, preset)
    assert len(lines) == 3000
    assert rejects(preset, lines) == []


# The format text each configuration ships: nginx's whole directive, Apache's string.
SHIPPED_FORMATS = {
    "nginx": ("nginx/georchestra-analytics.conf", r"^(log_format .*?;)$"),
    "apache": ("apache/georchestra-analytics.conf", r'^LogFormat "(.*)" georchestra$'),
}


@pytest.mark.parametrize("preset", list(SHIPPED_FORMATS))
def test_shipped_format_text_reads_what_the_preset_reads(preset, tmp_path):
    config, pattern = SHIPPED_FORMATS[preset]
    shipped = re.search(pattern, (POLICY / config).read_text(), re.S | re.M)
    assert shipped, f"no format in {config}"
    lines = generated_lines(tmp_path, preset)
    assert rejects(shipped.group(1), lines) == []
    custom, reference = build_format(shipped.group(1), ZONE), build_format(preset, ZONE)
    assert [custom.parse(line) for line in lines[:300]] == [
        reference.parse(line) for line in lines[:300]
    ]


def test_haproxy_recommended_lines_carry_agent_referer_offset_and_duration():
    lines = (FIXTURES / "haproxy-recommended.log").read_text().splitlines()
    assert rejects("apache", lines) == []
    first, bare = (build_format("apache", ZONE).parse(line) for line in lines)
    assert first.ts.utcoffset() is not None and first.ts.utcoffset().total_seconds() == 3600
    assert first.target == "/geoserver/ows?SERVICE=WMS&REQUEST=GetCapabilities"
    assert first.referer == "https://example.org/mapstore/?a=1"
    assert first.user_agent == 'Mozilla/5.0 (X11; Linux x86_64) "quoted" [x]'  # +E escapes
    assert first.duration_ms == 44.0  # %Ta milliseconds, written as microseconds
    assert (bare.referer, bare.user_agent) == (None, None)


def test_haproxy_lines_written_through_rsyslog_have_no_syslog_header():
    [line] = (FIXTURES / "haproxy-through-rsyslog.log").read_text().splitlines()
    request = build_format("apache", ZONE).parse(line)
    assert request.target == "/geoserver/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=a:b"
    assert (request.user_agent, request.duration_ms) == ("QGIS/33400/Linux", 32.0)


def test_traefik_config_asks_for_the_common_format():
    access_log = yaml.safe_load((POLICY / "traefik/traefik.yml").read_text())["accessLog"]
    assert access_log["format"] == "common"
    assert access_log["filePath"].endswith("access.log")


@pytest.mark.parametrize(
    ("fixture", "preset", "duration_ms"),
    [("nginx-recommended.log", "nginx", 0.0), ("apache-recommended.log", "apache", 0.683)],
)
def test_recommended_line_as_the_server_wrote_it_is_read_by_the_preset(
    fixture, preset, duration_ms
):
    [line] = (FIXTURES / fixture).read_text().splitlines()
    request = build_format(preset, ZONE).parse(line)
    assert (request.target, request.referer) == ("/mapstore/?q=1", "https://ex.org/")
    assert request.user_agent == 'Mozilla/5.0 "x" é'  # the server's escapes undone
    assert request.duration_ms == duration_ms


def test_nginx_behind_the_security_proxy_logs_user_org_and_roles():
    text = (POLICY / "nginx/behind-security-proxy.conf").read_text()
    directive = re.search(r"^(log_format .*?;)$", text, re.S | re.M)
    assert directive
    [line] = (FIXTURES / "nginx-behind-security-proxy.log").read_text().splitlines()
    request = build_format(directive.group(1), ZONE).parse(line)
    assert (request.user, request.org) == ("jdoe", "PSC")
    assert request.roles == ["ROLE_USER", "ROLE_ADMIN"]
    assert request.user_agent == 'Mozilla/5.0 "x" é'
