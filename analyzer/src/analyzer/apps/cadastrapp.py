"""cadastrapp: French land registry lookups and their exports (CSV and PDF documents).

Every call is ``/cadastrapp/services/<name>``: ``export*`` (CSV, PDF), ``create*``
(bordereau parcellaire, relevé de propriété: PDF) and ``print*`` produce documents;
``get*`` answer lookups (communes, parcels, owners).
"""

from __future__ import annotations

from analyzer.apps.base import AppMatch, segments

NAME = "cadastrapp"
ROUTES = ("/cadastrapp",)

NOTHING = AppMatch(NAME)
EXPORT = AppMatch(NAME, action="export")
LOOKUP = AppMatch(NAME, action="lookup")
EXPORT_PREFIXES = ("export", "create", "print")


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if len(parts) != 2 or parts[0] != "services":
        return NOTHING
    service = parts[1]
    if service.startswith(EXPORT_PREFIXES):
        return EXPORT
    return LOOKUP if service.startswith("get") else NOTHING
