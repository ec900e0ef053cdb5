"""import / datafeeder URL shapes: dataset uploads and their publication."""

from __future__ import annotations

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, method: str = "GET") -> str | None:
    found = ROUTER.classify(method, path, None)
    assert (found.app, found.ogc, found.catalog) == ("import", None, None)
    return found.action


def test_both_prefixes_belong_to_the_import_application():
    assert action("/import/") is None
    assert action("/datafeeder/config/frontend.config.json") is None


def test_upload_and_publish_are_posts():
    assert action("/datafeeder/upload", "POST") == "upload"
    assert action("/datafeeder/upload/7d9f0b7e/publish", "POST") == "publish"


def test_polling_an_upload_is_not_an_upload():
    assert action("/datafeeder/upload/7d9f0b7e") is None
    assert action("/datafeeder/upload") is None
