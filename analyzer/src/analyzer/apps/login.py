"""Authentication: the security-proxy's or gateway's /login and CAS (/cas).

A POST to the login form, or the return of an OAuth2/OpenID provider
(``/login/oauth2/code/<provider>``), is a login attempt; a GET of the form is only a
page view. The status tells success (a redirect) from failure.
"""

from __future__ import annotations

from analyzer.apps.base import AppMatch, segments

NAME = "login"
ROUTES = ("/login", "/cas")

NOTHING = AppMatch(NAME)
LOGIN = AppMatch(NAME, action="login")
LOGIN_PAGE = AppMatch(NAME, action="login_page")
LOGOUT = AppMatch(NAME, action="logout")


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    # Below /login the form is the root; below /cas it is "login".
    parts = segments(subpath)
    if parts[:1] == ["logout"]:
        return LOGOUT
    if parts[:2] == ["oauth2", "code"]:
        return LOGIN
    if parts in ([], ["login"]):
        return LOGIN if method == "POST" else LOGIN_PAGE
    return NOTHING
