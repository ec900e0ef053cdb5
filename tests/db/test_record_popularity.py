"""Record popularity: the layers each record publishes, fetched from the site's GeoNetwork 4,
and `analyzer export popularity` over the aggregates.

A local HTTP server answers the search API as GeoNetwork 4 does (an Elasticsearch response
whose sources hold ``uuid``, ``resourceTitleObject`` and the online resources in ``link``,
as geonetwork-ui reads them). Two sites' requests over four months are loaded by `analyzer
run`, then the raw rows go, as retention would drop them: every count below comes from the
aggregates. The days are placed relative to today, within the raw retention: a day before
a whole month (A), a day of that month (B), a day after it (C), and two days around the
start of the default period (O outside, Y inside).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import yaml

from analyzer.cli import main
from analyzer.db import titles
from analyzer.db.migrate import migrate
from analyzer.errors import ExitCode
from analyzer.settings import SiteConfig
from tests.db.ingest_support import run
from tests.support.catalogue import Catalogue, serving

PARIS = ZoneInfo("Europe/Paris")
R1, R2, R3, R4, R5 = (f"0a5c1e7e-0000-4000-8000-00000000000{n}" for n in range(1, 6))
GEOSERVER = "https://sdi.example.org/geoserver"


def _link(protocol: str, name: str, url: str) -> dict[str, Any]:
    return {"protocol": protocol, "nameObject": {"default": name}, "urlObject": {"default": url}}


# What the catalogue knows (R3 is unknown to it: deleted or private).
RECORDS: dict[str, dict[str, Any]] = {
    R1: {
        "resourceTitleObject": {"default": "States", "langfre": "États"},
        "link": [
            _link("OGC:WMS", "states", f"{GEOSERVER}/topp/wms"),  # the workspace of its URL
            _link("OGC:WFS", "topp:states", f"{GEOSERVER}/ows"),  # the same layer again
            _link("WWW:LINK", "home", "https://sdi.example.org/"),
        ],
    },
    R2: {
        "resourceTitleObject": {"default": "Roads"},
        "link": [_link("OGC:WMS-1.3.0-http-get-map", "tiger:roads", f"{GEOSERVER}/ows")],
    },
    R4: {
        "resourceTitleObject": {"default": "Points of interest"},
        "link": {"protocol": "OGC:WFS", "name": "poi", "url": f"{GEOSERVER}/wfs"},  # bare
    },
    R5: {"resourceTitleObject": {"default": "Recent"}, "link": []},
}


@dataclass(frozen=True)
class Days:
    """The days the requests are on (see the module's docstring)."""

    month: date  # the first day of the whole month
    today: date

    @property
    def a(self) -> date:
        return self.month - timedelta(days=1)

    @property
    def b(self) -> date:
        return self.month + timedelta(days=9)

    @property
    def next_month(self) -> date:
        return (self.month + timedelta(days=31)).replace(day=1)

    @property
    def c(self) -> date:
        return self.next_month + timedelta(days=2)

    @property
    def o(self) -> date:
        return self.today - timedelta(days=31)

    @property
    def y(self) -> date:
        return self.today - timedelta(days=1)


def _days() -> Days:
    today = datetime.now(PARIS).date()
    month = today.replace(day=1)
    for _ in range(3):  # three months back: C stays well before O
        month = (month - timedelta(days=1)).replace(day=1)
    return Days(month, today)


VIEW, DOWNLOAD, EXPORT = "", "/attachments/data.zip", "/formatters/xml"


def _record(uuid: str, action: str) -> str:
    return f"/geonetwork/srv/api/records/{uuid}{action}"


def _wms(path: str, layers: str) -> str:
    return f"/geoserver/{path}?SERVICE=WMS&REQUEST=GetMap&LAYERS={layers}&WIDTH=256&HEIGHT=256"


def _requests(days: Days) -> dict[str, list[tuple[date, str, int]]]:
    """site -> (day, path, times)."""
    alpha = [
        (days.a, _record(R1, VIEW), 2),
        (days.a, _record(R4, VIEW), 1),
        (days.a, _wms("topp/wms", "states"), 3),  # topp:states
        (days.b, _record(R1, VIEW), 5),
        (days.b, _record(R1, DOWNLOAD), 2),
        (days.b, _record(R1, EXPORT), 1),
        (days.b, _record(R2, VIEW), 3),
        (days.b, _record(R3, VIEW), 1),
        (days.b, _wms("wms", "roads"), 4),  # bare: tiger:roads of R2
        (days.b, _wms("wms", "other:states"), 2),  # another workspace: no record's
        (days.b, "/geoserver/ows?service=WFS&request=GetFeature&typeNames=tiger:poi", 6),
        (days.b, _wms("wms", "topp:states,tiger:roads"), 1),  # one for R1, one for R2
        (days.c, _record(R2, VIEW), 1),
        (days.c, _record(R2, DOWNLOAD), 1),
        (days.c, _wms("topp/wms", "states"), 2),
        (days.o, _record(R5, VIEW), 4),
        (days.y, _record(R5, VIEW), 2),
    ]
    beta = [(days.b, _record(R1, VIEW), 7), (days.b, _wms("topp/wms", "states"), 1)]
    return {"alpha": alpha, "beta": beta}


def _write_logs(root: Path, days: Days) -> dict[str, Path]:
    """Each site's requests as a rotated nginx log, at local noon; site -> live path."""
    lives = {}
    for site, requests in _requests(days).items():
        lines = []
        for day, path, times in sorted(requests):
            ts = datetime.combine(day, time(12), PARIS).strftime("%d/%b/%Y:%H:%M:%S %z")
            lines += [
                f'192.0.2.1 - - [{ts}] "GET {path} HTTP/1.1" 200 512 "-" '
                '"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" 0.010'
            ] * times
        folder = root / site
        folder.mkdir()
        (folder / "access.log.1").write_text("\n".join(lines) + "\n")
        lives[site] = folder / "access.log"
    return lives


def _config(path: Path, database_url: str, catalog: str, lives: dict[str, Path]) -> Path:
    sites = [
        {"name": site, "catalog": catalog, "logs": [{"path": str(live), "format": "nginx"}]}
        for site, live in lives.items()
    ]
    document = {"database_url": database_url, "state_dir": str(path.parent / "state")}
    path.write_text(yaml.safe_dump({**document, "sites": sites}))
    return path


@pytest.fixture(scope="module")
def catalogue() -> Iterator[Catalogue]:
    with serving(RECORDS) as server:
        yield server


@dataclass(frozen=True)
class Loaded:
    config: Path
    days: Days
    writer_url: str


@pytest.fixture(scope="module")
def loaded(analytics_db, tmp_path_factory, catalogue) -> Loaded:
    root = tmp_path_factory.mktemp("popularity")
    days = _days()
    config = _config(
        root / "config.yaml", analytics_db.writer_url, catalogue.url, _write_logs(root, days)
    )
    done = run(config)
    assert done.returncode == ExitCode.OK, done.stderr
    with psycopg.connect(analytics_db.admin_url, autocommit=True) as admin:
        admin.execute("TRUNCATE analytics.requests, analytics.request_layers")
    return Loaded(config, days, analytics_db.writer_url)


def _export(
    loaded: Loaded, capsys: pytest.CaptureFixture[str], *args: str | date
) -> dict[str, Any]:
    code = main(["export", "popularity", "--config", str(loaded.config), *map(str, args)])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    return json.loads(out)


def _counts(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(site, uuid, title, views, downloads, exports, layer_requests, {layer: requests})."""
    return [
        (
            r["site"], r["uuid"], r["title"], r["views"], r["downloads"], r["exports"],
            r["layer_requests"], {layer["layer"]: layer["requests"] for layer in r["layers"]},
        )
        for r in document["records"]
    ]  # fmt: skip


def test_the_layers_of_each_record_are_fetched_with_its_title(loaded):
    with psycopg.connect(loaded.writer_url) as conn:
        layers = conn.execute(
            "SELECT site, uuid, layer FROM analytics.record_layers ORDER BY 1, 2, 3"
        ).fetchall()
        named = dict(conn.execute("SELECT uuid, title FROM analytics.record_titles"))
    assert layers == [
        ("alpha", R1, "topp:states"),
        ("alpha", R2, "tiger:roads"),
        ("alpha", R4, "poi"),
        ("beta", R1, "topp:states"),
    ]
    assert named == {R1: "States", R2: "Roads", R3: None, R4: "Points of interest", R5: "Recent"}


def test_a_record_is_asked_again_after_30_days_and_its_layers_replaced(loaded, catalogue):
    catalogue.records[R5] = {
        "resourceTitleObject": {"default": "Recent, renamed"},
        "link": [_link("OGC:WMTS", "recent", f"{GEOSERVER}/gwc/service/wmts")],
    }
    site = SiteConfig("alpha", catalog=catalogue.url)
    with psycopg.connect(loaded.writer_url, autocommit=True) as conn:
        asked = len(catalogue.asked)
        assert titles.update(conn, [site]) == 0  # every answer is fresh
        conn.execute(
            "UPDATE analytics.record_titles SET fetched_at = now() - INTERVAL '31 days'"
            " WHERE site = 'alpha' AND uuid = %s",
            [R5],
        )
        assert titles.update(conn, [site]) == 1
        assert catalogue.asked[asked:] == [R5]
        (title,) = conn.execute(
            "SELECT title FROM analytics.record_titles WHERE site = 'alpha' AND uuid = %s", [R5]
        ).fetchone()
        layers = conn.execute(
            "SELECT layer FROM analytics.record_layers WHERE site = 'alpha' AND uuid = %s", [R5]
        ).fetchall()
    assert (title, layers) == ("Recent, renamed", [("recent",)])


def test_views_downloads_exports_and_layer_requests_over_a_period(loaded, capsys):
    days = loaded.days
    document = _export(loaded, capsys, "--since", days.a, "--until", days.c + timedelta(1))

    assert document["period"] == {
        "since": days.a.isoformat(),
        "until": (days.c + timedelta(1)).isoformat(),
        "timezone": "Europe/Paris",
    }
    assert datetime.fromisoformat(document["generated_at"]).tzinfo is not None
    assert _counts(document) == [
        ("alpha", R1, "States", 7, 2, 1, 6, {"topp:states": 6}),
        ("alpha", R2, "Roads", 4, 1, 0, 5, {"tiger:roads": 5}),
        ("alpha", R3, None, 1, 0, 0, 0, {}),
        ("alpha", R4, "Points of interest", 1, 0, 0, 6, {"poi": 6}),
        ("beta", R1, "States", 7, 0, 0, 1, {"topp:states": 1}),
    ]


def test_a_whole_month_alone_and_single_days(loaded, capsys):
    days = loaded.days
    month = _export(loaded, capsys, "--since", days.month, "--until", days.next_month)
    assert _counts(month) == [
        ("alpha", R1, "States", 5, 2, 1, 1, {"topp:states": 1}),
        ("alpha", R2, "Roads", 3, 0, 0, 5, {"tiger:roads": 5}),
        ("alpha", R3, None, 1, 0, 0, 0, {}),
        ("alpha", R4, "Points of interest", 0, 0, 0, 6, {"poi": 6}),  # used through its layer
        ("beta", R1, "States", 7, 0, 0, 1, {"topp:states": 1}),
    ]
    day_a = _export(loaded, capsys, "--since", days.a, "--until", days.month)
    assert _counts(day_a) == [
        ("alpha", R1, "States", 2, 0, 0, 3, {"topp:states": 3}),
        ("alpha", R4, "Points of interest", 1, 0, 0, 0, {"poi": 0}),
    ]
    before_a = _export(loaded, capsys, "--since", days.a - timedelta(5), "--until", days.a)
    assert before_a["records"] == []  # --until is excluded


def test_the_default_period_is_the_last_30_full_days(loaded, capsys):
    days = loaded.days
    document = _export(loaded, capsys)
    since = days.today - timedelta(days=30)
    assert document["period"]["since"] == since.isoformat()
    assert document["period"]["until"] == days.today.isoformat()
    (recent,) = [r for r in document["records"] if r["uuid"] == R5]
    assert recent["views"] == 2  # yesterday's, not those of 31 days ago


def test_site_restricts_the_export(loaded, capsys):
    days = loaded.days
    document = _export(
        loaded, capsys, "--site", "beta", "--since", days.a, "--until", days.next_month
    )
    assert _counts(document) == [("beta", R1, "States", 7, 0, 0, 1, {"topp:states": 1})]
    code = main(["export", "popularity", "--config", str(loaded.config), "--site", "gamma"])
    assert code == ExitCode.CONFIG
    assert "no site named 'gamma' (sites: alpha, beta)" in capsys.readouterr().err


def test_csv_has_a_header_and_one_row_per_site_and_record(loaded, capsys, tmp_path):
    days = loaded.days
    output = tmp_path / "popularity.csv"
    code = main(
        ["export", "popularity", "--config", str(loaded.config), "--format", "csv",
         "--since", str(days.month), "--until", str(days.next_month), "--output", str(output)]
    )  # fmt: skip

    assert code == ExitCode.OK
    assert capsys.readouterr().out == ""
    assert list(csv.reader(io.StringIO(output.read_text()))) == [
        ["site", "uuid", "title", "views", "downloads", "exports", "layer_requests", "layers"],
        ["alpha", R1, "States", "5", "2", "1", "1", "topp:states"],
        ["alpha", R2, "Roads", "3", "0", "0", "5", "tiger:roads"],
        ["alpha", R3, "", "1", "0", "0", "0", ""],
        ["alpha", R4, "Points of interest", "0", "0", "0", "6", "poi"],
        ["beta", R1, "States", "7", "0", "0", "1", "topp:states"],
    ]
    assert [path.name for path in tmp_path.iterdir()] == ["popularity.csv"]  # no temporary
    assert output.stat().st_mode & 0o777 == 0o644


def test_an_output_is_replaced_whole_and_keeps_its_mode(loaded, capsys, tmp_path):
    output = tmp_path / "popularity.json"
    output.write_text("the previous export")
    output.chmod(0o640)
    args = ["export", "popularity", "--config", str(loaded.config), "--output", str(output)]

    assert main(args) == ExitCode.OK

    assert json.loads(output.read_text())["period"]["timezone"] == "Europe/Paris"
    assert output.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in tmp_path.iterdir()] == ["popularity.json"]
    missing = tmp_path / "missing" / "popularity.json"
    assert main([*args[:-1], str(missing)]) == ExitCode.FAILURE
    assert f"{missing}: cannot write: No such file or directory" in capsys.readouterr().err


def test_since_must_come_before_until(loaded, capsys):
    day = str(loaded.days.b)
    args = ["export", "popularity", "--config", str(loaded.config), "--since", day]
    assert main([*args, "--until", day]) == ExitCode.USAGE
    assert f"--since {day} must come before --until {day}" in capsys.readouterr().err


def test_a_database_down_is_a_clear_error(tmp_path, capsys):
    lives = {"alpha": tmp_path / "alpha" / "access.log"}
    down = "postgresql://analytics_writer:x@127.0.0.1:9/analytics"
    config = _config(tmp_path / "config.yaml", down, "http://127.0.0.1:9/geonetwork", lives)

    code = main(["export", "popularity", "--config", str(config)])

    assert code == ExitCode.DATABASE
    assert "analyzer: error: cannot connect to analytics_writer@127.0.0.1:9/analytics" in (
        capsys.readouterr().err
    )


def test_records_asked_before_their_layers_were_are_asked_again(empty_db):
    """Migration 0016 marks the answers of older analyzers old: their layers come next."""
    migrate(empty_db.owner_url, target="0014")
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO analytics.record_titles (site, uuid, title) VALUES ('alpha', %s, 'x')",
            [R1],
        )
        migrate(empty_db.owner_url)
        (old,) = conn.execute(
            "SELECT fetched_at = '-infinity' FROM analytics.record_titles"
        ).fetchone()
    assert old
