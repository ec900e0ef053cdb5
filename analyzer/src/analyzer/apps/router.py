"""Which application module handles a path: default geOrchestra routes plus site overrides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from analyzer.apps import ogc
from analyzer.apps.base import AppMatch, AppModule
from analyzer.apps.registry import FALLBACK, MODULES
from analyzer.errors import ConfigError
from analyzer.record import OgcInfo

CACHED_REQUESTS = 4096  # about 2.5 MB per router


def default_routes() -> dict[str, str]:
    """``"/prefix" -> module name`` as geOrchestra deploys its applications."""
    return {prefix: name for name, module in MODULES.items() for prefix in module.ROUTES}


class Router:
    """Routes a request to the module whose prefix is the longest match of its path.

    Prefixes match whole segments (``/geoserver`` matches ``/geoserver/wms``, not
    ``/geoserverx``). A site may add or replace prefixes, and route ``/`` to the module
    that gets every path no prefix matches (``other`` by default).

    Modules are pure functions of (method, path, query), and logs repeat the same request
    lines (catalog searches, tiles, legends) all day: `describe` caches its answers, so
    requests share them and must treat them as read-only. The parameters that place a
    map or a tile (BBOX, WIDTH, TILEROW...) change with every request of a view, so
    `classify` cuts them out of the query before describing it, and the OGC description
    reads them back (`AppMatch.placing`): the rest of the query is described once.
    """

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        routes = default_routes() | _checked(overrides or {})
        self._fallback: AppModule = MODULES[routes.pop("/", FALLBACK)]
        # First path segment -> its candidate prefixes, longest first: one dict lookup
        # and usually a single startswith per request.
        self._by_segment: dict[str, list[tuple[str, AppModule]]] = {}
        for prefix in sorted(routes, key=len, reverse=True):
            segment = prefix[1:].partition("/")[0]
            self._by_segment.setdefault(segment, []).append((prefix, MODULES[routes[prefix]]))
        self.describe = lru_cache(maxsize=CACHED_REQUESTS)(self._describe)

    def classify(self, method: str, path: str, query: str | None) -> AppMatch:
        """What the request asked for (the modules' answer, read-only)."""
        if not query or has_odd_names(query):
            return self.describe(method, path, query)
        head, place = ogc.split_place(query)
        return placed(self.describe(method, path, head), place)

    def routes_below(self, prefix: str) -> bool:
        """Whether a route's prefix is deeper than `prefix`: then the paths below it may go
        to several modules."""
        below = prefix + "/"
        return any(
            route.startswith(below) for routes in self._by_segment.values() for route, _ in routes
        )

    def _describe(self, method: str, path: str, query: str | None) -> AppMatch:
        segment = path[1:].partition("/")[0]
        for prefix, module in self._by_segment.get(segment, ()):
            size = len(prefix)
            if path.startswith(prefix) and (len(path) == size or path[size] == "/"):
                return module.describe(method, path[size:], query)
        return self._fallback.describe(method, path, query)


def placed(match: AppMatch, place: dict[str, str]) -> AppMatch:
    """`match`, described without the placing parameters, with their values `place`."""
    info = placed_ogc(match, place)
    if info is match.ogc:
        return match
    return AppMatch(match.app, info, match.catalog, match.action, match.placing, match.tile)


def placed_ogc(match: AppMatch, place: dict[str, str]) -> OgcInfo | None:
    """The OGC description of `placed` (`match.ogc` itself when the values change nothing)."""
    values = placed_values(match, place)
    if values is None or match.ogc is None:  # (the second test only for mypy)
        return match.ogc
    return ogc.with_placing(match.ogc, *values)


def placed_values(match: AppMatch, place: dict[str, str]) -> ogc.Placing | None:
    """The BBOX, WIDTH, HEIGHT and view that `place` gives the OGC description of `match`;
    None when it changes nothing."""
    reader = placer(match)
    return None if not place or reader is None else reader.values(place)


def placer(match: AppMatch) -> ogc.Placer | None:
    """How the OGC description of `match` reads placing values; None if it reads none."""
    if match.placing is None or match.ogc is None:
        return None
    return ogc.placer(match.ogc, match.placing)


# A parameter name that is encoded (%xx) or was copied from HTML (amp;bbox): only the
# full reading of the query (`base.parse_params`) knows which parameter it is.
ODD_NAME = r"(?:^|&)[^=&]*[%;]"
has_odd_names = re.compile(ODD_NAME).search


def _checked(overrides: Mapping[str, str]) -> dict[str, str]:
    """Overrides with normalised prefixes; a ConfigError names the first bad entry."""
    checked: dict[str, str] = {}
    for prefix, name in overrides.items():
        if name not in MODULES:
            known = ", ".join(sorted(MODULES))
            raise ConfigError(
                f"app_routes: {prefix!r} -> {name!r}: unknown application (known: {known})"
            )
        if not prefix.startswith("/"):
            raise ConfigError(f"app_routes: {prefix!r}: a prefix starts with '/'")
        checked[prefix.rstrip("/") or "/"] = name
    return checked
