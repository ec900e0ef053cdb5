"""cadastrapp URL shapes: document exports apart from lookups."""

from __future__ import annotations

import pytest

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, query: str | None = None, method: str = "GET") -> str | None:
    found = ROUTER.classify(method, path, query)
    assert (found.app, found.ogc, found.catalog) == ("cadastrapp", None, None)
    return found.action


@pytest.mark.parametrize(
    ("service", "method"),
    [
        ("exportParcellesAsCSV", "POST"),
        ("exportProprietaireByParcelles", "POST"),
        ("exportLotsAsPDF", "POST"),
        ("createBordereauParcellaire", "GET"),
        ("createRelevePropriete", "GET"),
        ("printPDFRequest", "POST"),
    ],
)
def test_csv_and_pdf_documents_are_exports(service, method):
    assert action(f"/cadastrapp/services/{service}", "parcelle=350238000AD0230", method) == "export"


def test_lookups_of_communes_parcels_and_owners():
    assert action("/cadastrapp/services/getCommune", "libcom=renn") == "lookup"
    assert action("/cadastrapp/services/getParcelle", "parcelle=350238000AD0230") == "lookup"


def test_other_calls_have_no_action():
    assert action("/cadastrapp/services/isAlive") is None
    assert action("/cadastrapp/") is None
