"""Console URL shapes: self-service account pages and the administration UI."""

from __future__ import annotations

import pytest

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, query: str | None = None, method: str = "GET") -> str | None:
    found = ROUTER.classify(method, path, query)
    assert (found.app, found.ogc, found.catalog) == ("console", None, None)
    return found.action


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        ("/console/account/new", "GET", "account_new"),
        ("/console/account/new", "POST", "account_new"),
        ("/console/account/passwordRecovery", "POST", "password_recovery"),
        ("/console/account/changePassword", "GET", "password_change"),
        ("/console/account/userdetails", "GET", "account_edit"),
        ("/console/account/gdpr/download", "GET", "gdpr_download"),
    ],
)
def test_account_self_service_pages(path, method, expected):
    assert action(path, method=method) == expected


def test_password_reset_link_carries_its_token_in_the_query():
    assert action("/console/account/newPassword", "token=4e5f6a") == "password_new"


def test_administration_ui_and_its_api():
    assert action("/console/manager/home") == "admin_ui"
    assert action("/console/private/users/m.lagadec") == "admin_api"


def test_static_assets_have_no_action():
    assert action("/console/manager/public/js/app.js") == "admin_ui"  # under the admin UI
    assert action("/console/styles/console.css") is None
