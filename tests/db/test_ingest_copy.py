"""The COPY text rows of `CopyOutput` read back from the real server as the record said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest

from analyzer.db.ingest import copy_statement
from analyzer.outputs import CopyOutput
from analyzer.record import CatalogInfo, OgcInfo, Request
from analyzer.row import LAYER_COLUMNS, REQUEST_COLUMNS, Source
from tests.support.databases import TestDatabase

PARIS_WINTER = timezone(timedelta(hours=1))


def _request(**changes: object) -> Request:
    fields: dict[str, object] = dict(
        line_no=7, ts=datetime(2026, 11, 26, 10, 0, 1, 250000, tzinfo=PARIS_WINTER),
        site="rennes", client_ip="192.168.1.0", user="jérôme.dupont", org="Rennes Métropole",
        roles=["ROLE_USER", "ROLE_A,B", 'ROLE_"Q"', "ROLE_\\X"], method="GET",
        path="/geoserver/wms", query="a=1\tb=2", status=200, bytes=12345, duration_ms=18.5,
        referer='https://x.org/?q="carte, des écoles"', app="geoserver",
        user_agent="Mozilla/5.0 (KHTML, like Gecko)", agent_class="browser", agent_name="Chrome",
    )  # fmt: skip
    fields.update(changes)
    return Request(**fields)  # type: ignore[arg-type]


def _copy_and_read(url: str, requests: list[Request]) -> tuple[list[tuple], list[tuple]]:
    rows, layer_rows = CopyOutput(Source("rennes", 42)).encode(requests)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(copy_statement("requests", REQUEST_COLUMNS)) as copy:
            copy.write("".join(f"{row}\n" for row in rows).encode())
        with cur.copy(copy_statement("request_layers", LAYER_COLUMNS)) as copy:
            copy.write(layer_rows.encode())
        stored = cur.execute(
            f"SELECT {', '.join(REQUEST_COLUMNS)} FROM analytics.requests"
            " WHERE file_id = 42 ORDER BY line_no"
        ).fetchall()
        layers = cur.execute(
            "SELECT line_no, layer, workspace, ogc_service, ogc_tiled, org, user_name, status"
            " FROM analytics.request_layers WHERE file_id = 42 ORDER BY line_no, layer"
        ).fetchall()
        conn.rollback()
    return stored, layers


@pytest.fixture
def writer_url(analytics_db: TestDatabase) -> str:
    return analytics_db.writer_url


def test_text_values_survive_tabs_newlines_backslashes_quotes_and_commas(writer_url) -> None:
    request = _request(user_agent="evil\\agent\nwith\rbreaks\tand\0nul")

    (row,), _ = _copy_and_read(writer_url, [request])
    stored = dict(zip(REQUEST_COLUMNS, row, strict=True))

    assert stored["ts"] == request.ts
    assert stored["user_name"] == "jérôme.dupont"
    assert stored["roles"] == request.roles
    assert stored["query"] == "a=1\tb=2"
    assert stored["referer"] == request.referer
    assert stored["user_agent"] == "evil\\agent\nwith\rbreaks\tandnul"  # NUL cannot be stored
    assert (stored["ogc_service"], stored["layer_count"], stored["catalog_action"]) == (
        None, 0, None,
    )  # fmt: skip


def test_ogc_requests_store_their_layers_once_per_layer(writer_url) -> None:
    ogc = OgcInfo(
        service="WMS", request="GetMap",
        layers=["topp:states", "bare", "ws:we\\ird\tname", ":lead", "a:b:c"],
        crs="EPSG:4326", format="image/png", bbox=[-180.0, -90.5, 180.0, 90.0],
        width=10**12, height=256, tiled=True,
    )  # fmt: skip

    (row,), layers = _copy_and_read(writer_url, [_request(ogc=ogc, user=None, org=None)])
    stored = dict(zip(REQUEST_COLUMNS, row, strict=True))

    assert stored["ogc_layers"] == ogc.layers
    assert stored["ogc_bbox"] == ogc.bbox
    assert (stored["ogc_width"], stored["ogc_height"]) == (None, 256)  # out of range -> NULL
    assert (stored["ogc_tiled"], stored["ogc_download"], stored["layer_count"]) == (True, False, 5)
    assert layers == [  # the workspace: what precedes the first colon, NULL without one
        (7, ":lead", "", "WMS", True, None, None, 200),
        (7, "a:b:c", "a", "WMS", True, None, None, 200),
        (7, "bare", None, "WMS", True, None, None, 200),
        (7, "topp:states", "topp", "WMS", True, None, None, 200),
        (7, "ws:we\\ird\tname", "ws", "WMS", True, None, None, 200),
    ]


def test_catalog_actions_and_missing_values_are_stored_as_null(writer_url) -> None:
    request = _request(
        ts=datetime(2026, 11, 26, 9, 0, tzinfo=UTC), bytes=None, duration_ms=None, roles=[],
        referer=None, user_agent=None, agent_name=None, client_ip=None, query=None,
        catalog=CatalogInfo("metadata_view", "8d116ece-1738-47d9-bd9c-172411e20b8f"),
    )  # fmt: skip

    (row,), _ = _copy_and_read(writer_url, [request])
    stored = dict(zip(REQUEST_COLUMNS, row, strict=True))

    assert stored["ts"] == request.ts
    assert stored["roles"] == []
    assert [stored[c] for c in ("bytes", "duration_ms", "referer", "user_agent", "query")] == [
        None, None, None, None, None,
    ]  # fmt: skip
    assert (stored["catalog_action"], stored["catalog_uuid"]) == (
        "metadata_view", "8d116ece-1738-47d9-bd9c-172411e20b8f",
    )  # fmt: skip
