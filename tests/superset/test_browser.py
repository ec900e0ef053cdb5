"""Every dashboard in a real headless Chromium: each chart drawn, none in error.

Screenshots go to artifacts/screenshots/<slug>.png (kept by CI, used in docs/), from the
Timescale-License edition, the Docker image's; <slug>-apache.png from the other. Uses
Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH); Playwright's own browser
download is not used.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.superset.conftest import DASHBOARDS, RunningSuperset
from tests.support.stack import REPO

pytest.importorskip("playwright.sync_api")

from tests.support.browser import DRAWN, ERROR, chromium_page, log_in, wait_for_charts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = REPO / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def page(superset: RunningSuperset) -> Iterator[object]:
    with chromium_page() as page:
        _log_in(page, superset)
        yield page


def _log_in(page, superset: RunningSuperset) -> None:
    env = superset.env
    log_in(page, superset.url, env["SUPERSET_ADMIN_USER"], env["SUPERSET_ADMIN_PASSWORD"])


def _open(page, superset: RunningSuperset, url: str) -> None:
    """Open ``url`` logged in; should the session be gone all the same (see
    `tests.support.browser.EVENT_LOG`), log in again and say so."""
    page.goto(url)
    if "/login" in page.url:
        warnings.warn(f"the browser's session was gone at {url}; logged in again", stacklevel=2)
        _log_in(page, superset)
        page.goto(url)


@pytest.mark.parametrize("slug", DASHBOARDS)
def test_dashboard_draws_every_chart_without_error(slug, page, superset):
    queries: list[dict] = []

    def collect(request) -> None:
        if request.method == "POST" and "/api/v1/chart/data" in request.url:
            queries.extend(request.post_data_json.get("queries", []))

    page.on("request", collect)
    _open(page, superset, f"{superset.url}/superset/dashboard/{slug}/?standalone=1")
    holders, count = wait_for_charts(page)
    assert count >= 4, f"{slug}: only {count} charts"
    page.remove_listener("request", collect)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The viewport holds a whole dashboard; a full-page shot would resize it and redraw.
    suffix = "" if superset.db.edition == "timescale" else f"-{superset.db.edition}"
    page.screenshot(path=str(SCREENSHOTS / f"{slug}{suffix}.png"))
    # Checked after the screenshot too, so that the picture shows what was asserted.
    assert page.locator(ERROR).count() == 0, f"{slug}: an error is shown"
    drawn = [holders.nth(i).locator(DRAWN).count() > 0 for i in range(count)]
    assert all(drawn), f"{slug}: charts not drawn: {[i for i, d in enumerate(drawn) if not d]}"
    # The dashboard's time range filter reaches every chart's query (the other queries
    # fetch the value lists of the filters).
    charts = [q for q in queries if any(f["op"] == "TEMPORAL_RANGE" for f in q["filters"])]
    assert len(charts) >= count
    assert {q["time_range"] for q in charts} == {"Last month"}
