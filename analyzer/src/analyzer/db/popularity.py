"""How much each catalogue record was used over a period, for `analyzer export popularity`.

The counts come from the aggregates the dashboards read, never from raw rows, so that a
period older than the raw retention is counted too. As the dashboards' range datasets do,
the whole months of the period come from the monthly level and its other days from the
daily one. Views, downloads and exports are catalog actions on the record's UUID
(``catalog_*``); layer requests are request-layer pairs (``layers_*``) on the layers the
record publishes (``analytics.record_layers``, fetched from the site's GeoNetwork).

A logged layer matches a published one when their names are equal, or when one of them has
no workspace and the names after the workspace are equal: ``states`` (asked of the global
service) and ``topp:states`` match, ``topp:states`` and ``tiger:states`` do not. A request
on a layer that matches two of a record's names counts once in its ``layer_requests``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg.rows import args_row

from analyzer.db import migrate
from analyzer.errors import DatabaseError

ACTIONS = {"views": "metadata_view", "downloads": "download", "exports": "metadata_export"}

# The period [since, until) in local days of the bucket time zone.
_LO = "(%(since)s::timestamp AT TIME ZONE %(tz)s)"
_HI = "(%(until)s::timestamp AT TIME ZONE %(tz)s)"
_MONTHS = (
    "bucket >= analytics.whole_months_start(%(since)s::timestamp)"
    " AND bucket < analytics.month_start(%(until)s::timestamp)"
)
_SITE = "(%(site)s::text IS NULL OR site = %(site)s)"


def _period(family: str, columns: str) -> str:
    """The rows of an aggregate family over the period: its whole months from the monthly
    level, the other days from the daily one."""
    return (
        f"SELECT {columns} FROM analytics.{family}_monthly WHERE {_MONTHS} AND {_SITE}\n"
        f"    UNION ALL\n"
        f"    SELECT {columns} FROM analytics.{family}_daily\n"
        f"    WHERE bucket >= {_LO} AND bucket < {_HI} AND NOT ({_MONTHS}) AND {_SITE}"
    )


def _bare(layer: str) -> str:
    return f"substr({layer}, strpos({layer}, ':') + 1)"


_COUNTS = ",\n           ".join(
    f"sum(requests) FILTER (WHERE catalog_action = '{action}') AS {name}"
    for name, action in ACTIONS.items()
)
_ACTION_LIST = ", ".join(f"'{action}'" for action in ACTIONS.values())
_SQL = f"""
WITH catalog AS (
    SELECT site, catalog_uuid AS uuid,
           {_COUNTS}
    FROM ({_period("catalog", "site, catalog_uuid, catalog_action, requests")}) AS c
    WHERE catalog_uuid IS NOT NULL AND catalog_action IN ({_ACTION_LIST})
    GROUP BY site, catalog_uuid
), used AS (
    SELECT site, layer, sum(requests) AS requests
    FROM ({_period("layers", "site, layer, requests")}) AS l
    GROUP BY site, layer
), matched AS (
    SELECT r.site, r.uuid, r.layer AS published, u.layer AS logged, u.requests
    FROM analytics.record_layers AS r
    JOIN used AS u ON u.site = r.site AND (
        u.layer = r.layer
        OR ((strpos(u.layer, ':') = 0 OR strpos(r.layer, ':') = 0)
            AND {_bare("u.layer")} = {_bare("r.layer")}))
), by_record AS (
    SELECT site, uuid, sum(requests) AS layer_requests
    FROM (SELECT DISTINCT site, uuid, logged, requests FROM matched) AS m
    GROUP BY site, uuid
), by_layer AS (
    SELECT r.site, r.uuid,
           array_agg(r.layer ORDER BY m.requests DESC NULLS LAST, r.layer) AS layers,
           array_agg(coalesce(m.requests, 0)::bigint ORDER BY m.requests DESC NULLS LAST, r.layer)
               AS layer_counts
    FROM analytics.record_layers AS r
    LEFT JOIN (
        SELECT site, uuid, published, sum(requests) AS requests FROM matched GROUP BY 1, 2, 3
    ) AS m ON m.site = r.site AND m.uuid = r.uuid AND m.published = r.layer
    GROUP BY r.site, r.uuid
)
SELECT site, uuid, t.title,
       {", ".join(f"coalesce({name}, 0)::bigint" for name in ACTIONS)},
       coalesce(layer_requests, 0)::bigint,
       coalesce(layers, '{{}}'), coalesce(layer_counts, '{{}}')
FROM catalog
FULL JOIN by_record USING (site, uuid)
LEFT JOIN by_layer USING (site, uuid)
LEFT JOIN analytics.record_titles AS t USING (site, uuid)
ORDER BY site, coalesce(views, 0) DESC, uuid
"""


@dataclass(frozen=True, slots=True)
class LayerUse:
    layer: str  # as the catalogue names it, with the workspace of its URL
    requests: int


@dataclass(frozen=True, slots=True)
class RecordUse:
    site: str
    uuid: str
    title: str | None
    views: int
    downloads: int
    exports: int
    layer_requests: int
    layers: tuple[LayerUse, ...]


def bucket_timezone(conn: psycopg.Connection) -> str:
    """The zone of the aggregates' days (``analytics.settings``)."""
    row = conn.execute(
        "SELECT value FROM analytics.settings WHERE key = 'bucket_timezone'"
    ).fetchone()
    if not row or not row[0]:
        raise DatabaseError("analytics.settings has no bucket_timezone: run `analyzer db migrate`")
    return str(row[0])


def records(
    conn: psycopg.Connection, since: date, until: date, tz: str, site: str | None = None
) -> list[RecordUse]:
    """Every record used over [since, until) (local days of ``tz``, the bucket time zone),
    of ``site`` or of every site, by site then views, most viewed first."""
    migrate.require_current(conn)  # record_layers came with migration 0016
    params = {"since": since, "until": until, "tz": tz, "site": site}
    with conn.cursor(row_factory=args_row(_record_use)) as cursor:
        return cursor.execute(_SQL, params).fetchall()


def _record_use(
    site: str, uuid: str, title: str | None, views: int, downloads: int, exports: int,
    layer_requests: int, layers: list[str], layer_counts: list[int],
) -> RecordUse:  # fmt: skip
    uses = tuple(map(LayerUse, layers, layer_counts))
    return RecordUse(site, uuid, title, views, downloads, exports, layer_requests, uses)
