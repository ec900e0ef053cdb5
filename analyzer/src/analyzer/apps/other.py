"""Everything no other module claims (/header, /analytics, the home page, scanners...)."""

from __future__ import annotations

from analyzer.apps.base import AppMatch

NAME = "other"
ROUTES: tuple[str, ...] = ()

NOTHING = AppMatch(NAME)


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    return NOTHING
