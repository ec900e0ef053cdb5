"""extractorapp URL shapes: an extraction request, then the download of its archive."""

from __future__ import annotations

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, query: str | None = None, method: str = "GET") -> str | None:
    found = ROUTER.classify(method, path, query)
    assert (found.app, found.ogc, found.catalog) == ("extractorapp", None, None)
    return found.action


def test_page_load():
    assert action("/extractorapp/") == "page"


def test_extraction_request_and_archive_download():
    assert action("/extractorapp/extractor/initiate", method="POST") == "extraction_request"
    assert action("/extractorapp/resource/4b6c0d0e-8d1f-4c35-a5d0-5b9e2f8e1a7c") == "download"


def test_static_assets_have_no_action():
    assert action("/extractorapp/resources/app/js/Extractor.js") is None
