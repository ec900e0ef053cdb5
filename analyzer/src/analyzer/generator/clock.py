"""Request times: a day's timestamps with a daily profile, and fast log-style formatting.

Timestamps are epoch seconds (floats). Formatting goes through a per-zone ``Clock`` that
caches the UTC offset per quarter hour and the date strings per day, because
``datetime.strftime`` on every line would dominate the generator's run time.
"""

from __future__ import annotations

from bisect import bisect
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import accumulate
from random import Random
from zoneinfo import ZoneInfo

from analyzer.generator import data

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HOUR_WEIGHTS = list(accumulate(data.HOURLY_PROFILE))
_QUARTER = 900  # seconds; every UTC offset change in tzdata falls on a quarter hour


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


class Clock:
    """Formats instants as one time zone's local time, in the shapes log files use."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._offsets: dict[int, int] = {}  # quarter-hour index -> offset in seconds
        self._days: dict[int, tuple[str, str, str]] = {}  # local day index -> date strings
        # Busy files log several requests per second: keep the last second's CLF stamp.
        self._clf_second, self._clf_text = -1, ""

    def _parts(self, t: float) -> tuple[tuple[str, str, str], str, int, tuple[str, str]]:
        """(date strings, "HH:MM:SS", milliseconds, offset strings) of an instant."""
        seconds = int(t)
        quarter = seconds // _QUARTER
        offset = self._offsets.get(quarter)
        if offset is None:
            moment = datetime.fromtimestamp(quarter * _QUARTER, self._zone)
            offset = self._offsets[quarter] = int(moment.utcoffset().total_seconds())
        local_day, second = divmod(seconds + offset, 86400)
        dates = self._days.get(local_day)
        if dates is None:
            dates = self._days[local_day] = _date_strings(local_day)
        return dates, _hms(second), int((t - seconds) * 1000), _offset_strings(offset)

    def clf(self, t: float) -> str:
        """``27/Nov/2026:23:07:30 +0100`` (nginx, Apache, Traefik, security-proxy)."""
        second = int(t)
        if second != self._clf_second:
            dates, hms, _, offset = self._parts(t)
            self._clf_second, self._clf_text = second, f"{dates[0]}:{hms} {offset[0]}"
        return self._clf_text

    def haproxy(self, t: float) -> tuple[str, str]:
        """The syslog stamp ``Nov  7 23:07:30`` and HAProxy's ``07/Nov/2026:23:07:30.123``."""
        dates, hms, ms, _ = self._parts(t)
        return f"{dates[1]} {hms}", f"{dates[0]}:{hms}.{ms:03d}"

    def iso(self, t: float) -> str:
        """``2026-11-27T23:07:30.123+01:00`` (the gateway's JSON events)."""
        dates, hms, ms, offset = self._parts(t)
        return f"{dates[2]}T{hms}.{ms:03d}{offset[1]}"


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


@lru_cache(maxsize=86400)
def _hms(second: int) -> str:
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
