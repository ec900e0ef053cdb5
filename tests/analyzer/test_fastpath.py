"""The fast path gives exactly what the line path gives, and takes the plain lines.

`fastpath.FastParser` joins pieces of text cached per raw value; the line path
(`LineParser`) builds a `Request` per line, which the same output (`outputs`) then
writes. Both must agree byte for byte on every format, on generated traffic and on the
shapes that take the exceptional branches (odd parameter names, placing parameters
outside OGC, escapes, control characters, monitoring probes...). The JSON lines are also
checked against orjson's serialisation of the records, the contract's own form.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date
from pathlib import Path

import orjson
import pytest

from analyzer import config
from analyzer.fastpath import FastParser
from analyzer.generator import data, geoip
from analyzer.generator.layout import SiteSpec, generate_tree
from analyzer.outputs import CopyOutput, CsvOutput, JsonLinesOutput, Output
from analyzer.parsing import ParseSetup
from analyzer.reader import open_log, read_blocks
from analyzer.record import Request
from analyzer.row import CSV_COLUMNS, Source
from analyzer.settings import Probes, SiteConfig

# Clients located in a GeoIP database of the generated networks (and so of the crafted ones).
GEOIP = geoip.write_mmdb(
    Path(tempfile.mkdtemp(prefix="fastpath-geoip-")) / "clients.mmdb", geoip.generated_networks()
)
# Monitoring probes by the site's rules: the generator's supervision host, and crafted ones.
PROBES = Probes(
    user_agents=("^Supervision/",),
    addresses=(data.SUPERVISION_ADDRESS, "198.51.100.0/24", "2001:db8:42::/48"),
    paths=("/health",),
)
SITE = SiteConfig("demo", timezone="Europe/Paris", geoip_database=GEOIP, probes=PROBES)
CRAFTED_FORMAT = "nginx"
CLF = '{ip} - {user} [{time}] "{method} {target} HTTP/1.1" {status} {size} "-" "{agent}" 0.012'
QGIS = "Mozilla/5.0 QGIS/34000/Debian GNU/Linux 13 (trixie)"
UPTIME_ROBOT = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"
# The tiles of one TMS layer, gridset and format: one description, a view each.
TILES = [
    f"/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/{z}/{x}/{y}.png"
    for z, x, y in [(12, 2027, 2649), (3, 1, 2), (14, 8121, 10566), (0, 0, 0), (17, 65008, 84497)]
]
CRAFTED = {
    # Unknown to the GeoIP database, located (IPv4, IPv6, IPv4-mapped), not an address;
    # probes by the site's address rules (IPv4, IPv6, IPv4-mapped), and a neighbour.
    "ip": [
        "203.0.113.7",
        "90.12.4.7",
        "2a01:cb00::1",
        "::ffff:81.240.1.2",
        "-",
        "host.example",
        "198.51.100.9",
        "2001:db8:42::5",
        "::ffff:198.51.100.10",
        "198.51.101.9",
    ],
    # Placing parameters in every case and order, duplicated, empty, or alone.
    "target": [
        "/geoserver/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=ws:a&BBOX=1,2,3,4&WIDTH=256&HEIGHT=256",
        "/geoserver/wms?bbox=1%2C2%2C3%2C4&service=WMS&request=GetMap&layers=ws:a&width=10",
        "/geoserver/wms?BBOX=&bbox=5,6,7,8&BBOX=9,9,9,9&SERVICE=WMS&REQUEST=GetMap&LAYERS=a",
        "/geoserver/wms?BBOX=1,2,3,4",
        "/geoserver/wms?bbox=1,2,3,4&bboxx=2&x=1&y=2&i=3&j=4&REQUEST=GetFeatureInfo&QUERY_LAYERS=a",
        "/geoserver/gwc/service/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=ws:b&TILEMATRIX=12"
        "&TILEROW=1&TILECOL=2&TILEMATRIXSET=EPSG:3857&FORMAT=image/png",
        # REST tiles, whose indices end the path: TMS (rows from the bottom, with or without
        # an extension, in a workspace, in degrees), WMTS REST (encoded matrix names), and
        # their GetFeatureInfo, past the last level, outside the grid.
        *TILES,
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/5/3/4",
        "/geoserver/ws/gwc/service/tms/1.0.0/b@EPSG:900913@png/4/1/2.png",
        "/geowebcache/service/tms/1.0.0/b@EPSG:4326@jpeg/2/3/1.jpeg",
        "/geoserver/gwc/service/wmts/rest/ws:b/default/EPSG:900913/EPSG:900913:12/1362/2048"
        "?format=image/png",
        "/geoserver/gwc/service/wmts/rest/ws:b/EPSG%3A900913/EPSG%3A900913%3A7/40/64?format=x",
        "/geoserver/gwc/service/wmts/rest/ws:b/default/EPSG:900913/EPSG:900913:12/1362/2048/"
        "10/20?format=image/png&infoformat=text/html",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/99/1/2.png",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/2/99999/2.png",
        # Paths that only look like tiles: odd indices, extensions or ends, the mark the fast
        # path puts where the indices go, a comma CSV quotes, numbers outside GeoWebCache.
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/12/\u0663/2.png",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/12/3/4.tar.gz",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/12/3/4/",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png//3/4.png",
        "/geoserver/gwc/service/tms/1.0.0/ws:b@EPSG:900913@png/1234567890/3/4.png",
        "/geoserver/gwc/service/tms/1.0.0/{tile}@EPSG:900913@png/1/0/0.png",
        "/geoserver/gwc/service/tms/1.0.0/ws:a,b@EPSG:900913@png/1/0/1.png",
        "/geonetwork/srv/api/records/12/34/56",
        "/mapstore/1/2/3.json",
        # Odd names: the whole query decides (`amp;bbox`, an encoded name).
        "/geoserver/wms?SERVICE=WMS&amp;REQUEST=GetMap&amp;BBOX=1,2,3,4&WIDTH=5&LAYERS=a",
        "/geoserver/wms?SERVICE=WMS&REQUEST=GetMap&%62box=1,2,3,4&WIDTH=5&LAYERS=a",
        # Placing names outside OGC, and OGC API Features (reads BBOX, not WIDTH).
        "/geonetwork/srv/api/search?bbox=1,2,3,4&width=3",
        "/geoserver/ogc/features/v1/collections/ws:c/items?bbox=1,2,3,4&width=7&f=json",
        "/geoserver/ows?width=5",
        "/mapstore/?x=1&y=2",
        # Full URLs (the security-proxy's), odd targets, no query, empty query.
        "http://geoserver:8080/geoserver/wms?SERVICE=WMS&REQUEST=GetMap&BBOX=1,2,3,4&LAYERS=x",
        "http://geonetwork:8080",
        "*",
        "/datahub/",
        "/console/account/new?",
        "/geonetwork/srv/fre/catalog.search?q=%C3%A9t%C3%A9&x=1",
        # Empty pairs around placing ones; characters JSON leaves as they are (a soft
        # hyphen, a zero-width space) in a query the fast path writes without a scan.
        "/geoserver/wms?&&BBOX=1,2,3,4&&SERVICE=WMS&REQUEST=GetMap&LAYERS=a&",
        "/geonetwork/srv/api/search?any=caf\u00e9\u00adbar\u200bx",
        # Probes by the site's path rule (the query is not read), and a path that is not.
        "/health",
        "/health/live?verbose=1&BBOX=1,2,3,4",
        "/healthz",
    ],
    "user": ["-", "anonymousUser", "m.lagadec", "jean-françois"],
    "size": ["0", "-", "000123", "1234567890123456789012"],
    "status": ["200", "099", "503"],
    "time": [
        "18/Oct/2023:17:36:06 +0200",
        "31/Feb/2024:00:00:00 +0100",
        "18/Oct/2023:17:36:06 +0175",
    ],
    # Probes by their user agent (built-in, a site's rule), and clients that are not.
    "agent": [
        QGIS,
        UPTIME_ROBOT,
        "kube-probe/1.29",
        "Supervision/2.0",
        "MySupervision/2.0",
        "curl/8.5.0",
        "-",
    ],
}
ODD_LINES = [
    "",
    "   ",
    "\x00\x01binary",
    'a line that is "no log line at all"',
    '203.0.113.7 - - [18/Oct/2023:17:36:06 +0200] "GET /x\\"y HTTP/1.1" 200 1 "-" "a\\"b" 0.1',
    '203.0.113.7 - - [18/Oct/2023:17:36:06 +0200] "GET /é\\xC3\\xA9 HTTP/1.1" 200 1 "-" "-" 0.1',
    '203.0.113.7 - - [18/Oct/2023:17:36:06 +0200] "GET /tab\there HTTP/1.1" 200 1 "-" "a\tb" 0.1',
    '203.0.113.7 - - [18/Oct/2023:17:36:06 +0200] "GET /cr HTTP/1.1" 200 1 "-" "-" 0.1\r',
    '203.0.113.7 - - [18/Oct/2023:17:36:06 +0200] "NOT A REQUEST" 400 0 "-" "-" 0.0',
    "x" * 70_000,
]


def crafted_lines() -> list[str]:
    """Every crafted value of each field, with the others at their first value."""
    first = {field: values[0] for field, values in CRAFTED.items()}
    lines = []
    for field, values in CRAFTED.items():
        for value in values:
            fields = first | {field: value}
            lines.append(CLF.format(method="GET", **fields))
    return lines


OUTPUTS = (JsonLinesOutput(Source(SITE.name)), CsvOutput(Source(SITE.name)),
           CopyOutput(Source(SITE.name, 7)))  # fmt: skip
Result = dict[str, list[str]]


def line_path(
    spec: str, blocks: list[bytes], site: SiteConfig = SITE
) -> tuple[Result, list[Request]]:
    """Each output's rows (layer rows under "layers"), and the records, the line way."""
    parser = ParseSetup("test.log", spec, site).parser()
    records: list[Request] = []
    rejects: list[str] = []
    for block in blocks:
        parsed, rejected, _ = parser.parse_block(block)
        records += parsed
        rejects += [str(reject) for reject in rejected]
    result: Result = {"rejects": rejects}
    for output in OUTPUTS:
        rows, layers = output.encode(records)
        result[output.name] = _sorted(rows, output)
        if output.has_layers:
            result["layers"] = sorted(layers.splitlines())
    return result, records


def fast_path(spec: str, blocks: list[bytes], site: SiteConfig = SITE) -> Result:
    """The same, the fast way."""
    result: Result = {}
    for output in OUTPUTS:
        parser = FastParser(ParseSetup("test.log", spec, site).parser(), output)
        rows, layers, rejects = [], [], []
        for block in blocks:
            encoded = parser.parse_block(block)
            rows += encoded.rows.decode().splitlines()
            layers += encoded.layers.decode().splitlines()
            rejects += [str(reject) for reject in encoded.rejects]
        result[output.name] = _sorted(rows, output)
        result["rejects"] = rejects
        if output.has_layers:
            result["layers"] = sorted(layers)
    return result


def _sorted(rows: list[str], output: Output) -> list[str]:
    return rows if output.ordered else sorted(rows)


def assert_same(spec: str, blocks: list[bytes], site: SiteConfig = SITE) -> list[Request]:
    """Both paths agree; the records, for what they cover."""
    expected, records = line_path(spec, blocks, site)
    got = fast_path(spec, blocks, site)
    for what in ("jsonl", "csv", "copy", "layers", "rejects"):
        assert got[what] == expected[what], f"{what} differ"
    contract = [orjson.loads(orjson.dumps(record)) for record in records]
    assert [orjson.loads(line) for line in got["jsonl"]] == contract
    return records


def blocks_of(path: Path) -> list[bytes]:
    with open_log(path) as stream:
        return list(read_blocks(stream, str(path), 64 << 10))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """One site per format, a day with 2 % junk."""
    out = tmp_path_factory.mktemp("sites")
    sites = [SiteSpec(fmt.replace("-", "_"), fmt) for fmt in data.FORMATS]
    generate_tree(
        out, sites, days=1, end_date=date(2026, 11, 24), requests_per_day=3000, seed=5,
        junk_rate=0.02,
    )  # fmt: skip
    return {
        site.logs[0].format + "@" + fmt: sorted((out / site.name).iterdir())
        for fmt, site in zip(data.FORMATS, config.load(out / "config.yaml").sites, strict=True)
    }


@pytest.mark.parametrize("fmt", list(data.FORMATS))
def test_generated_traffic_comes_out_the_same_both_ways(
    generated: dict[str, list[Path]], fmt: str
) -> None:
    [(key, paths)] = [(key, paths) for key, paths in generated.items() if key.endswith("@" + fmt)]
    spec = key.split("@")[0]
    probes = set()
    for path in paths:
        records = assert_same(spec, blocks_of(path))
        probes |= {record.agent_name for record in records if record.agent_class == "probe"}
    # The generator's checks: by user agent, and by the site's address rule (HAProxy's
    # default line holds no user agent: that rule only, naming the client "probe").
    by_agent = {"probe"} if fmt == "haproxy" else {"UptimeRobot", "kube-probe", "python-requests"}
    assert probes == by_agent


def test_crafted_lines_come_out_the_same_both_ways() -> None:
    clean = "\n".join(crafted_lines()).encode() + b"\n"
    assert_same(CRAFTED_FORMAT, [clean])
    with_odd_lines = "\n".join(crafted_lines() + ODD_LINES).encode() + b"\n"
    assert_same(CRAFTED_FORMAT, [with_odd_lines])


def test_a_tab_in_a_query_is_escaped_both_ways() -> None:
    """A tab is the one control character a line of the fast path may hold (the nginx
    preset's request line takes it): JSON must escape it."""
    target = "/geoserver/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=a&CQL_FILTER=n\t=\t1&BBOX=1,2,3,4"
    line = CLF.format(
        ip="203.0.113.7",
        user="-",
        time="18/Oct/2023:17:36:06 +0200",
        method="GET",
        target=target,
        status="200",
        size="1",
        agent=QGIS,
    )
    records = assert_same(CRAFTED_FORMAT, [f"{line}\n".encode()])
    assert [record.query for record in records] == [target.partition("?")[2]]


def tile_lines(targets: list[str]) -> bytes:
    return "".join(
        CLF.format(ip="203.0.113.7", user="-", time="18/Oct/2023:17:36:06 +0200", method="GET",
                   target=target, status="200", size="1", agent=QGIS) + "\n"
        for target in targets
    ).encode()  # fmt: skip


def test_the_tiles_of_a_layer_share_one_description_and_get_their_own_view() -> None:
    block = tile_lines(TILES)
    records = assert_same(CRAFTED_FORMAT, [block])
    cells = [(r.ogc.view_zoom, r.ogc.view_x, r.ogc.view_y) for r in records if r.ogc]
    # TMS rows count from the bottom: row y of 2**z is row 2**z - 1 - y from the top; past
    # zoom 14, a tile is counted in the cell that holds it.
    assert cells == [(12, 2027, 1446), (3, 1, 5), (14, 8121, 5817), (0, 0, 0), (14, 8126, 5821)]
    parser = FastParser(ParseSetup("t.log", CRAFTED_FORMAT, SITE).parser(), OUTPUTS[0])
    assert parser.parse_block(block).line_path == 0
    tiles = parser.caches[-1]
    requests = parser.caches[3]
    assert len(tiles) == 1 and len(requests) == 0


TILE_PREFIX = TILES[0].rsplit("/", 3)[0]


@pytest.mark.parametrize(
    ("site", "apps", "probes"),
    [
        (SiteConfig("demo", app_routes={f"{TILE_PREFIX}/3": "other"}),
         ["geowebcache", "other", *["geowebcache"] * 3], 0),
        (SiteConfig("demo", probes=Probes(paths=(TILES[2],))), ["geowebcache"] * 5, 1),
    ],
    ids=["route", "probe"],
)  # fmt: skip
def test_tiles_below_a_route_or_a_probe_rule_are_told_apart(
    site: SiteConfig, apps: list[str], probes: int
) -> None:
    """A site may route, or take for probes, some tiles of a layer and not others: each
    tile is then described on its own, and both paths still agree."""
    records = assert_same(CRAFTED_FORMAT, [tile_lines(TILES)], site)
    assert [r.app for r in records] == apps
    assert [r.agent_class for r in records].count("probe") == probes


def test_crafted_clients_are_located() -> None:
    """The comparison above covers located clients: the GeoIP database places some."""
    _, records = line_path(CRAFTED_FORMAT, ["\n".join(crafted_lines()).encode() + b"\n"])
    assert {(record.country, record.region) for record in records} >= {
        ("FR", "Brittany"), ("BE", "Wallonia"), (None, None),
    }  # fmt: skip


# Custom formats whose request comes in parts: nginx's $uri and $args, Apache's %U%q.
CUSTOM_FORMATS = {
    '$remote_addr - $remote_user [$time_local] "$request_method $uri?$args" $status '
    '$body_bytes_sent "$http_user_agent" $request_time': (
        '{ip} - {user} [18/Oct/2023:17:36:06 +0200] "GET {path}?{query}" 200 5 "{agent}" 0.5'
    ),
    '$remote_addr $request_method $request_uri $status [$time_local] "$http_user_agent"': (
        '{ip} GET {path}?{query} 200 [18/Oct/2023:17:36:06 +0200] "{agent}"'
    ),
    '%h %l %u %t "%m %U%q %H" %>s %b %D "%{User-Agent}i"': (
        '{ip} - {user} [18/Oct/2023:17:36:06 +0200] "GET {path}?{query} HTTP/1.1" 200 5 800 '
        '"{agent}"'
    ),
}


@pytest.mark.parametrize("spec", list(CUSTOM_FORMATS))
def test_custom_formats_come_out_the_same_both_ways(
    spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    for target in CRAFTED["target"]:
        path, _, query = target.partition("?")
        for user in CRAFTED["user"]:
            values = {"ip": "2a01:cb19::1", "user": user, "agent": QGIS}
            lines.append(CUSTOM_FORMATS[spec].format(path=path, query=query, **values))
    lines.append(CUSTOM_FORMATS[spec].format(ip="-", user="-", path="/x", query="-", agent="-"))
    block = ("\n".join(lines) + "\n").encode()
    assert_same(spec, [block])
    encoded = FastParser(ParseSetup("t.log", spec, SITE).parser(), OUTPUTS[0]).parse_block(block)
    probes = [t for t in CRAFTED["target"] if t == "/health" or t.startswith("/health/")]
    assert encoded.tally.records == len(lines)
    assert encoded.line_path == len(probes) * len(CRAFTED["user"])  # only the probes


def test_odd_lines_are_rejected_for_the_same_reasons_both_ways() -> None:
    block = "\n".join(ODD_LINES).encode() + b"\n"
    parser = FastParser(ParseSetup("t.log", CRAFTED_FORMAT, SITE).parser(), OUTPUTS[0])
    reasons = {reject.reason for reject in parser.parse_block(block).rejects}
    assert reasons == {"empty", "binary", "no match", "too long"}
    assert_same(CRAFTED_FORMAT, [block])


def test_the_fast_path_takes_the_plain_lines() -> None:
    """Only lines with escapes, control characters or no match go the line way, and the
    monitoring probes."""
    plain = crafted_lines()
    block = ("\n".join(plain) + "\n").encode()
    parser = FastParser(ParseSetup("t.log", CRAFTED_FORMAT, SITE).parser(), OUTPUTS[0])
    encoded = parser.parse_block(block)
    # The line path only sees what it rejects (bad timestamps), and the probes.
    probes = [row for row in encoded.rows.decode().splitlines() if '"agent_class":"probe"' in row]
    assert encoded.line_path == len(encoded.rejects) + len(probes)
    assert {reject.reason for reject in encoded.rejects} == {"bad timestamp"}
    assert encoded.tally.records > 0.7 * len(plain)


def test_probes_go_the_line_way_and_get_no_request_layers_rows() -> None:
    """Every crafted probe (by user agent, address or path) asks for a layer: its request
    row says probe, and no request_layers row has its line."""
    lines = crafted_lines()
    probes = {
        number
        for number, line in enumerate(lines, 1)
        if any(f" {ip} " in f" {line} " for ip in CRAFTED["ip"][6:9])
        or any(f'"{agent}"' in line for agent in CRAFTED["agent"][1:4])
        or "GET /health " in line
        or "GET /health/" in line
    }
    assert len(probes) == 8
    _, records = line_path(CRAFTED_FORMAT, [("\n".join(lines) + "\n").encode()])
    assert {r.line_no for r in records if r.agent_class == "probe"} == probes
    assert {r.agent_name for r in records if r.line_no in probes} == {
        "QGIS", "UptimeRobot", "kube-probe", "Supervision",
    }  # fmt: skip
    parser = FastParser(ParseSetup("t.log", CRAFTED_FORMAT, SITE).parser(), OUTPUTS[2])
    encoded = parser.parse_block(("\n".join(lines) + "\n").encode())
    assert encoded.line_path == len(probes) + len(encoded.rejects)
    layer_lines = {int(row.split(b"\t")[3]) for row in encoded.layers.splitlines()}
    assert layer_lines and not layer_lines & probes
    with_layers = {r.line_no for r in records if r.ogc is not None and r.ogc.layers}
    assert probes & with_layers == probes - {n for n in probes if "/health" in lines[n - 1]}


def test_a_site_without_rules_knows_probes_by_their_user_agent_only() -> None:
    site = SiteConfig("demo", timezone="Europe/Paris")
    block = ("\n".join(crafted_lines()) + "\n").encode()
    parser = ParseSetup("t.log", CRAFTED_FORMAT, site).parser()
    records, _, _ = parser.parse_block(block)
    assert {r.agent_name for r in records if r.agent_class == "probe"} == {
        "UptimeRobot", "kube-probe",
    }  # fmt: skip


def test_line_numbers_and_order_survive_a_mix_of_both_paths() -> None:
    lines = crafted_lines() + ODD_LINES[3:6] + crafted_lines()
    parser = FastParser(ParseSetup("t.log", CRAFTED_FORMAT, SITE).parser(), OUTPUTS[0])
    parser.lines.line_no = 100
    encoded = parser.parse_block(("\n".join(lines) + "\n").encode())
    numbers = [json.loads(row)["line_no"] for row in encoded.rows.splitlines()]
    assert numbers == sorted(numbers) and numbers[0] == 101
    assert encoded.tally.lines == len(lines) and parser.lines.line_no == 100 + len(lines)


def test_csv_rows_read_back_as_the_records_flattened() -> None:
    block = ("\n".join(crafted_lines()) + "\n").encode()
    _, records = line_path(CRAFTED_FORMAT, [block])
    fast = fast_path(CRAFTED_FORMAT, [block])["csv"]
    read = list(csv.DictReader(io.StringIO("\n".join([",".join(CSV_COLUMNS), *fast]))))
    assert len(read) == len(records) > 0
    for row, record in zip(read, records, strict=True):
        flat = {key: value for key, value in json.loads(json.dumps(record.to_dict())).items()
                if not isinstance(value, dict | None)}  # fmt: skip
        for key, value in flat.items():
            want = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            assert row[key] == want, key
        if record.ogc is not None:
            assert row["ogc_service"] == record.ogc.service
            assert row["ogc_layers"] == ",".join(record.ogc.layers)
