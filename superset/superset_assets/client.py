"""A small client for the parts of Superset's REST API that provisioning and tests use."""

from __future__ import annotations

import json
from typing import Any

import requests

from superset_assets import AssetsError


class SupersetClient:
    """Logged in with a JWT and a CSRF token, as the assets import requires."""

    def __init__(self, url: str, timeout: float = 120) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # Superset checks the Referer of API writes made with a CSRF token.
        self.session.headers["Referer"] = self.url

    def login(self, username: str, password: str) -> SupersetClient:
        body = {"username": username, "password": password, "provider": "db", "refresh": True}
        token = self.request("POST", "/api/v1/security/login", json=body)["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        csrf = self.request("GET", "/api/v1/security/csrf_token/")["result"]
        self.session.headers["X-CSRFToken"] = csrf
        return self

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise AssetsError(f"{method} {self.url}{path}: {exc}") from exc
        if not response.ok:
            is_json = response.headers.get("Content-Type", "").startswith("application/json")
            detail = response.text[:800] if is_json else "an HTML error page, see Superset's log"
            raise AssetsError(f"{method} {self.url}{path}: HTTP {response.status_code}: {detail}")
        return response.json()

    def import_assets(self, bundle_zip: bytes, passwords: dict[str, str]) -> None:
        """POST /api/v1/assets/import/: overwrites existing assets, remaps ids."""
        self.request(
            "POST",
            "/api/v1/assets/import/",
            files={"bundle": ("bundle.zip", bundle_zip, "application/zip")},
            data={"passwords": json.dumps(passwords)},
        )

    def dashboard(self, id_or_slug: str | int) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/dashboard/{id_or_slug}")["result"]

    def dashboard_charts(self, id_or_slug: str | int) -> list[dict[str, Any]]:
        return self.request("GET", f"/api/v1/dashboard/{id_or_slug}/charts")["result"]

    def chart_ids(self) -> dict[str, int]:
        """Every chart's id by UUID (the UUIDs of the bundle)."""
        query = "(columns:!(id,uuid),page_size:100,page:{})"
        ids: dict[str, int] = {}
        for page in range(100):
            answer = self.request("GET", "/api/v1/chart/", params={"q": query.format(page)})
            ids.update({str(c["uuid"]): c["id"] for c in answer["result"]})
            if len(ids) >= answer["count"] or not answer["result"]:
                break
        return ids

    def chart(self, chart_id: int) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/chart/{chart_id}")["result"]

    def query_data(self, query_context: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of the first query of a query context (POST /api/v1/chart/data)."""
        return self.request("POST", "/api/v1/chart/data", json=query_context)["result"][0]["data"]

    def chart_data(self, chart_id: int) -> list[dict[str, Any]]:
        """The rows of the chart's saved query_context (its first query)."""
        answer = self.request("GET", f"/api/v1/chart/{chart_id}/data/", params={"format": "json"})
        return answer["result"][0]["data"]
