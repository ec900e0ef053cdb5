"""GeoNetwork URL shapes (GeoNetwork 4 API and UI, GeoNetwork 3 forms)."""

from __future__ import annotations

import pytest

from analyzer.apps import Router

ROUTER = Router()
UUID = "5a2c8c07-8a4e-4b49-9b0c-3c7f1b1d3e21"


def catalog(path: str, query: str | None = None, method: str = "GET"):
    found = ROUTER.classify(method, path, query)
    assert found.app == "geonetwork"
    assert found.ogc is None
    return (found.catalog.action, found.catalog.uuid) if found.catalog else None


def test_api_record_is_a_metadata_view_with_its_uuid():
    assert catalog(f"/geonetwork/srv/api/records/{UUID}") == ("metadata_view", UUID)


@pytest.mark.parametrize("formatter", ["xml", "zip", "citation", "eu-dcat-ap"])
def test_formatters_are_exports(formatter):
    path = f"/geonetwork/srv/api/records/{UUID}/formatters/{formatter}"
    assert catalog(path, "approved=true") == ("metadata_export", UUID)


def test_html_formatter_is_a_view_and_its_pdf_output_an_export():
    path = f"/geonetwork/srv/api/records/{UUID}/formatters/xsl-view"
    assert catalog(path, "root=div&view=advanced") == ("metadata_view", UUID)
    assert catalog(path, "output=pdf&language=fre") == ("metadata_export", UUID)


def test_attachment_is_a_download():
    path = f"/geonetwork/srv/api/records/{UUID}/attachments/plu_2023.zip"
    assert catalog(path) == ("download", UUID)


def test_selection_pdf_export_has_no_uuid():
    assert catalog("/geonetwork/srv/api/records/pdf", "bucket=s101") == ("metadata_export", None)


def test_search_api_is_a_search_also_when_posted():
    path = "/geonetwork/srv/api/search/records/_search"
    assert catalog(path, "bucket=metadata", method="POST") == ("search", None)
    assert catalog(path, None, method="POST") == ("search", None)
    assert catalog("/geonetwork/srv/api/search/records/_msearch", method="POST") == ("search", None)


def test_catalog_search_page_load_has_no_uuid():
    assert catalog("/geonetwork/srv/fre/catalog.search") == ("page", None)
    assert catalog("/geonetwork/") == ("page", None)


def test_sub_portal_record_view():
    assert catalog(f"/geonetwork/inspire/api/records/{UUID}") == ("metadata_view", UUID)


def test_landing_page_of_a_record_is_a_view():
    assert catalog(f"/geonetwork/srv/metadata/{UUID}") == ("metadata_view", UUID)


def test_geonetwork_3_versioned_api_and_classic_services():
    assert catalog(f"/geonetwork/srv/api/0.1/records/{UUID}/formatters/xml") == (
        "metadata_export",
        UUID,
    )
    assert catalog("/geonetwork/srv/eng/q", "_content_type=json&any=plu") == ("search", None)
    assert catalog("/geonetwork/srv/eng/md.format.html", f"xsl=full_view&uuid={UUID}") == (
        "metadata_view",
        UUID,
    )
    assert catalog("/geonetwork/srv/eng/xml.metadata.get", f"uuid={UUID}") == (
        "metadata_export",
        UUID,
    )
    assert catalog("/geonetwork/srv/eng/resources.get", f"uuid={UUID}&fname=a.zip") == (
        "download",
        UUID,
    )


def test_csw_get_records_is_a_search_and_get_record_by_id_an_export():
    assert catalog("/geonetwork/srv/eng/csw", "service=CSW&request=GetRecords") == (
        "search",
        None,
    )
    query = f"service=CSW&version=2.0.2&request=GetRecordById&id={UUID}&elementSetName=full"
    assert catalog("/geonetwork/srv/eng/csw-inspire", query) == ("metadata_export", UUID)
    assert catalog("/geonetwork/srv/eng/csw", "service=CSW&request=GetCapabilities") is None


@pytest.mark.parametrize(
    "path",
    [
        f"/geonetwork/srv/api/records/{UUID}/related",
        "/geonetwork/srv/api/site/info",
        "/geonetwork/srv/api/me",
        "/geonetwork/catalog/lib/gn.min.js",
        "/geonetwork/static/lib.js",
        "/geonetwork/srv/eng/info",
    ],
)
def test_other_api_calls_and_static_assets_have_no_catalog_action(path):
    assert catalog(path) is None


def test_editing_a_record_is_not_a_view():
    assert catalog(f"/geonetwork/srv/api/records/{UUID}", method="PUT") is None
    assert catalog(f"/geonetwork/srv/api/records/{UUID}", method="DELETE") is None


def test_percent_encoded_uuid_is_decoded():
    assert catalog("/geonetwork/srv/api/records/fr%3Aplu%3A35238") == (
        "metadata_view",
        "fr:plu:35238",
    )
