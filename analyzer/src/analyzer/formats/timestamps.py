"""Timestamp readers for the formats, cached: log lines share their second with neighbours.

Each reader takes the text captured by a format and returns an aware datetime, or raises
ValueError. ``strptime`` is avoided on purpose: slicing a fixed layout is several times
faster, and this runs once per line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

TimeReader = Callable[[str], datetime]

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_CACHE_SIZE = 4096


@lru_cache(maxsize=64)
def _offset(text: str) -> tzinfo:
    """'+0100' -> a fixed-offset zone."""
    if len(text) != 5 or text[0] not in "+-":
        raise ValueError(f"bad UTC offset {text!r}")
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def _day_first(text: str, micro: int, zone: tzinfo) -> datetime:
    """'18/Oct/2023:17:36:06...' as a datetime: the layout CLF and HAProxy share."""
    return datetime(
        int(text[7:11]),
        MONTHS[text[3:6]],
        int(text[0:2]),
        int(text[12:14]),
        int(text[15:17]),
        int(text[18:20]),
        micro,
        tzinfo=zone,
    )


@lru_cache(maxsize=_CACHE_SIZE)
def clf_time(text: str) -> datetime:
    """Common Log Format time: '18/Oct/2023:17:36:06 +0000' (nginx, Apache, Traefik)."""
    if len(text) != 26 or text[2] != "/" or text[6] != "/" or text[20] != " ":
        raise ValueError(f"bad CLF time {text!r}")
    return _day_first(text, 0, _offset(text[21:]))


def local_time_reader(zone: tzinfo) -> TimeReader:
    """HAProxy's '26/Nov/2024:13:45:12.345', which has no offset: `zone` applies."""

    @lru_cache(maxsize=_CACHE_SIZE)
    def read(text: str) -> datetime:
        if len(text) < 20 or text[2] != "/" or text[6] != "/" or text[11] != ":":
            raise ValueError(f"bad HAProxy time {text!r}")
        micro = int(text[21:27].ljust(6, "0")) if len(text) > 21 else 0
        return _day_first(text, micro, zone)

    return read


def iso_time_reader(zone: tzinfo) -> TimeReader:
    """ISO 8601 ('2023-10-18T17:36:06+02:00', '...Z'); `zone` applies when no offset."""

    @lru_cache(maxsize=_CACHE_SIZE)
    def read(text: str) -> datetime:
        value = datetime.fromisoformat(text)
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)

    return read


def epoch_time(text: str) -> datetime:
    """nginx $msec: seconds since the epoch with milliseconds ('1697650566.123')."""
    return datetime.fromtimestamp(float(text), UTC)
