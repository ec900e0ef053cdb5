"""geOrchestra console: user accounts (self-service pages) and the administration UI."""

from __future__ import annotations

from analyzer.apps.base import ActionTable, AppMatch, segments

NAME = "console"
ROUTES = ("/console",)

TABLE = ActionTable(
    NAME,
    {
        "account/new": "account_new",  # the sign-up form (GET) and its submission (POST)
        "account/passwordRecovery": "password_recovery",
        "account/newPassword": "password_new",  # the link sent by password recovery
        "account/changePassword": "password_change",
        "account/userdetails": "account_edit",
        "account/orgdetails": "org_edit",
        "account/gdpr/download": "gdpr_download",
        "account/gdpr/delete": "account_delete",
        "manager": "admin_ui",
        "private": "admin_api",  # what the admin UI calls
    },
)


def describe(method: str, subpath: str, query: str | None) -> AppMatch:
    return TABLE.match(segments(subpath))
