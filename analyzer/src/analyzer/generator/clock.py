"""Request times: a day's timestamps with a daily profile, and fast log-style formatting.

Timestamps are epoch seconds (floats). Formatting goes through a per-zone ``Clock`` that
reuses the current minute's strings, because ``datetime.strftime`` and a time zone lookup
on every line would dominate the generator's run time.
"""

from __future__ import annotations

from bisect import bisect
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from random import Random
from typing import NamedTuple
from zoneinfo import ZoneInfo

from analyzer.generator import data

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HOUR_WEIGHTS = list(accumulate(data.HOURLY_PROFILE))


def day_volume(rng: Random, day: date, requests_per_day: int) -> int:
    """How many requests a site receives this day: fewer at weekends, a little jitter."""
    factor = data.WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
    return max(1, round(requests_per_day * factor * rng.uniform(0.9, 1.1)))


def day_timestamps(rng: Random, zone: ZoneInfo, day: date, count: int) -> list[float]:
    """``count`` sorted instants within the local ``day``, following the hourly profile."""
    # Hour starts as instants: a DST change makes one local hour empty or two hours long.
    starts = [datetime.combine(day, time(hour), zone).timestamp() for hour in range(24)]
    starts.append(datetime.combine(day + timedelta(days=1), time(0), zone).timestamp())
    total = _HOUR_WEIGHTS[-1]
    stamps = []
    for _ in range(count):
        hour = bisect(_HOUR_WEIGHTS, rng.random() * total)
        stamps.append(starts[hour] + rng.random() * (starts[hour + 1] - starts[hour]))
    stamps.sort()
    return stamps


class Minute(NamedTuple):
    """The strings shared by every instant of one local minute."""

    dates: tuple[str, str, str]  # "27/Nov/2026", "Nov 27", "2026-11-27"
    hh_mm: str  # "23:07"
    offsets: tuple[str, str]  # "+0100", "+01:00"


class Clock:
    """Formats instants as one time zone's local time, in the shapes log files use.

    Lines come in time order, so the strings of the current minute are kept: the next
    line almost always falls in the same minute (offsets are whole minutes in tzdata).
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._minute_index = -1
        self._minute = Minute(("", "", ""), "", ("", ""))

    def _split(self, t: float) -> tuple[Minute, int]:
        """The instant's minute strings and its second within the minute."""
        minute_index, second = divmod(int(t), 60)
        if minute_index != self._minute_index:
            self._minute_index = minute_index
            self._minute = self._local_minute(minute_index * 60)
        return self._minute, second

    def _local_minute(self, start: int) -> Minute:
        offset = int(datetime.fromtimestamp(start, self._zone).utcoffset().total_seconds())  # type: ignore[union-attr]
        local_day, day_second = divmod(start + offset, 86400)
        hh_mm = f"{day_second // 3600:02d}:{day_second // 60 % 60:02d}"
        return Minute(_date_strings(local_day), hh_mm, _offset_strings(offset))

    def clf(self, t: float) -> str:
        """``27/Nov/2026:23:07:30 +0100`` (nginx, Apache, Traefik, security-proxy)."""
        minute, second = self._split(t)
        return f"{minute.dates[0]}:{minute.hh_mm}:{second:02d} {minute.offsets[0]}"

    def haproxy(self, t: float) -> tuple[str, str]:
        """The syslog stamp ``Nov  7 23:07:30`` and HAProxy's ``07/Nov/2026:23:07:30.123``."""
        minute, second = self._split(t)
        hms = f"{minute.hh_mm}:{second:02d}"
        return f"{minute.dates[1]} {hms}", f"{minute.dates[0]}:{hms}.{_millis(t):03d}"

    def iso(self, t: float) -> str:
        """``2026-11-27T23:07:30.123+01:00`` (the gateway's JSON events)."""
        minute, second = self._split(t)
        return f"{minute.dates[2]}T{minute.hh_mm}:{second:02d}.{_millis(t):03d}{minute.offsets[1]}"


def _millis(t: float) -> int:
    return int((t - int(t)) * 1000)


@cache
def _date_strings(local_day: int) -> tuple[str, str, str]:
    day = date(1970, 1, 1) + timedelta(days=local_day)
    month = MONTHS[day.month - 1]
    return f"{day.day:02d}/{month}/{day.year}", f"{month} {day.day:2d}", day.isoformat()


@cache
def _offset_strings(seconds: int) -> tuple[str, str]:
    """``+0100`` and ``+01:00``."""
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}{minutes:02d}", f"{sign}{hours:02d}:{minutes:02d}"
