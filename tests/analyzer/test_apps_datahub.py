"""datahub URL shapes: page loads of the single-page application."""

from __future__ import annotations

import pytest

from analyzer.apps import Router

ROUTER = Router()
UUID = "5a2c8c07-8a4e-4b49-9b0c-3c7f1b1d3e21"


def catalog(path: str, query: str | None = None, method: str = "GET"):
    found = ROUTER.classify(method, path, query)
    assert found.app == "datahub"
    return (found.catalog.action, found.catalog.uuid) if found.catalog else None


@pytest.mark.parametrize(
    "path",
    [
        "/datahub",
        "/datahub/",
        "/datahub/index.html",
        "/datahub/home/search",
        "/datahub/news",
        "/datahub/search",
        "/datahub/organization/Rennes%20M%C3%A9tropole",
    ],
)
def test_home_search_and_organisation_pages_are_page_loads(path):
    assert catalog(path, "q=plu") == ("page", None)


@pytest.mark.parametrize("kind", ["dataset", "service", "reuse"])
def test_record_page_is_a_metadata_view_with_its_uuid(kind):
    assert catalog(f"/datahub/{kind}/{UUID}") == ("metadata_view", UUID)


@pytest.mark.parametrize(
    "path",
    [
        "/datahub/main.3f2a1b.js",
        "/datahub/styles.css",
        "/datahub/assets/i18n/fr.json",
        "/datahub/assets/img/logo.png",
        "/datahub/favicon.ico",
    ],
)
def test_static_assets_have_no_catalog_action(path):
    assert catalog(path) is None


def test_datahub_search_calls_to_geonetwork_count_for_geonetwork():
    found = ROUTER.classify("POST", "/geonetwork/srv/api/search/records/_search", "bucket=bucket")
    assert (found.app, found.catalog.action) == ("geonetwork", "search")
