"""The aggregates against SQL over the raw rows, at every level, on both editions.

Two sites, several files over a week that crosses the end of summer time (25 October 2026
in Europe/Paris) and a month boundary, loaded the way the nightly job loads them. Every
expected value below is computed from the raw rows with plain SQL, independently of the
aggregate definitions.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from analyzer.db import aggregates
from analyzer.db.aggregates import LATENCY_BINS, LATENCY_BOUNDS_MS
from analyzer.db.connect import edition
from analyzer.db.migrate import migrate
from tests.db.rows import load_file

PARIS = ZoneInfo("Europe/Paris")
LEVELS = {"hourly": "1 hour", "daily": "1 day", "monthly": "1 month"}
BINS = ", ".join(f"sum({b.column})" for b in LATENCY_BINS)

# (site, start, span, rows): overlapping days, a file across midnight and the month
# boundary, and a second file for a day already loaded (another log source).
FILES = [
    ("alpha", datetime(2026, 10, 24, 0, 0, tzinfo=PARIS), timedelta(days=1), 1500),
    ("alpha", datetime(2026, 10, 25, 0, 0, tzinfo=PARIS), timedelta(days=1), 1500),
    ("beta", datetime(2026, 10, 25, 0, 0, tzinfo=PARIS), timedelta(days=1), 1200),
    ("alpha", datetime(2026, 10, 26, 12, 0, tzinfo=PARIS), timedelta(days=1), 1500),
    ("beta", datetime(2026, 10, 31, 6, 0, tzinfo=PARIS), timedelta(days=2), 2000),
    ("alpha", datetime(2026, 10, 25, 0, 0, tzinfo=PARIS), timedelta(days=1), 800),
    # Two files in the hour repeated at the end of summer time, one bucket for both.
    ("gamma", datetime(2026, 10, 25, 0, 10, tzinfo=UTC), timedelta(minutes=40), 300),
    ("gamma", datetime(2026, 10, 25, 1, 10, tzinfo=UTC), timedelta(minutes=40), 300),
]

# family -> (dimensions in the aggregate, the same dimensions over raw rows, raw relation
# and filter, measures in the aggregate, the same measures over raw rows)
FAMILIES = {
    "requests": (
        "site, app, status_class, agent_class, org",
        "site, app, (status / 100)::text || 'xx', agent_class, org",
        "analytics.requests",
        "requests, bytes, errors, timed, duration_ms_sum, duration_ms_max",
        "count(*), sum(bytes), count(*) FILTER (WHERE status >= 400), count(duration_ms),"
        " sum(duration_ms), max(duration_ms)",
    ),
    "layers": (
        "site, app, layer, workspace, ogc_service, ogc_request, ogc_tiled, ogc_download, org",
        "site, app, layer, nullif(split_part(layer, ':', 1), layer), ogc_service,"
        " ogc_request, ogc_tiled, ogc_download, org",
        "analytics.request_layers",
        "requests, errors, timed, duration_ms_max",
        "count(*), count(*) FILTER (WHERE status >= 400), count(duration_ms), max(duration_ms)",
    ),
    "ogc": (
        "site, app, ogc_service, ogc_request, ogc_crs, ogc_format, ogc_tiled, ogc_download,"
        " agent_class, agent_name, org",
        "site, app, ogc_service, ogc_request, ogc_crs, ogc_format, ogc_tiled, ogc_download,"
        " agent_class, agent_name, org",
        "analytics.requests WHERE ogc_service IS NOT NULL",
        "requests, bytes, errors, layers",
        "count(*), sum(bytes), count(*) FILTER (WHERE status >= 400), sum(layer_count)",
    ),
    "catalog": (
        "site, app, catalog_action, catalog_uuid, agent_class, org",
        "site, app, catalog_action, catalog_uuid, agent_class, org",
        "analytics.requests WHERE catalog_action IS NOT NULL",
        "requests, bytes, errors",
        "count(*), sum(bytes), count(*) FILTER (WHERE status >= 400)",
    ),
    "errors": (
        "site, app, status, status_class, path_prefix, agent_class",
        "site, app, status, (status / 100)::text || 'xx',"
        " array_to_string((string_to_array(path, '/'))[1:3], '/'), agent_class",
        "analytics.requests WHERE status >= 400",
        "requests, bytes",
        "count(*), sum(bytes)",
    ),
}
# Daily rollups with fewer dimensions (one level, for the daily time series), as FAMILIES.
DAILY_ROLLUPS = {
    "traffic_daily": (
        "site, app, org",
        "site, app, org",
        "analytics.requests",
        "requests, bytes, errors, timed, duration_ms_sum, duration_ms_max, "
        + ", ".join(b.column for b in LATENCY_BINS),
        "count(*), sum(bytes), count(*) FILTER (WHERE status >= 400), count(duration_ms),"
        " sum(duration_ms), max(duration_ms), "
        + ", ".join(f"count(*) FILTER (WHERE {b.condition('duration_ms')})" for b in LATENCY_BINS),
    ),
    "ogc_services_daily": (
        "site, ogc_service, ogc_request, org",
        "site, ogc_service, ogc_request, org",
        "analytics.requests WHERE ogc_service IS NOT NULL",
        "requests, bytes, errors, layers",
        "count(*), sum(bytes), count(*) FILTER (WHERE status >= 400), sum(layer_count)",
    ),
}

# The aggregates of signed-in users: (bucket width, then as FAMILIES).
USER_AGGREGATES = {
    name: (width, dims, dims, "analytics.requests WHERE user_name IS NOT NULL", *measures)
    for name, width, dims, measures in [
        (
            "users_daily",
            "1 day",
            "site, user_name, app, org, roles",
            ("requests, bytes", "count(*), sum(bytes)"),
        ),
        (
            "users_monthly",
            "1 month",
            "site, user_name, app, org, roles",
            ("requests, bytes", "count(*), sum(bytes)"),
        ),
        ("user_orgs_daily", "1 day", "site, user_name, org", ("requests", "count(*)")),
    ]
}


@pytest.fixture(scope="module")
def loaded(analytics_db) -> Iterator[psycopg.Connection]:
    """The writer's connection to a database holding FILES, aggregates refreshed."""
    with psycopg.connect(analytics_db.writer_url, autocommit=True) as conn:
        for site, start, span, rows in FILES:
            load_file(conn, site, start, span, rows)
        yield conn


def _rows(conn: psycopg.Connection, query: str, params: object = None) -> list[tuple]:
    rows = conn.execute(query, params).fetchall()
    return sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)


def _plain(value: object) -> object:
    # Sums come back as numeric or double depending on the path: compare numbers as numbers.
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    return value


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("level", LEVELS)
def test_aggregate_rows_equal_sql_over_raw_rows(loaded, family, level):
    _assert_rows_equal_raw(loaded, f"{family}_{level}", LEVELS[level], *FAMILIES[family])


@pytest.mark.parametrize("name", DAILY_ROLLUPS)
def test_daily_rollup_rows_equal_sql_over_raw_rows(loaded, name):
    _assert_rows_equal_raw(loaded, name, "1 day", *DAILY_ROLLUPS[name])


@pytest.mark.parametrize("name", USER_AGGREGATES)
def test_user_aggregate_rows_equal_sql_over_raw_rows(loaded, name):
    _assert_rows_equal_raw(loaded, name, *USER_AGGREGATES[name])


def _assert_rows_equal_raw(
    conn: psycopg.Connection, relation: str, width: str, *columns: str, zone: str = "Europe/Paris"
) -> None:
    dims, raw_dims, raw_from, measures, raw_measures = columns
    actual = _rows(conn, f"SELECT bucket, {dims}, {measures} FROM analytics.{relation}")
    expected = _rows(
        conn,
        f"SELECT time_bucket(%(width)s::interval, ts, %(zone)s), {raw_dims}, "
        f"{raw_measures} FROM {raw_from} GROUP BY 1, {raw_dims}",
        {"width": width, "zone": zone},
    )
    assert len(actual) > 10, "the data set must exercise this aggregate"
    assert actual == expected


def test_hourly_rows_in_a_zone_a_quarter_hour_off_utc_equal_sql_over_raw_rows(empty_db):
    """The Apache-licence refresh groups raw rows by UTC quarter hour, then by local hour
    (aggregates._recompute): at UTC+5:45 a UTC hour straddles two local hours."""
    migrate(empty_db.owner_url, timezone="Asia/Kathmandu")
    start = datetime(2026, 11, 2, 5, tzinfo=ZoneInfo("Asia/Kathmandu"))
    with psycopg.connect(empty_db.writer_url, autocommit=True) as conn:
        load_file(conn, "alpha", start, timedelta(hours=12), 4000)
        for family, columns in FAMILIES.items():
            _assert_rows_equal_raw(
                conn, f"{family}_hourly", "1 hour", *columns, zone="Asia/Kathmandu"
            )


@pytest.mark.parametrize(
    ("zone", "day", "quarters"),
    [
        ("Europe/Paris", datetime(2026, 10, 25), True),  # summer time ends
        ("Asia/Kathmandu", datetime(2026, 11, 2), True),  # UTC+5:45
        ("Australia/Lord_Howe", datetime(2026, 4, 5), True),  # summer time: half an hour
        ("Europe/Paris", datetime(1900, 1, 1), False),  # local mean time: UTC+0:09:21
    ],
)
def test_quarter_hours_group_raw_rows_only_where_they_fit_local_hours(zone, day, quarters):
    window = (day.replace(tzinfo=UTC), (day + timedelta(days=1)).replace(tzinfo=UTC))
    assert aggregates._quarters_fit_hours(zone, window) is quarters


@pytest.mark.parametrize("level", LEVELS)
def test_requests_summed_per_site_and_bucket_equal_raw_counts(loaded, level):
    actual = _rows(
        loaded,
        f"SELECT bucket, site, sum(requests) FROM analytics.requests_{level} GROUP BY 1, 2",
    )
    expected = _rows(
        loaded,
        "SELECT time_bucket(%(width)s::interval, ts, 'Europe/Paris'), site, count(*)"
        " FROM analytics.requests GROUP BY 1, 2",
        {"width": LEVELS[level]},
    )
    assert actual == expected
    assert sum(row[2] for row in actual) == sum(rows for *_, rows in FILES)


def test_daily_buckets_start_at_paris_midnight_across_the_end_of_summer_time(loaded):
    starts = [
        row[0].astimezone(PARIS)
        for row in loaded.execute(
            "SELECT DISTINCT bucket FROM analytics.requests_daily ORDER BY 1"
        ).fetchall()
    ]
    assert {(s.hour, s.minute) for s in starts} == {(0, 0)}
    assert datetime(2026, 10, 25, tzinfo=PARIS) in starts  # the 25-hour day


def _bin_bound(duration: float) -> float:
    """The upper bound of the latency bin holding ``duration`` (the last bound for overflow)."""
    index = bisect.bisect_left(LATENCY_BOUNDS_MS, duration)
    return float(LATENCY_BOUNDS_MS[min(index, len(LATENCY_BOUNDS_MS) - 1)])


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
@pytest.mark.parametrize("level", LEVELS)
def test_latency_percentiles_are_exact_to_the_bin_at_every_level(loaded, level, p):
    actual = dict(
        ((bucket, site, app), value)
        for bucket, site, app, value in loaded.execute(
            f"SELECT bucket, site, app, analytics.latency_percentile(%(p)s, ARRAY[{BINS}])"
            f" FROM analytics.requests_{level} GROUP BY 1, 2, 3",
            {"p": p},
        )
    )
    expected = {
        (bucket, site, app): None if value is None else _bin_bound(value)
        for bucket, site, app, value in loaded.execute(
            "SELECT time_bucket(%(width)s::interval, ts, 'Europe/Paris'), site, app,"
            " percentile_disc(%(p)s) WITHIN GROUP (ORDER BY duration_ms)"
            " FROM analytics.requests GROUP BY 1, 2, 3",
            {"width": LEVELS[level], "p": p},
        )
    }
    assert actual == expected
    assert len([v for v in actual.values() if v is not None]) > 3, "too few timed groups"


def test_layer_percentiles_over_a_month_are_exact_to_the_bin(loaded):
    actual = dict(
        loaded.execute(
            f"SELECT layer, analytics.latency_percentile(0.95, ARRAY[{BINS}])"
            " FROM analytics.layers_monthly GROUP BY 1"
        ).fetchall()
    )
    expected = {
        layer: _bin_bound(value)
        for layer, value in loaded.execute(
            "SELECT layer, percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms)"
            " FROM analytics.request_layers GROUP BY 1"
        )
    }
    assert actual == expected


@pytest.mark.parametrize("period", ["1 day", "1 month"])
def test_distinct_users_from_users_daily_equal_distinct_users_of_raw_rows(loaded, period):
    actual = _rows(
        loaded,
        "SELECT time_bucket(%(period)s::interval, bucket, 'Europe/Paris'), site, org,"
        " count(DISTINCT user_name) FROM analytics.users_daily GROUP BY 1, 2, 3",
        {"period": period},
    )
    expected = _rows(
        loaded,
        "SELECT time_bucket(%(period)s::interval, ts, 'Europe/Paris'), site, org,"
        " count(DISTINCT user_name) FROM analytics.requests WHERE user_name IS NOT NULL"
        " GROUP BY 1, 2, 3",
        {"period": period},
    )
    assert actual == expected


def test_distinct_count_of_user_names_equals_count_distinct_of_raw_rows(loaded):
    actual = _rows(
        loaded,
        "SELECT site, org, analytics.distinct_count(array_agg(user_name))"
        " FROM analytics.users_daily GROUP BY 1, 2",
    )
    expected = _rows(
        loaded,
        "SELECT site, org, count(DISTINCT user_name) FROM analytics.requests"
        " WHERE user_name IS NOT NULL GROUP BY 1, 2",
    )
    assert actual == expected
    assert any(count > 1 for *_, count in actual), "the data set must repeat users"
    nulls = "SELECT analytics.distinct_count(ARRAY['a', NULL, 'a', 'b'])"
    assert loaded.execute(nulls).fetchone()[0] == 2


def test_users_by_role_view_counts_each_role_of_a_user(loaded):
    actual = _rows(
        loaded,
        "SELECT role, count(DISTINCT user_name) FROM analytics.user_roles_daily GROUP BY 1",
    )
    expected = _rows(
        loaded,
        "SELECT role, count(DISTINCT user_name) FROM analytics.requests, unnest(roles) AS role"
        " GROUP BY 1",
    )
    assert actual == expected
    assert dict(actual)["ROLE_ADMIN"] < dict(actual)["ROLE_USER"]


def test_every_loaded_file_is_marked_aggregated(loaded):
    pending = loaded.execute(
        "SELECT count(*) FROM analytics.ingested_files WHERE aggregated_at IS NULL"
    ).fetchone()[0]
    assert pending == 0


def test_latency_percentile_is_null_without_timed_requests(loaded):
    zeros = ", ".join("0" for _ in LATENCY_BINS)
    value = loaded.execute(
        f"SELECT analytics.latency_percentile(0.5, ARRAY[{zeros}]::numeric[])"
    ).fetchone()[0]
    assert value is None


@pytest.mark.parametrize(
    ("p", "bins", "message"),
    [
        (1.5, "ARRAY[1, 2]", "p must be within"),
        (0.5, "ARRAY[1, 2]", f"expected {len(LATENCY_BINS)} bins, got 2"),
    ],
)
def test_latency_percentile_refuses_a_bad_quantile_or_histogram(loaded, p, bins, message):
    with pytest.raises(psycopg.errors.RaiseException, match=message):
        loaded.execute(f"SELECT analytics.latency_percentile(%s, {bins}::numeric[])", [p])


def test_refresh_after_commit_settles_a_file_a_killed_run_left_pending(loaded):
    start = datetime(2026, 11, 5, 8, 0, tzinfo=PARIS)
    load_file(loaded, "delta", start, timedelta(hours=5), 250, settle=False)
    assert aggregates.refresh_after_commit(loaded) == 1
    assert aggregates.refresh_after_commit(loaded) == 0
    for level in LEVELS:
        total = loaded.execute(
            f"SELECT sum(requests) FROM analytics.requests_{level} WHERE site = 'delta'"
        ).fetchone()[0]
        assert total == 250, level


def test_a_refresh_on_the_callers_connection_leaves_its_settings_as_they_were(loaded):
    """A refresh groups by hashing (`_grouped_by_hashing` turns sorting off); on the
    caller's connection, which it uses for a single chain of aggregates, sorting is back
    on once it is done, and what it wrote equals the raw rows."""
    if edition(loaded) != "timescale":
        pytest.skip("continuous aggregates need the Timescale licence")
    first, last = loaded.execute("SELECT min(ts), max(ts) FROM analytics.requests").fetchone()
    aggregates._refresh_continuous(loaded, first, last, only={"users_daily", "users_monthly"})
    assert loaded.execute("SHOW enable_sort").fetchone()[0] == "on"
    _assert_rows_equal_raw(loaded, "users_daily", *USER_AGGREGATES["users_daily"])


def test_refresh_after_commit_refuses_a_connection_inside_a_transaction(loaded):
    with loaded.transaction(), pytest.raises(RuntimeError, match="outside any transaction"):
        loaded.execute("SELECT 1")
        aggregates.refresh_after_commit(loaded)
