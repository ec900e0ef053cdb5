"""GeoNetwork (3 and 4): catalog actions worth counting.

GeoNetwork 4 shapes, below ``/geonetwork/<portal>`` (``srv`` or a sub-portal):
``api/records/<uuid>`` (a record), ``api/records/<uuid>/formatters/<id>`` (an export,
or an HTML view for ``xsl-view``/``full_view``), ``api/records/<uuid>/attachments/<f>``
(a download), ``api/search/records/_search`` (a search, also datahub's). GeoNetwork 3
adds ``api/0.1/...`` and the ``<lang>/<service>`` forms (``eng/catalog.search``,
``fre/q``, ``eng/csw``, ``eng/xml.metadata.get?uuid=``...). Fragments (``#/metadata/<uuid>``)
never reach the server, so a page load carries no uuid. Other API calls and static
assets have no catalog action.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from analyzer.apps.base import AppMatch, Params, is_static, parse_params, segments
from analyzer.record import CatalogInfo

NAME = "geonetwork"
ROUTES = ("/geonetwork",)

NOTHING = AppMatch(NAME)
READS = frozenset({"GET", "HEAD"})
_API_VERSION = re.compile(r"v?\d+(\.\d+)*$")

# Formatters that render a record as a web page rather than export it.
HTML_FORMATTERS = frozenset({"xsl-view", "full_view", "html"})
# api/records/<word> that exports the user's selection rather than one record.
SELECTION_EXPORTS = frozenset({"pdf", "zip", "csv"})
# <lang>/<service> of the classic interface -> action (csw is handled apart).
SERVICES = {
    "catalog.search": "page",
    "catalog.edit": "page",
    "catalog.signin": "page",
    "admin.console": "page",
    "new.account": "page",
    "q": "search",
    "xml.search": "search",
    "md.format.html": "metadata_view",
    "md.format.xml": "metadata_export",
    "md.format.pdf": "metadata_export",
    "xml.metadata.get": "metadata_export",
    "resources.get": "download",
}
CSW_ACTIONS = {"getrecords": "search", "getrecordbyid": "metadata_export"}


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if not parts or parts == ["index.html"]:
        return _match("page") if method in READS else NOTHING
    if len(parts) < 2 or is_static(subpath):
        return NOTHING
    if parts[1] == "api":
        return _api(method, parts[2:], query)
    if method not in READS and parts[-1] not in ("q", "csw"):
        return NOTHING
    if parts[1] == "metadata" and len(parts) == 3:  # GeoNetwork 4 landing page
        return _match("metadata_view", parts[2])
    if len(parts) == 3:
        return _service(parts[2], parse_params(query))
    return NOTHING


def _api(method: str, api: list[str], query: str | None) -> AppMatch:
    if api and _API_VERSION.match(api[0]):
        api = api[1:]  # GeoNetwork 3: api/0.1/records/...
    if api[:2] == ["search", "records"] and api[2:] in (["_search"], ["_msearch"]):
        return _match("search")
    if api[:1] != ["records"] or len(api) < 2 or method not in READS:
        return NOTHING
    record, tail = api[1], api[2:]
    if not tail:
        if record in SELECTION_EXPORTS:
            return _match("metadata_export")
        return _match("metadata_view", record)
    if tail[0] == "formatters" and len(tail) >= 2:
        # xsl-view?output=pdf is the PDF export of the same formatter.
        view = tail[1] in HTML_FORMATTERS and parse_params(query).text("output") != "pdf"
        return _match("metadata_view" if view else "metadata_export", record)
    if tail[0] == "attachments" and len(tail) >= 2:
        return _match("download", record)
    return NOTHING


def _service(service: str, params: Params) -> AppMatch:
    """A ``<lang>/<service>`` call of the classic interface."""
    if service == "csw" or service.startswith("csw-"):  # csw-<portal>: virtual CSW
        action = CSW_ACTIONS.get((params.text("request") or "").lower())
        return _match(action, params.text("id")) if action else NOTHING
    action = SERVICES.get(service)
    if action is None:
        return NOTHING
    return _match(action, params.text("uuid") if action != "page" else None)


def _match(action: str, uuid: str | None = None) -> AppMatch:
    return AppMatch(NAME, catalog=CatalogInfo(action, unquote(uuid) if uuid else None))
