"""The import application (UI at /import) and its datafeeder API (/datafeeder).

The file is ``import_.py`` because ``import`` is a Python keyword; the module's name,
and the ``app`` of its requests, is ``import``.
"""

from __future__ import annotations

from analyzer.apps.base import AppMatch, segments

NAME = "import"
ROUTES = ("/import", "/datafeeder")

NOTHING = AppMatch(NAME)
UPLOAD = AppMatch(NAME, action="upload")
PUBLISH = AppMatch(NAME, action="publish")


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    """``POST upload`` sends a dataset, ``POST upload/<job>/publish`` publishes it."""
    if method != "POST":
        return NOTHING
    parts = segments(subpath)
    if parts == ["upload"]:
        return UPLOAD
    if len(parts) == 3 and parts[0] == "upload" and parts[2] == "publish":
        return PUBLISH
    return NOTHING
