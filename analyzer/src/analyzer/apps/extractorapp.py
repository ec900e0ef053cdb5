"""extractorapp: batch extraction of layers; the user gets a link to a ZIP archive."""

from __future__ import annotations

from analyzer.apps.base import ActionTable, AppMatch, segments

NAME = "extractorapp"
ROUTES = ("/extractorapp",)

TABLE = ActionTable(
    NAME,
    {
        "extractor/initiate": "extraction_request",
        "resource": "download",  # resource/<uuid>: the archive of a finished extraction
    },
)
PAGE = AppMatch(NAME, action="page")


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    parts = segments(subpath)
    if not parts or parts == ["index.html"]:
        return PAGE
    return TABLE.match(parts)
