"""Login URL shapes: the security-proxy or gateway form, CAS, OAuth2 callbacks."""

from __future__ import annotations

from analyzer.apps import Router

ROUTER = Router()


def action(path: str, method: str = "GET", query: str | None = None) -> str | None:
    found = ROUTER.classify(method, path, query)
    assert (found.app, found.ogc, found.catalog) == ("login", None, None)
    return found.action


def test_posting_the_login_form_is_a_login_and_getting_it_a_page_view():
    assert action("/login", "POST") == "login"
    assert action("/login", "GET") == "login_page"
    assert action("/login", "GET", "error") == "login_page"


def test_cas_login_and_logout():
    assert action("/cas/login", "GET", "service=https%3A%2F%2Fgeo.example.org%2F") == "login_page"
    assert action("/cas/login", "POST") == "login"
    assert action("/cas/logout") == "logout"


def test_oauth2_provider_callback_is_a_login():
    assert action("/login/oauth2/code/keycloak", "GET", "state=x&code=y") == "login"


def test_static_assets_have_no_action():
    assert action("/cas/css/cas.css") is None
