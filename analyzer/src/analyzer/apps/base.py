"""The interface every application module implements, and helpers they share.

An application module is a Python module with three names:

    NAME = "geoserver"                    # the `app` value of its requests
    ROUTES = ("/geoserver",)              # default path prefixes (a site may override)
    def describe(method, subpath, query) -> AppMatch

``subpath`` is the request path below the matched prefix, as sent (percent-encoding
kept): ``/nurc/wms`` for ``/geoserver/nurc/wms``, ``""`` for ``/geoserver``. ``query`` is
the raw query string or None. Modules parse the query only when they need it (`Params`),
because most requests need nothing from it and this runs for every log line.

What the router gives and expects (`router.Router`, docs/applications.en.md):

- ``query`` usually arrives without the parameters that place a map or a tile
  (``ogc.PLACE_PARAMS``: BBOX, WIDTH, HEIGHT, TILEMATRIX, TILEROW, TILECOL, X, Y, I, J):
  they change with every request of a view, so the router cuts them out and describes
  the rest once. A module never reads them from ``query``.
- A module that describes an OGC request returns its `OgcInfo` with ``placing``
  (``ogc.PLACED_KVP``: BBOX, WIDTH and HEIGHT of a KVP request; ``ogc.PLACED_BBOX``: BBOX
  only), and the router puts those values back into each request's description.
- A REST tile (TMS, WMTS REST), whose indices end its path, comes with ``tile`` (an
  ``ogc.PathTile``): the fast path describes the tiles of one layer, gridset and format
  once and reads each request's indices with it, so the description must not depend on
  them otherwise.
- Answers are cached and shared between requests: `describe` must be a pure function of
  its arguments, and what it returns is never changed afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote_plus

from analyzer.record import CatalogInfo, OgcInfo

if TYPE_CHECKING:  # ogc builds on this module
    from analyzer.apps.ogc import PathTile


@dataclass(frozen=True, slots=True)
class AppMatch:
    """Which application served a request, and what it asked for."""

    app: str
    ogc: OgcInfo | None = None
    catalog: CatalogInfo | None = None
    action: str | None = None  # app-specific: "export", "account_new", "print"...
    # How `ogc` reads the query's placing parameters (ogc.PLACED_KVP...), which the
    # router cuts out of the query before describing it; None: it does not read them.
    placing: str | None = None
    # A REST tile (TMS, WMTS REST): how the path's last three segments give its view. The
    # fast path describes the tiles of one layer, gridset and format once, from the path
    # before them, and reads each request's segments with it.
    tile: PathTile | None = None


class AppModule(Protocol):
    """An application module: its name, its default path prefixes and `describe`."""

    @property
    def NAME(self) -> str: ...  # read-only members: a module's constants satisfy them

    @property
    def ROUTES(self) -> tuple[str, ...]: ...

    def describe(self, method: str, subpath: str, query: str | None) -> AppMatch: ...


class Params(dict[str, str]):
    """Query parameters by lower-case name, values still URL-encoded; build with `parse_params`.

    Values are decoded when read with `text` or `first`: decoding is the costly part and
    most values are never read.
    """

    __slots__ = ()

    def text(self, name: str) -> str | None:
        """The decoded value of `name`, or None."""
        value = self.get(name)
        return _decoded(value) if value else None

    def first(self, *names: str) -> str | None:
        """The decoded value of the first of `names` that is present."""
        for name in names:
            if name in self:
                return _decoded(self[name])
        return None


def parse_params(query: str | None) -> Params:
    """The parameters of a raw query string; empty values are left out.

    The first occurrence of a name wins, as in GeoServer. Names written ``amp;x`` (a URL
    copied from HTML with ``&amp;``) count as ``x``.
    """
    raw: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        name, _, value = pair.partition("=")
        if value:
            name = name.lower()
            if "%" in name or ";" in name:  # rare: no method call in the common case
                name = decode(name).removeprefix("amp;")
            if name not in raw:
                raw[name] = value
    return Params(raw)


def decode(text: str) -> str:
    """A query-string component decoded (``%3A`` and ``+``); most need no decoding."""
    if "%" in text or "+" in text:
        return unquote_plus(text)
    return text


# Values read as text (layers, formats, CRS, operations) repeat from request to request;
# unique ones (BBOX) are read raw.
@lru_cache(maxsize=4096)
def _decoded(raw: str) -> str | None:
    return decode(raw).strip() or None


def segments(subpath: str) -> list[str]:
    """The non-empty path segments of `subpath`, still percent-encoded."""
    return [part for part in subpath.split("/") if part]


# Web assets: files a page loads, never an action of their own.
STATIC_EXTENSIONS = frozenset(
    [
        "js",
        "mjs",
        "css",
        "map",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "ico",
        "webp",
        "woff",
        "woff2",
        "ttf",
        "eot",
        "otf",
        "json",
    ]
)


def is_static(subpath: str) -> bool:
    """True for a web asset (a file name ending in .js, .css, .png...)."""
    _, dot, extension = subpath.rpartition("/")[2].rpartition(".")
    return bool(dot) and extension.lower() in STATIC_EXTENSIONS


class ActionTable:
    """Leading path segments -> an app-specific action, the longest match winning.

    ``ActionTable("console", {"account/new": "account_new", "manager": "admin_ui"})``
    gives ``account_new`` for ``/account/new?x=1`` and ``admin_ui`` for ``/manager/home``.
    """

    def __init__(self, app: str, actions: Mapping[str, str]) -> None:
        self.nothing = AppMatch(app)
        self._matches = {
            tuple(key.split("/")): AppMatch(app, action=action) for key, action in actions.items()
        }
        self._depth = max((len(key) for key in self._matches), default=0)

    def match(self, parts: list[str]) -> AppMatch:
        for depth in range(min(len(parts), self._depth), 0, -1):
            if found := self._matches.get(tuple(parts[:depth])):
                return found
        return self.nothing
