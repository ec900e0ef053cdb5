"""Custom formats (nginx log_format, Apache LogFormat) and `auto` detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analyzer.errors import ConfigError, InputError
from analyzer.formats import build_format, detect_format

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
PARIS = ZoneInfo("Europe/Paris")
MAPSERVER_FORMAT = (
    '$remote_addr $server_addr $upstream_addr - [$time_local] "$request" $status '
    '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time'
)
SEC_HEADERS_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" "$http_sec_username" "$http_sec_org" '
    '"$http_sec_roles" $upstream_response_time'
)


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def test_nginx_log_format_with_extra_addresses_reads_the_mapserver_line():
    fmt = build_format(MAPSERVER_FORMAT, PARIS)
    raw = fmt.parse(fixture_lines("nginx-custom.log")[0])
    assert raw.client_ip == "127.0.0.1"
    assert raw.target.startswith("/ortho?transparent=True&layers=ortho_2022")
    assert (raw.status, raw.bytes, raw.user_agent) == (200, 2560412, "MapProxy-1.15.1")
    assert raw.duration_ms == pytest.approx(626.0)


def test_a_pasted_log_format_directive_reads_like_its_string():
    directive = (
        "log_format  mapserv  '$remote_addr $server_addr $upstream_addr - [$time_local] '\n"
        '    \'"$request" $status $body_bytes_sent "$http_referer" \'\n'
        "    '\"$http_user_agent\" $request_time';"
    )
    line = fixture_lines("nginx-custom.log")[0]
    assert build_format(directive, PARIS).parse(line) == build_format(
        MAPSERVER_FORMAT, PARIS
    ).parse(line)


def test_nginx_sec_headers_give_user_org_roles_and_upstream_times_are_summed():
    line = (
        '10.0.0.1 - - [10/Dec/2025:05:39:15 +0100] "GET /console/ HTTP/1.1" 200 10 "-" '
        '"curl/8.5.0" "m.lagadec" "Région Bretagne" "ROLE_USER;ROLE_GN_EDITOR" 0.010, 0.020'
    )
    raw = build_format(SEC_HEADERS_FORMAT, PARIS).parse(line)
    assert (raw.user, raw.org, raw.roles) == (
        "m.lagadec",
        "Région Bretagne",
        ["ROLE_USER", "ROLE_GN_EDITOR"],
    )
    assert raw.duration_ms == pytest.approx(30.0)


def test_nginx_iso_time_method_uri_and_args_variables():
    fmt = build_format("$remote_addr [$time_iso8601] $request_method $uri?$args $status", PARIS)
    raw = fmt.parse("10.0.0.1 [2025-12-10T05:39:15+01:00] GET /geoserver/ows?service=WMS 200")
    assert (raw.method, raw.target, raw.status) == ("GET", "/geoserver/ows?service=WMS", 200)
    assert raw.ts == datetime(2025, 12, 10, 4, 39, 15, tzinfo=UTC)
    assert raw.ts.utcoffset() == timedelta(hours=1)


def test_nginx_msec_time_and_request_uri():
    fmt = build_format("$msec $request_method $request_uri $status", PARIS)
    raw = fmt.parse("1765341555.250 GET /datahub/?q=1 404")
    assert raw.ts == datetime(2025, 12, 10, 4, 39, 15, 250000, tzinfo=UTC)
    assert (raw.target, raw.status) == ("/datahub/?q=1", 404)


def test_apache_log_format_with_sec_headers_and_microseconds():
    spec = r"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D \"%{sec-username}i\""
    line = (
        '10.0.0.1 - - [10/Dec/2025:05:39:15 +0100] "GET /mviewer/ HTTP/1.1" 200 - "-" '
        '"Mozilla/5.0 (KHTML, like Gecko)" 1500 "gaëlle.kerjean"'
    )
    raw = build_format(spec, PARIS).parse(line)
    assert (raw.user, raw.bytes, raw.duration_ms) == ("gaëlle.kerjean", None, 1.5)
    assert raw.user_agent == "Mozilla/5.0 (KHTML, like Gecko)"


def test_apache_path_and_query_directives_and_millisecond_time_taken():
    raw = build_format("%a %t %m %U%q %s %{ms}T", PARIS).parse(
        "10.0.0.1 [10/Dec/2025:05:39:15 +0100] GET /geoserver/wms?request=GetMap 200 42"
    )
    assert (raw.method, raw.target, raw.duration_ms) == ("GET", "/geoserver/wms?request=GetMap", 42)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("$remote_addr $request $status", "no time"),
        ("$remote_addr [$time_local] $request", "no $status"),
        ("$remote_addr [$time_local] $status", "request line"),
        ("%h %{%d/%b/%Y}t %r %s", "not supported"),
        ("%h %t %r %>s %Z", "unknown directive %Z"),
        ("%h %r %s", "no time"),
        ("combined", "unknown log format 'combined'"),
    ],
)
def test_unusable_format_strings_are_config_errors_saying_why(spec, message):
    with pytest.raises(ConfigError) as error:
        build_format(spec, PARIS)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("fixture", "preset"),
    [
        ("secproxy.log", "secproxy"),
        ("nginx.log", "nginx"),
        ("apache.log", "apache"),
        ("traefik.log", "traefik"),
        ("haproxy.log", "haproxy"),
        ("gateway.jsonl", "gateway-json"),
    ],
)
def test_auto_detection_picks_the_preset_of_each_server(fixture, preset):
    assert detect_format(fixture_lines(fixture), PARIS, fixture).name == preset


def test_auto_detection_goes_by_the_majority_of_lines():
    lines = ["junk"] * 3 + fixture_lines("nginx.log")
    assert detect_format(lines, PARIS, "mixed.log").name == "nginx"


def test_auto_detection_says_clearly_when_no_preset_fits():
    with pytest.raises(InputError) as error:
        detect_format(fixture_lines("nginx-custom.log"), PARIS, "custom.log")
    assert str(error.value).startswith("custom.log: no preset format")
    assert "--format" in str(error.value)
