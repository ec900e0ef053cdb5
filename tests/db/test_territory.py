"""Where users look: each map, feature and tile request placed in a Web Mercator tile, per
layer, and the territory aggregates counting them as the raw rows do, on both editions.

Known places in every form a log gives them (WMS 1.3.0 and 1.1.1 in EPSG:2154, 3857 and
4326 with both axis orders, WMTS KVP and REST tiles, TMS tiles counted from the bottom, a
WFS BBOX naming its CRS) all land on Rennes; generated traffic checks the aggregates.
"""

from __future__ import annotations

import math
from pathlib import Path

import psycopg
import pytest
import yaml

from analyzer.db.aggregates import TERRITORY_ZOOM
from analyzer.errors import ExitCode
from tests.db.ingest_support import configure, generate, run
from tests.support.databases import TestDatabase

RENNES = (-1.68, 48.11)  # longitude, latitude
LINE = (
    '90.12.4.7 - - [25/Nov/2026:10:{minute:02d}:00 +0100] "GET {target} HTTP/1.1" 200 900 "-"'
    ' "QGIS/34000" 0.05'
)
# (target, zoom the view should have): all of them show Rennes.
VIEWS = [
    # A 1 km wide map in Lambert-93, WMS 1.3.0 (easting first whatever the version).
    (
        "/geoserver/ws/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ws:a&CRS=EPSG:2154"
        "&BBOX=351000,6788500,352000,6789500&WIDTH=256&HEIGHT=256",
        14,
    ),
    # 10 km in Web Mercator, WMS 1.1.1.
    (
        "/geoserver/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=ws:a&SRS=EPSG:3857"
        "&BBOX=-192000,6125000,-182000,6135000&WIDTH=256&HEIGHT=256",
        12,
    ),
    # EPSG:4326 in WMS 1.3.0: latitude first.
    (
        "/geoserver/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ws:a&CRS=EPSG:4326"
        "&BBOX=48.0,-1.8,48.2,-1.6&WIDTH=256&HEIGHT=256",
        11,
    ),
    # The same in WMS 1.1.1: longitude first.
    (
        "/geoserver/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=ws:a&SRS=EPSG:4326"
        "&BBOX=-1.8,48.0,-1.6,48.2&WIDTH=256&HEIGHT=256",
        11,
    ),
    # A WFS BBOX naming its CRS as a fifth item.
    (
        "/geoserver/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=ws:a"
        "&BBOX=48.0,-1.8,48.2,-1.6,urn:ogc:def:crs:EPSG::4326",
        11,
    ),
    # Tile z12 x2028 y1420 of EPSG:900913, Rennes': WMTS KVP and REST, and TMS (y from the bottom).
    (
        "/geoserver/gwc/service/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ws:a"
        "&TILEMATRIXSET=EPSG:900913&TILEMATRIX=EPSG%3A900913%3A12&TILEROW=1420&TILECOL=2028"
        "&FORMAT=image/png",
        12,
    ),
    (
        "/geoserver/gwc/service/wmts/rest/ws:a/EPSG:900913/EPSG:900913:12/1420/2028?format=image/png",
        12,
    ),
    ("/geoserver/gwc/service/tms/1.0.0/ws:a@EPSG:900913@png/12/2028/2675.png", 12),
]
# Not placed: a request that shows no place, a BBOX in an unknown CRS, a legend.
UNPLACED = [
    "/geoserver/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities",
    "/geoserver/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ws:b&CRS=EPSG:99999"
    "&BBOX=1,2,3,4&WIDTH=256&HEIGHT=256",
    "/geoserver/wms?REQUEST=GetLegendGraphic&LAYER=ws:b&FORMAT=image/png&WIDTH=20&HEIGHT=20",
]


def _site(root: Path, database_url: str) -> Path:
    site = root / "rennes"
    site.mkdir(parents=True)
    targets = [target for target, _ in VIEWS] + UNPLACED
    lines = [LINE.format(minute=minute, target=target) for minute, target in enumerate(targets)]
    (site / "access.log.1").write_text("\n".join(lines) + "\n")
    config = root / "config.yaml"
    source = {"path": str(site / "access.log"), "format": "nginx"}
    document = {
        "database_url": database_url,
        "state_dir": str(root / "state"),
        "sites": [{"name": "rennes", "logs": [source]}],
    }
    config.write_text(yaml.safe_dump(document))
    return config


@pytest.fixture(scope="module")
def placed(analytics_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    done = run(_site(tmp_path_factory.mktemp("rennes"), analytics_db.writer_url))
    assert done.returncode == ExitCode.OK, done.stderr
    with psycopg.connect(analytics_db.owner_url) as conn:
        return conn.execute(
            "SELECT line_no, layer, ogc_view_zoom,"
            " analytics.tile_longitude(ogc_view_zoom, ogc_view_x),"
            " analytics.tile_latitude(ogc_view_zoom, ogc_view_y)"
            " FROM analytics.request_layers WHERE site = 'rennes' ORDER BY line_no"
        ).fetchall()


def _tile_size(zoom: int) -> float:
    """A tile's width in degrees of longitude at `zoom`."""
    return 360 / 2**zoom


@pytest.mark.parametrize(("line_no", "zoom"), [(i + 1, z) for i, (_, z) in enumerate(VIEWS)])
def test_every_form_of_a_view_of_rennes_is_placed_on_rennes(placed, line_no, zoom) -> None:
    [(_, layer, got_zoom, lon, lat)] = [row for row in placed if row[0] == line_no]
    assert (layer, got_zoom) == ("ws:a", zoom)
    size = _tile_size(zoom)  # a tile of that zoom holds Rennes, or one next to it
    assert abs(lon - RENNES[0]) < 1.5 * size
    assert abs(lat - RENNES[1]) < 1.5 * size * math.cos(math.radians(RENNES[1]))


def test_requests_that_show_no_place_have_no_view(placed) -> None:
    assert [row[2:] for row in placed if row[0] > len(VIEWS)] == [(None, None, None)] * 2


def test_the_territory_aggregate_counts_views_in_tiles_of_the_finest_zoom_at_most(
    placed, analytics_db: TestDatabase
) -> None:
    with psycopg.connect(analytics_db.reader_url) as conn:
        rows = conn.execute(
            "SELECT layer, zoom, x, y, requests FROM analytics.territory_daily"
            " WHERE site = 'rennes' ORDER BY zoom, x, y"
        ).fetchall()
    assert {row[1] for row in rows} == {TERRITORY_ZOOM}  # every view here is as close
    assert sum(row[4] for row in rows) == len(VIEWS)
    # The tiles of lines 6 to 8 are in Rennes' tile of that zoom; so are closer maps.
    shift = 12 - TERRITORY_ZOOM
    [(_, _, _, _, in_rennes)] = [
        row for row in rows if row[1:4] == (TERRITORY_ZOOM, 2028 >> shift, 1420 >> shift)
    ]
    assert in_rennes >= 3


@pytest.fixture(scope="module")
def generated(analytics_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> None:
    logs = generate(tmp_path_factory.mktemp("logs"), "alpha:nginx,beta:secproxy", days=3)
    done = run(configure(logs.config, analytics_db.writer_url))
    assert done.returncode == ExitCode.OK, done.stderr


@pytest.mark.parametrize("level", ["daily", "monthly"])
def test_the_territory_aggregates_count_what_the_raw_rows_hold(
    generated, analytics_db: TestDatabase, level: str
) -> None:
    width = {"daily": "1 day", "monthly": "1 month"}[level]
    shift = f"greatest(ogc_view_zoom - {TERRITORY_ZOOM}, 0)"
    with psycopg.connect(analytics_db.owner_url) as conn:
        zone = conn.execute(
            "SELECT value FROM analytics.settings WHERE key = 'bucket_timezone'"
        ).fetchone()
        raw = conn.execute(
            f"SELECT time_bucket('{width}', ts, %s) AS bucket, site, layer, org,"
            f" least(ogc_view_zoom, {TERRITORY_ZOOM}) AS zoom, ogc_view_x >> {shift} AS x,"
            f" ogc_view_y >> {shift} AS y, count(*) FROM analytics.request_layers"
            " WHERE ogc_view_zoom IS NOT NULL AND site IN ('alpha', 'beta')"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7",
            zone,
        ).fetchall()
    with psycopg.connect(analytics_db.reader_url) as conn:
        aggregated = conn.execute(
            "SELECT bucket, site, layer, org, zoom, x, y, requests"
            f" FROM analytics.territory_{level} WHERE site IN ('alpha', 'beta')"
            " ORDER BY 1, 2, 3, 4, 5, 6, 7"
        ).fetchall()
    assert len(raw) > 100  # the generated maps and tiles are placed
    assert aggregated == raw
