"""The generator writes each format as its server does: shapes, escapes and special values."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer.formats import build_format
from analyzer.generator import data
from analyzer.generator.clock import Clock
from analyzer.generator.layout import generate_single
from analyzer.generator.model import Client, Hit, Req
from analyzer.generator.render import (
    RENDERERS,
    Context,
    apache_escape,
    nginx_escape,
    tomcat_escape,
)

END = date(2026, 11, 26)
TIME = r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"
QUOTED = r'"(?:[^"\\]|\\.)*"'
CLF = rf'^\S+ - \S+ \[{TIME}\] "\w+ \S+ HTTP/1\.1" \d{{3}} '  # up to the status
SHAPES = {
    "nginx": CLF + rf"\d+ {QUOTED} {QUOTED} \d+\.\d{{3}}$",
    "nginx-combined": CLF + rf"\d+ {QUOTED} {QUOTED}$",
    "apache": CLF + rf"(\d+|-) {QUOTED} {QUOTED} \d+$",
    "apache-combined": CLF + rf"(\d+|-) {QUOTED} {QUOTED}$",
    "secproxy": rf'^\S+ - [^|\s]+\|[^|]*\|\S* \[{TIME}\] "\w+ \S+ HTTP/1\.1" \d{{3}} (\d+|-) '
    rf'{QUOTED} {QUOTED} - "[\w-]+" "-" \d+ms$',
    "traefik": r'^\S+ - \S+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "\w+ \S+ HTTP/1\.1" '
    r'\d{3} \d+ ".*" ".*" \d+ "\w+@docker" "http://[\d.]+:\d+" \d+ms$',
    "haproxy": r"^\w{3} [ \d]\d \d\d:\d\d:\d\d lb1 haproxy\[\d+\]: \S+:\d+ "
    r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe_https~ be_\w+/\w+ \d+/\d+/\d+/\d+/\d+ "
    r'\d{3} \d+ - - ---- \d+/\d+/\d+/\d+/\d+ 0/0 "\w+ \S+ HTTP/1\.1"$',
}


def lines_of(tmp_path: Path, fmt: str, count: int = 3000) -> list[str]:
    path = tmp_path / f"{fmt}.log"
    generate_single(path, fmt, lines=count, days=1, end_date=END, seed=5, workers=1)
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("fmt", sorted(SHAPES))
def test_every_line_has_the_servers_shape(tmp_path, fmt):
    shape = re.compile(SHAPES[fmt])
    odd = [line for line in lines_of(tmp_path, fmt) if not shape.match(line)]
    assert odd == []


def test_gateway_events_carry_opentelemetry_attributes(tmp_path):
    events = [json.loads(line) for line in lines_of(tmp_path, "gateway-json")]
    for event in events:
        assert event["@timestamp"].startswith("2026-11-26T")
        assert event["http.request.path"].startswith("/")
        assert event["http.status_code"].isdigit() and event["client.address"]
    logged_in = [event for event in events if "enduser.id" in event]
    assert 0 < len(logged_in) < len(events) / 2  # anonymous majority
    assert all(event["enduser.org.id"] and event["enduser.roles"] for event in logged_in)
    params = {key for event in events for key in event if key.startswith("http.request.param")}
    assert {"http.request.parameter.SERVICE", "http.request.parameter.service"} <= params


def test_security_proxy_logs_users_with_org_and_roles_and_full_backend_urls(tmp_path):
    lines = lines_of(tmp_path, "secproxy")
    assert sum("anonymousUser|| [" in line for line in lines) > len(lines) / 2
    written = {re.match(r"\S+ - (.+?) \[", line)[1] for line in lines} - {"anonymousUser||"}
    known = {f"{u.name}|{data.ORGS[u.org].name}|{','.join(u.roles)}" for u in data.USERS}
    assert written <= known
    names = {who.split("|")[0] for who in written}
    assert any(not name.isascii() for name in names) and any("." in name for name in names)
    assert any('"GET http://geonetwork:8080/geonetwork/' in line for line in lines)
    assert any('"GET /geoserver/' in line for line in lines)


def test_clients_include_ipv6_addresses_with_and_without_zero_runs(tmp_path):
    addresses = {line.split(" ", 1)[0] for line in lines_of(tmp_path, "nginx")}
    ipv6 = [address for address in addresses if ":" in address]
    assert ipv6 and any("::" in address for address in ipv6)
    assert len(ipv6) < len(addresses) / 2


def test_referers_include_commas_and_quotes_escaped_per_server(tmp_path):
    nginx = "\n".join(lines_of(tmp_path, "nginx"))
    apache = "\n".join(lines_of(tmp_path, "apache"))
    traefik = "\n".join(lines_of(tmp_path, "traefik"))
    assert "bbox=-4.5,48.3,-4.4,48.4" in nginx
    assert r"titre=\x22Carte des \xC3\xA9coles\x22" in nginx
    assert r"titre=\"Carte des \xc3\xa9coles\"" in apache
    assert 'titre="Carte des écoles""' in traefik  # Traefik writes headers unescaped


def test_nginx_escapes_quotes_backslashes_and_non_ascii_bytes_as_upper_hex():
    assert nginx_escape('jérôme "a"\\') == r"j\xC3\xA9r\xC3\xB4me \x22a\x22\x5C"
    assert nginx_escape("m.lagadec") == "m.lagadec"


def test_apache_backslash_escapes_quotes_and_writes_other_bytes_as_lower_hex():
    assert apache_escape('jérôme "a"\\') == r"j\xc3\xa9r\xc3\xb4me \"a\"\\"
    assert apache_escape("Mozilla/5.0 (KHTML, like Gecko)") == "Mozilla/5.0 (KHTML, like Gecko)"


def test_tomcat_keeps_utf8_and_backslash_escapes_quotes():
    assert tomcat_escape('école "x"') == r"école \"x\""


@pytest.mark.parametrize(
    ("zone", "utc", "clf", "syslog", "iso"),
    [
        ("Europe/Paris", datetime(2026, 11, 7, 8, 5, 3, 250000, UTC), "07/Nov/2026:09:05:03 +0100",
         "Nov  7 09:05:03", "2026-11-07T09:05:03.250+01:00"),
        ("Europe/Paris", datetime(2026, 7, 14, 22, 30, 0, 0, UTC), "15/Jul/2026:00:30:00 +0200",
         "Jul 15 00:30:00", "2026-07-15T00:30:00.000+02:00"),
        ("America/St_Johns", datetime(2026, 1, 2, 3, 4, 5, 6000, UTC), "01/Jan/2026:23:34:05 -0330",
         "Jan  1 23:34:05", "2026-01-01T23:34:05.006-03:30"),
    ],
)  # fmt: skip
def test_clock_writes_local_time_in_each_servers_shape(zone, utc, clf, syslog, iso):
    clock = Clock(ZoneInfo(zone))
    t = utc.timestamp()
    assert clock.clf(t) == clf
    assert clock.haproxy(t) == (syslog, f"{clf[:20]}.{iso[20:23]}")
    assert clock.iso(t) == iso


# One request rendered by each server and read back by the analyzer's preset: every field
# the format carries must come back unchanged, escapes and all.
AGENT = data.Agent("gis", "Mozilla/5.0 (X11; Linux) AppleWebKit/537.36 (KHTML, like Gecko)", 1)
USER = data.User("jérôme.dupont", "brest", ("ROLE_USER", "ROLE_CADASTRAPP"))
HIT = Hit(
    ts=datetime(2026, 11, 24, 8, 15, 30, 250000, UTC).timestamp(),
    client=Client("2a01:cb00:1509:27ac::5ea0", AGENT, USER, upper=True),
    req=Req(
        "GET", "/geoserver/wms?SERVICE=WMS&LAYERS=a%3Ab&BBOX=1%2C2%2C3%2C4", "geoserver", "api"
    ),
    status=200,
    size=5120,
    duration_ms=123.456,
    referer='https://example.net/liens?titre="Carte des écoles",bbox=1,2',
)
TEXT = {"user": USER.name, "referer": HIT.referer, "user_agent": AGENT.user_agent}
EXPECTED: dict[str, dict[str, object]] = {
    "nginx": {**TEXT, "bytes": 5120, "duration_ms": 123.0},
    "nginx-combined": {**TEXT, "bytes": 5120, "duration_ms": None},
    "apache": {**TEXT, "bytes": 5120, "duration_ms": 123.456},
    "apache-combined": {**TEXT, "bytes": 5120, "duration_ms": None},
    "traefik": {**TEXT, "bytes": 5120, "duration_ms": 123.0},
    "secproxy": {**TEXT, "org": "Ville de Brest", "roles": list(USER.roles), "bytes": 5120,
                 "duration_ms": 123.0},
    "haproxy": {"user": None, "referer": None, "user_agent": None, "bytes": 5120 + 260,
                "duration_ms": 123.0},
    "gateway-json": {"user": USER.name, "org": "brest", "roles": list(USER.roles),
                     "referer": None, "user_agent": AGENT.user_agent, "bytes": None},
}  # fmt: skip


@pytest.mark.parametrize("fmt", list(data.FORMATS))
def test_a_request_reads_back_through_the_preset_of_each_format(fmt):
    context = Context("demo.example.org", Clock(ZoneInfo("Europe/Paris")), Clock(ZoneInfo("UTC")))
    line = RENDERERS[fmt](HIT, 1, context)
    raw = build_format(data.FORMATS[fmt], ZoneInfo("Europe/Paris")).parse(line)
    assert (raw.method, raw.target, raw.status) == ("GET", HIT.req.target, 200)
    assert raw.client_ip == HIT.client.ip
    assert abs(raw.ts.timestamp() - HIT.ts) < 1
    assert {key: getattr(raw, key) for key in EXPECTED[fmt]} == EXPECTED[fmt]
