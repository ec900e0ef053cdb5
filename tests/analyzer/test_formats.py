"""Every preset reads real-looking lines of its server, with the notes' traps included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer.formats import PRESETS, LineRejected, RawRequest, build_format

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
PARIS = ZoneInfo("Europe/Paris")
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def lines(fixture: str) -> list[str]:
    return (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()


def read(preset: str, fixture: str) -> list[RawRequest]:
    fmt = build_format(preset, PARIS)
    return [fmt.parse(line) for line in lines(fixture)]


def test_secproxy_splits_the_three_part_user_field_with_spaces_in_the_org():
    first = read("secproxy", "secproxy.log")[0]
    assert (first.user, first.org) == ("testadmin", "Project Steering Committee")
    assert first.roles == ["ROLE_SUPERUSER", "ROLE_USER"]
    assert first.target.startswith("/geoserver/nurc/wms?service=WMS&version=1.1.0")
    assert (first.status, first.bytes, first.duration_ms) == (200, None, 18.0)
    assert first.ts == datetime(2023, 10, 18, 17, 36, 6, tzinfo=UTC)


def test_secproxy_keeps_the_full_backend_url_as_target():
    second = read("secproxy", "secproxy.log")[1]
    assert second.target == "http://geonetwork:8080/geonetwork/srv/eng/catalog.search"
    assert second.duration_ms == 211.0


def test_secproxy_anonymous_user_has_no_user_org_or_roles():
    anonymous = read("secproxy", "secproxy.log")[2]
    assert (anonymous.user, anonymous.org, anonymous.roles) == (None, None, [])
    assert anonymous.user_agent == "QGIS/33400/Ubuntu 22.04.3 LTS"


def test_secproxy_reads_dotted_accented_users_ipv6_chrome_and_a_referer_with_commas():
    line = read("secproxy", "secproxy.log")[3]
    assert (line.client_ip, line.user, line.org) == (
        "2a01:e0a:1f:2c40::17",
        "m.lagadec",
        "Région Bretagne",
    )
    assert line.user_agent == CHROME
    assert line.referer == "https://sdi.example.org/mapstore/#/viewer/12?x=1,y=2"
    assert line.ts.utcoffset() == timedelta(hours=2)


def test_nginx_reads_safari_commas_and_request_time_in_seconds():
    first = read("nginx", "nginx.log")[0]
    assert "(KHTML, like Gecko) Version/17.1 Safari" in first.user_agent
    assert first.referer == "https://carto.example.org/map?a=1,b=2"
    assert first.duration_ms == pytest.approx(626.0)
    assert first.ts == datetime(2025, 12, 10, 5, 39, 15, tzinfo=timezone(timedelta(hours=1)))


def test_nginx_decodes_its_hex_escapes_as_utf8():
    second = read("nginx", "nginx.log")[1]
    assert second.user == "jérôme.dupont"
    assert second.referer == 'https://intranet.example.net/liens?titre="Carte des écoles"'
    assert (second.client_ip, second.method, second.bytes) == (
        "2001:db8:85a3::8a2e:370:7334",
        "POST",
        None,
    )


def test_nginx_without_request_time_and_dashes_gives_none():
    third = read("nginx", "nginx.log")[2]
    assert (third.duration_ms, third.referer, third.user_agent) == (None, None, None)
    assert (third.status, third.bytes, third.target) == (304, 0, "/datahub/")


def test_apache_reads_microseconds_and_backslash_escapes():
    bot, user = read("apache", "apache.log")
    assert bot.duration_ms == pytest.approx(52.34)
    assert bot.ts.utcoffset() == timedelta(hours=-5)
    assert user.user == "françoise.le-hénaff"
    assert user.referer == 'https://intranet.example.net/liens?titre="Carte des écoles"'
    assert user.user_agent == 'Mozilla/5.0 "quoted" agent\\backslash'


def test_traefik_reads_milliseconds_and_unescaped_quotes_in_headers():
    plain, quoted = read("traefik", "traefik.log")
    assert (plain.bytes, plain.duration_ms, plain.user_agent) == (19843, 57.0, None)
    assert quoted.referer == 'https://intranet.example.net/liens?titre="Carte des écoles"'
    assert quoted.user_agent == 'Mozilla/5.0 "odd" agent'


def test_haproxy_applies_the_site_zone_to_its_offsetless_dates():
    first = read("haproxy", "haproxy.log")[0]
    assert first.ts == datetime(2024, 11, 26, 13, 45, 12, 345000, tzinfo=PARIS)
    assert first.ts.utcoffset() == timedelta(hours=1)
    assert (first.client_ip, first.status, first.bytes, first.duration_ms) == (
        "10.0.0.1",
        200,
        1234,
        24.0,
    )
    summer = read("haproxy", "haproxy.log")[2]
    assert summer.ts.utcoffset() == timedelta(hours=2)


def test_haproxy_reads_ipv6_clients_logasap_values_and_aborted_timers():
    _, aborted, logasap = read("haproxy", "haproxy.log")
    assert (aborted.client_ip, aborted.status, aborted.duration_ms) == ("2001:db8::5", 503, 3001.0)
    assert (logasap.bytes, logasap.duration_ms, logasap.target) == (88, 5.0, "/datahub/")


def test_gateway_json_reads_flat_attributes_and_the_status_from_the_message():
    flat = build_format("gateway-json", PARIS).parse(lines("gateway.jsonl")[0])
    assert (flat.user, flat.roles) == ("admin", ["ROLE_ADMINISTRATOR", "ROLE_USER"])
    assert (flat.method, flat.target, flat.status) == (
        "GET",
        "/mapstore/rest/geostore/data/123",
        200,
    )
    assert (flat.client_ip, flat.bytes, flat.duration_ms) == ("192.168.1.25", None, None)


def test_gateway_json_reads_nested_attributes_and_rebuilds_the_query():
    nested = build_format("gateway-json", PARIS).parse(lines("gateway.jsonl")[1])
    assert (nested.user, nested.org, nested.roles) == (
        "noël.guéguen",
        "region-bretagne",
        ["ROLE_USER"],
    )
    assert nested.target == "/geoserver/ows?SERVICE=WMS&REQUEST=GetMap&LAYERS=ws%3Aroads"
    assert (nested.user_agent, nested.referer) == ("QGIS/33400", "https://x.example/a,b")
    assert nested.ts.utcoffset() == timedelta(hours=2)


def test_gateway_json_rejects_events_that_are_not_requests():
    with pytest.raises(LineRejected) as rejected:
        build_format("gateway-json", PARIS).parse(lines("gateway.jsonl")[2])
    assert rejected.value.reason == "not an access event"


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        '1.2.3.4 - - [10/Dec/2025:05:39:15 +0100] "GET / HTTP/1.1" 200',  # cut short
        '{"@timestamp": "2025-03-30T18:26:34Z", "message": ',  # cut JSON
    ],
)
def test_every_preset_rejects_truncated_or_foreign_lines(preset, line):
    with pytest.raises(LineRejected) as rejected:
        build_format(preset, PARIS).parse(line)
    assert rejected.value.reason in {"no match", "bad json"}


def test_a_bad_month_in_a_well_shaped_line_is_a_bad_timestamp():
    line = '1.2.3.4 - - [10/Foo/2025:05:39:15 +0100] "GET / HTTP/1.1" 200 1 "-" "-"'
    with pytest.raises(LineRejected) as rejected:
        build_format("nginx", PARIS).parse(line)
    assert rejected.value.reason == "bad timestamp"


def test_a_tls_handshake_sent_to_http_is_a_bad_request_line():
    line = '1.2.3.4 - - [10/Dec/2025:05:39:15 +0100] "\\x16\\x03\\x01\\x02" 400 157 "-" "-"'
    with pytest.raises(LineRejected) as rejected:
        build_format("nginx", PARIS).parse(line)
    assert rejected.value.reason == "bad request line"
