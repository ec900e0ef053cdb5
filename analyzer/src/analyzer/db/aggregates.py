"""The aggregates: one definition each in ``timescaledb/aggregates/``, built per edition.

Under the Timescale licence they are continuous aggregates, owned by the writer and
refreshed by it after each load's commit (refreshing cannot run inside a transaction); no
refresh policy, so nothing waits on TimescaleDB's scheduler. Under the Apache licence they are
plain tables that :func:`refresh_rollups` recomputes inside the load's transaction, for
exactly the buckets the load touched: hourly rows of its hours (from raw rows), daily rows
of its days (from hourly rows; ``users_daily`` from raw rows), monthly rows of its months
(from daily rows).

Neither path ever recomputes a bucket whose source rows retention has dropped, so the
aggregates of dropped periods stay as they were.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.conninfo import make_conninfo

from analyzer.db import templates
from analyzer.db.connect import edition
from analyzer.levels import AGGREGATED, BY_NAME, LEVELS, NAMES, Level

RAW_TABLES = ("analytics.requests", "analytics.request_layers")
# Upper bounds (ms) of the latency histogram bins; one more bin holds what is above.
LATENCY_BOUNDS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)


@dataclass(frozen=True, slots=True)
class LatencyBin:
    column: str
    lower: int | None  # exclusive; None for the first bin
    upper: int | None  # inclusive; None for the overflow bin

    def condition(self, expr: str) -> str:
        """The SQL condition for ``expr`` (a duration in ms) to fall in this bin."""
        bounds = []
        if self.lower is not None:
            bounds.append(f"{expr} > {self.lower}")
        if self.upper is not None:
            bounds.append(f"{expr} <= {self.upper}")
        return " AND ".join(bounds)


def _duration_name(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _latency_bins() -> tuple[LatencyBin, ...]:
    lowers = (None, *LATENCY_BOUNDS_MS)
    bins = [
        LatencyBin(f"lat_le_{_duration_name(upper)}", lower, upper)
        for lower, upper in zip(lowers, LATENCY_BOUNDS_MS, strict=False)
    ]
    last = LATENCY_BOUNDS_MS[-1]
    return (*bins, LatencyBin(f"lat_gt_{_duration_name(last)}", last, None))


LATENCY_BINS = _latency_bins()


@dataclass(frozen=True, slots=True)
class LatencySketch:
    """Latency bins whose bounds grow by `ratio`: bin i holds (ratio^(i-1), ratio^i] ms, and
    reports 2·ratio^i / (ratio + 1), within (ratio - 1) / (ratio + 1) of any value in it
    (1 %). Counts per bin add up across buckets, so a percentile over any range and
    grouping is as accurate as over one bucket (analytics.latency_quantile, migration
    0013). Durations at or below `lowest_ms` share the lowest bin, above `highest_ms`
    the highest."""

    ratio: float = 1.02
    lowest_ms: float = 0.01
    highest_ms: float = 3_600_000.0  # an hour

    def bin(self, ms: float) -> int:
        """What analytics.latency_bin gives (for the tests)."""
        if ms <= self.lowest_ms:
            return self.lowest_bin
        return min(math.ceil(math.log(ms) / math.log(self.ratio)), self.highest_bin)

    @property
    def lowest_bin(self) -> int:
        return math.ceil(math.log(self.lowest_ms) / math.log(self.ratio))

    @property
    def highest_bin(self) -> int:
        return math.ceil(math.log(self.highest_ms) / math.log(self.ratio))


LATENCY_SKETCH = LatencySketch()

# The finest zoom of the territory aggregates' tiles: about 13 km wide in France (20 at the
# equator). A closer view counts in the tile of this zoom that holds it. At a million
# requests a day, a day is some 50,000 rows (per layer, organisation and tile seen), four
# times fewer than at zoom 13 (benchmarks/README.md, "Where users look").
TERRITORY_ZOOM = 11


@dataclass(frozen=True, slots=True)
class Aggregate:
    name: str  # relation in the analytics schema
    level: str  # hourly, daily or monthly: its bucket width and retention
    template: str  # its SELECT, under timescaledb/aggregates/
    source: str  # the relation it reads
    # The migration that creates it. Migrations render what they ran, forever: each lists
    # the aggregates of its own version or earlier (`aggregates_until`), so a new one
    # changes no earlier migration. 0003 as it is rendered creates all those marked
    # "0003", some of which 0005 and 0006 introduced before the renderings were frozen.
    since: str = "0003"
    # An index per grouping column, as TimescaleDB makes by default: leave out where the
    # columns are many and the charts read a site's span of buckets (territory).
    group_indexes: bool = True

    @property
    def width(self) -> str:
        width = BY_NAME[self.level].width
        assert width is not None, f"{self.name}: an aggregate of the raw level"
        return width

    @property
    def rebuild_window(self) -> str:
        window = BY_NAME[self.level].rebuild_window
        assert window is not None, f"{self.name}: an aggregate of the raw level"
        return window

    @property
    def time_column(self) -> str:
        return "ts" if self.source in RAW_TABLES else "bucket"


def _hierarchy(family: str, raw: str, since: str = "0003") -> tuple[Aggregate, ...]:
    rollup, hourly, daily = f"{family}_rollup.sql", f"{family}_hourly", f"{family}_daily"
    return (
        Aggregate(hourly, "hourly", f"{hourly}.sql", raw, since),
        Aggregate(daily, "daily", rollup, f"analytics.{hourly}", since),
        Aggregate(f"{family}_monthly", "monthly", rollup, f"analytics.{daily}", since),
    )


# In dependency order: a level is created and refreshed after the level it reads.
AGGREGATES: tuple[Aggregate, ...] = (
    *_hierarchy("requests", "analytics.requests"),
    *_hierarchy("layers", "analytics.request_layers"),
    *_hierarchy("ogc", "analytics.requests"),
    *_hierarchy("catalog", "analytics.requests"),
    *_hierarchy("errors", "analytics.requests"),
    Aggregate("users_daily", "daily", "users_daily.sql", "analytics.requests"),
    # Whole months of distinct users, and active users per day (migration 0006).
    Aggregate("users_monthly", "monthly", "users_rollup.sql", "analytics.users_daily"),
    Aggregate("user_orgs_daily", "daily", "user_orgs_daily.sql", "analytics.requests"),
    # Fewer dimensions for the dashboards' daily time series (migration 0005).
    Aggregate("traffic_daily", "daily", "traffic_daily.sql", "analytics.requests_hourly"),
    Aggregate("ogc_services_daily", "daily", "ogc_services_daily.sql", "analytics.ogc_hourly"),
    # Latency bins (LatencySketch): percentiles of any range, by application, and by layer
    # from days (migration 0013).
    *_hierarchy("latency", "analytics.requests", since="0013"),
    Aggregate(
        "layer_latency_daily",
        "daily",
        "layer_latency_daily.sql",
        "analytics.request_layers",
        since="0013",
    ),
    Aggregate(
        "layer_latency_monthly",
        "monthly",
        "layer_latency_rollup.sql",
        "analytics.layer_latency_daily",
        since="0013",
    ),
    # Where clients are, by country and region (migration 0015).
    Aggregate("countries_daily", "daily", "countries_daily.sql", "analytics.requests", "0015"),
    Aggregate(
        "countries_monthly",
        "monthly",
        "countries_rollup.sql",
        "analytics.countries_daily",
        since="0015",
    ),
    # Where users look, per layer: tiles of the views of maps and tiles (migration 0017).
    Aggregate(
        "territory_daily",
        "daily",
        "territory_daily.sql",
        "analytics.request_layers",
        since="0017",
        group_indexes=False,
    ),
    Aggregate(
        "territory_monthly",
        "monthly",
        "territory_rollup.sql",
        "analytics.territory_daily",
        since="0017",
        group_indexes=False,
    ),
)


def template_context(edition_name: str, timezone: str) -> dict[str, object]:
    """What every SQL template of ``timescaledb/`` may use."""
    return {
        "edition": edition_name,
        "timezone": timezone,
        "latency_bins": LATENCY_BINS,
        "latency_sketch": LATENCY_SKETCH,
        "aggregates_until": aggregates_until,
        "aggregates_of": aggregates_of,
        "select": lambda agg, source=None: select_sql(agg, timezone, source),
    }


def aggregates_until(version: str) -> list[Aggregate]:
    """The aggregates that exist once migration ``version`` has run, in dependency order."""
    return [agg for agg in AGGREGATES if agg.since <= version]


def aggregates_of(version: str) -> list[Aggregate]:
    """The aggregates migration ``version`` creates, in dependency order."""
    return [agg for agg in AGGREGATES if agg.since == version]


def select_sql(agg: Aggregate, timezone: str, source: str | None = None) -> str:
    """The SELECT of ``agg`` with buckets in ``timezone``, reading ``source``."""
    return _select_sql(agg, timezone, source, templates.sql_dir())


@cache  # per definitions folder too: ANALYZER_SQL_DIR may name another
def _select_sql(agg: Aggregate, timezone: str, source: str | None, root: Path) -> str:
    zone = templates.literal(timezone)
    return _render(agg, lambda expr: f"time_bucket(INTERVAL '{agg.width}', {expr}, {zone})", source)


def _render(agg: Aggregate, bucket: Callable[[str], str], source: str | None) -> str:
    return templates.render(
        f"aggregates/{agg.template}",
        bucket=bucket,
        source=source or agg.source,
        latency_bins=LATENCY_BINS,
        territory_zoom=TERRITORY_ZOOM,
    ).strip()


Window = tuple[datetime, datetime]


def _window_sql(level: Level) -> str:
    """The first and last bound of the buckets of ``level`` that rows in [start, end]
    touch, in the bucket time zone ``tz`` (see `levels.Level` for floor and widen_to)."""
    assert level.width is not None and level.floor is not None
    width, floor = level.width, level.floor
    lo = f"time_bucket('{width}', %(start)s::timestamptz, tz)"
    hi = f"date_add(time_bucket('{width}', %(end)s::timestamptz, tz), '{width}', tz)"
    if level.widen_to is not None:
        whole = level.widen_to
        kept_from = _first_whole(whole, level.name)
        first = f"time_bucket('{whole}', %(start)s::timestamptz, tz)"
        last = f"time_bucket('{whole}', %(end)s::timestamptz, tz)"
        lo = f"CASE WHEN {first} < {kept_from} THEN {first} ELSE {lo} END"
        hi = f"CASE WHEN {last} < {kept_from} THEN date_add({last}, '{whole}', tz) ELSE {hi} END"
    return f"greatest({lo}, {_first_whole(floor.unit, floor.level)}),\n       {hi}"


def _first_whole(unit: str, level: str) -> str:
    """The first whole ``unit`` the retention of ``level`` keeps (NULL keep: none dropped)."""
    return f"date_add(time_bucket('{unit}', now() - keep_{level}, tz), '{unit}', tz)"


def _keep_sql(level: Level) -> str:
    return (
        f"max(value) FILTER (WHERE key = 'retention_{level.name}')::interval AS keep_{level.name}"
    )


# Derived from the levels: one pair of bounds per aggregated level, in their order. The
# retention periods applied last are in analytics.settings (`retention.apply`).
_KEEPS = ",\n           ".join(_keep_sql(level) for level in LEVELS)
_BOUNDS = ",\n       ".join(_window_sql(level) for level in AGGREGATED)
_WINDOWS_SQL = f"""
WITH s AS (
    SELECT max(value) FILTER (WHERE key = 'bucket_timezone') AS tz,
           {_KEEPS}
    FROM analytics.settings
)
SELECT tz,
       {_BOUNDS}
FROM s
"""


@dataclass(frozen=True, slots=True)
class Windows:
    """The buckets to recompute for rows in [start, end], per level (see _WINDOWS_SQL)."""

    timezone: str
    by_level: dict[str, Window]

    def of(self, level: str, *, at_least: str | None = None) -> Window | None:
        """The window of ``level``, or of the coarser ``at_least``; None when retention
        leaves nothing to rebuild."""
        if at_least is not None and NAMES.index(at_least) > NAMES.index(level):
            level = at_least
        lo, hi = self.by_level[level]
        return (lo, hi) if lo < hi else None


def windows(conn: psycopg.Connection, start: datetime, end: datetime) -> Windows:
    row = conn.execute(_WINDOWS_SQL, {"start": start, "end": end}).fetchone()
    assert row is not None  # an aggregate query always returns one row
    tz, *bounds = row
    pairs = zip(bounds[::2], bounds[1::2], strict=True)
    return Windows(tz, {level.name: pair for level, pair in zip(AGGREGATED, pairs, strict=True)})


def present(conn: psycopg.Connection) -> list[Aggregate]:
    """The aggregates the database has, in dependency order: all of them once it is
    migrated (a run checks that: `migrate.require_current`); fewer for days a test loads
    under an earlier schema."""
    names = [agg.name for agg in AGGREGATES]
    found = conn.execute(
        "SELECT name FROM unnest(%s::text[]) AS name"
        " WHERE to_regclass('analytics.' || quote_ident(name)) IS NOT NULL",
        [names],
    ).fetchall()
    there = {name for (name,) in found}
    return [agg for agg in AGGREGATES if agg.name in there]


def refresh_rollups(conn: psycopg.Connection, site: str, start: datetime, end: datetime) -> None:
    """Recompute the rollups of ``site`` that rows in [start, end] touch (Apache licence).

    Runs inside the load's transaction, after its COPY; a no-op under the Timescale
    licence, whose continuous aggregates are refreshed by :func:`refresh_after_commit`.
    """
    if edition(conn) != "apache":
        return
    spans = windows(conn, start, end)
    conn.execute("SELECT analytics.analyze_new_rows(%s, %s)", [start, end])
    with _planner_settings(conn, _REFRESH_SETTINGS):
        for agg in present(conn):
            window = spans.of(agg.level)
            if window is not None:
                _recompute(conn, agg, spans.timezone, site, window)


# The planner knows how many rows the load copied (analyze_new_rows), but not how many
# groups they make: it would sort them to group them, and not hand the grouping out to
# parallel workers, both because it expects about as many groups as rows. Hashing is much
# faster, a day's groups fit in memory, and parallel workers halve the time on two cores.
_REFRESH_SETTINGS = {
    "enable_sort": "off",
    "work_mem": "64MB",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
}


@contextmanager
def _planner_settings(conn: psycopg.Connection, settings: dict[str, str]) -> Iterator[None]:
    """Apply ``settings`` for the current transaction, then restore them.

    On an error the transaction is rolled back, which undoes them anyway (and an aborted
    transaction accepts no command).
    """
    before = {
        name: row[0]
        for name in settings
        if (row := conn.execute("SELECT current_setting(%s)", [name]).fetchone())
    }
    for name, value in settings.items():
        conn.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield
    for name, value in before.items():
        conn.execute("SELECT set_config(%s, %s, true)", [name, value])


def _recompute(
    conn: psycopg.Connection, agg: Aggregate, timezone: str, site: str, window: Window
) -> None:
    # time_bucket with a time zone may label a row with a bucket up to an hour after or
    # before its time (the hour repeated when summer time ends): read an hour more on each
    # side, keep only the buckets of the window. CREATE TABLE AS, unlike INSERT, may run
    # its query in parallel workers.
    col = agg.time_column
    source = (
        f"(SELECT * FROM {agg.source} WHERE site = %(site)s"
        f" AND {col} >= %(lo)s - INTERVAL '1 hour' AND {col} < %(hi)s + INTERVAL '1 hour')"
        " AS src"
    )
    params = {"site": site, "lo": window[0], "hi": window[1]}
    in_window = "site = %(site)s AND bucket >= %(lo)s AND bucket < %(hi)s"
    merge = _MERGED_BY.get(f"analytics.{agg.name}")
    if agg.level == "hourly" and merge and _quarters_fit_hours(timezone, window):
        conn.execute(f"CREATE TEMP TABLE quarters AS {_quarter_hours_sql(agg, source)}", params)
        hours = Aggregate(agg.name, agg.level, merge, "quarters")
        conn.execute(f"CREATE TEMP TABLE rollup AS {select_sql(hours, timezone)}")
        conn.execute("DROP TABLE quarters")
    else:
        conn.execute(f"CREATE TEMP TABLE rollup AS {select_sql(agg, timezone, source)}", params)
    conn.execute(f"DELETE FROM analytics.{agg.name} WHERE {in_window}", params)
    conn.execute(f"INSERT INTO analytics.{agg.name} SELECT * FROM rollup WHERE {in_window}", params)
    conn.execute("DROP TABLE rollup")


# The hourly level from raw rows, in two steps. time_bucket in a time zone costs more per
# row than the rest of the grouping; in UTC it costs next to nothing. Where the zone's
# offset is a whole number of quarter hours (every zone's, since the 1970s), each UTC
# quarter hour lies within one local hour: the rows are grouped by UTC quarter hour with
# the hourly definition, then the quarters by local hour with the family's rollup (the
# definition that makes days of hours), which gives the same rows
# (tests/db/test_aggregates.py) in two thirds of the time for the requests of a day.
QUARTER = timedelta(minutes=15)
_MERGED_BY = {
    agg.source: agg.template for agg in AGGREGATES if agg.template.endswith("_rollup.sql")
}


def _quarters_fit_hours(timezone: str, window: Window) -> bool:
    """Whether the zone's offset is a whole number of quarter hours over ``window`` (it
    changes by whole hours or half hours within a window, at summer time)."""
    zone = ZoneInfo(timezone)
    return all(
        (offset := moment.astimezone(zone).utcoffset()) is not None
        and offset % QUARTER == timedelta(0)
        for moment in window
    )


@cache
def _quarter_hours_sql(agg: Aggregate, source: str) -> str:
    width = f"{QUARTER.seconds} seconds"
    return _render(agg, lambda expr: f"time_bucket(INTERVAL '{width}', {expr})", source)


_PENDING_SQL = """
SELECT id, first_ts, last_ts FROM analytics.ingested_files
WHERE aggregated_at IS NULL ORDER BY id
"""


def refresh_after_commit(conn: psycopg.Connection) -> int:
    """Settle every loaded file whose aggregates are not refreshed yet; return their count.

    Call it after each load's commit, and once when a run starts (a run killed between a
    commit and its refresh leaves its file pending). Under the Timescale licence it
    refreshes the continuous aggregates over the days and months those files touched;
    under the Apache licence the load's transaction already did, and it only records that.
    ``conn`` must not be inside a transaction: a refresh cannot run in one.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("refresh_after_commit needs a connection outside any transaction")
    autocommit = conn.autocommit
    conn.autocommit = True
    try:
        return _settle_pending(conn)
    finally:
        conn.autocommit = autocommit


def _settle_pending(conn: psycopg.Connection) -> int:
    pending = conn.execute(_PENDING_SQL).fetchall()
    # The spans of reloaded files' earlier rows (migration 0011), settled with them, and
    # those a migration left for the aggregates it added to fill (0013).
    forgotten_spans = conn.execute(
        "SELECT id, first_ts, last_ts, aggregates FROM analytics.forgotten_spans"
    ).fetchall()
    if not pending and not forgotten_spans:
        return 0
    spans = [(first, last) for _, first, last, *_ in [*pending, *forgotten_spans] if first]
    if spans and edition(conn) == "timescale":
        named = [names for *_, names in forgotten_spans]
        only = None if pending or None in named else {name for names in named for name in names}
        _refresh_continuous(conn, min(f for f, _ in spans), max(last for _, last in spans), only)
    # Marked only once refreshed: a run killed before this line refreshes them again.
    conn.execute(
        "UPDATE analytics.ingested_files SET aggregated_at = now() WHERE id = ANY(%s)",
        [[file_id for file_id, _, _ in pending]],
    )
    conn.execute(
        "DELETE FROM analytics.forgotten_spans WHERE id = ANY(%s)",
        [[span_id for span_id, *_ in forgotten_spans]],
    )
    return len(pending)


def _refresh_continuous(
    conn: psycopg.Connection, start: datetime, end: datetime, only: set[str] | None = None
) -> None:
    """Refresh the continuous aggregates (those named in ``only``) over [start, end].

    A refresh runs on one core of the server: independent chains of aggregates (a family's
    levels, one above the other) are refreshed on REFRESH_CONNECTIONS connections at once,
    each chain in its order."""
    spans = windows(conn, start, end)
    chosen = [a for a in present(conn) if only is None or a.name in only]
    chains = _chains(chosen)
    if len(chains) == 1:
        _refresh_chain(conn, chains[0], spans)
        return
    params = conn.info.get_parameters() | {"password": conn.info.password or ""}
    conninfo = make_conninfo(**params)
    with ThreadPoolExecutor(REFRESH_CONNECTIONS, thread_name_prefix="refresh") as pool:
        for done in [pool.submit(_refresh_apart, conninfo, chain, spans) for chain in chains]:
            done.result()  # the first error, once every refresh has ended


REFRESH_CONNECTIONS = 2  # two cores are the smallest server: parallel refreshes took 1.3
# to 1.7 times less time than one after the other (benchmarks/README.md)


def _chains(chosen: list[Aggregate]) -> list[list[Aggregate]]:
    """``chosen`` as chains: each aggregate after the one it reads, if chosen too."""
    chains: list[list[Aggregate]] = []
    chain_of: dict[str, list[Aggregate]] = {}
    for agg in chosen:  # AGGREGATES' order puts each after its source
        chain = chain_of.get(agg.source.removeprefix("analytics."))
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(agg)
        chain_of[agg.name] = chain
    return chains


def _refresh_apart(conninfo: str, chain: list[Aggregate], spans: Windows) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _refresh_chain(conn, chain, spans)


@contextmanager
def _grouped_by_hashing(conn: psycopg.Connection) -> Iterator[None]:
    """A refresh reads its window's raw rows through a filter on their bucket, whose
    parameters the planner cannot see: it expects 5,000 rows where a day has millions,
    sorts them all to group them (on disk past work_mem), and the refresh takes 1.2 to
    2.2 times as long as grouping them by hashing (benchmarks/README.md)."""
    conn.execute("SET enable_sort = off")
    try:
        yield
    finally:
        with suppress(psycopg.Error):  # a broken connection: nothing left to reset
            conn.execute("RESET enable_sort")


def _refresh_chain(conn: psycopg.Connection, chain: list[Aggregate], spans: Windows) -> None:
    with _grouped_by_hashing(conn):
        _refresh_each(conn, chain, spans)


def _refresh_each(conn: psycopg.Connection, chain: list[Aggregate], spans: Windows) -> None:
    for agg in chain:
        # Whole days: a refresh reads raw rows of its window only, and the hour repeated
        # when summer time ends is labelled with a bucket after some of its rows.
        window = spans.of(agg.level, at_least="daily")
        if window is not None:
            # force: rebuild even buckets hourly retention dropped, so that the daily level
            # above is recomputed from complete hours.
            conn.execute(
                "CALL refresh_continuous_aggregate(%s::regclass, %s::timestamptz,"
                " %s::timestamptz, force => true)",
                [f"analytics.{agg.name}", window[0], window[1]],
            )
