"""The levels of detail: raw rows, then hourly, daily and monthly aggregates.

Each level is defined here once: its bucket width, how long it is kept by default, how far
back a late file may still rebuild it, and where rebuilds stop. The configuration's
`retention` keys, the retention checks and call, the aggregates' bucket widths and the
windows each load rebuilds (`db.aggregates.windows`) derive from this table (a new level
is a row here, its aggregates' SQL, a migration and its docs row).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Floor:
    """Where a level's rebuilds stop: at the first whole `unit` the retention of `level`
    still keeps (older buckets would be rebuilt from incomplete sources)."""

    level: str
    unit: str


@dataclass(frozen=True, slots=True)
class Level:
    name: str  # the `retention` key, and the aggregates' `level`
    width: str | None  # the bucket width (PostgreSQL interval); None for raw rows
    keep: str | None  # the default retention; None keeps it forever
    # The least its retention, and its source's, must keep: the span a late file can still
    # rebuild at this level (the analyzer refreshes after each load; no refresh policy).
    rebuild_window: str | None
    floor: Floor | None = None
    # Rebuilt in whole buckets of this width where its own retention dropped the rest of
    # one (hours of a day whose other hours are gone are rebuilt from raw rows).
    widen_to: str | None = None


LEVELS: tuple[Level, ...] = (
    Level("raw", None, "13 months", None),
    Level("hourly", "1 hour", "3 months", "3 days", Floor("raw", "1 day"), widen_to="1 day"),
    Level("daily", "1 day", "5 years", "3 days", Floor("raw", "1 day")),
    Level("monthly", "1 month", None, "3 months", Floor("daily", "1 month")),
)
AGGREGATED = tuple(level for level in LEVELS if level.width is not None)
BY_NAME = {level.name: level for level in LEVELS}
NAMES = tuple(BY_NAME)


class Retention(Mapping[str, str | None]):
    """How long each level is kept: its name -> a PostgreSQL interval, None for forever.
    A level not given keeps its default."""

    __slots__ = ("_periods",)

    def __init__(self, **periods: str | None) -> None:
        unknown = set(periods) - set(BY_NAME)
        if unknown:
            raise TypeError(f"no level named {', '.join(sorted(unknown))} (levels: {NAMES})")
        self._periods = {level.name: periods.get(level.name, level.keep) for level in LEVELS}

    def __getitem__(self, name: str) -> str | None:
        return self._periods[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._periods)

    def __len__(self) -> int:
        return len(self._periods)

    def __hash__(self) -> int:
        return hash(tuple(self._periods.items()))

    def __repr__(self) -> str:
        return f"Retention({', '.join(f'{k}={v!r}' for k, v in self._periods.items())})"
