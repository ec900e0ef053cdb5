"""Every dashboard in a real headless Chromium: each chart drawn, none in error.

Screenshots go to artifacts/screenshots/<slug>.png (kept by CI, used in docs/), from the
Timescale-License edition, the Docker image's; <slug>-apache.png from the other. Uses
Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH); Playwright's own browser
download is not used.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.superset.conftest import DASHBOARDS, RunningSuperset
from tests.support.stack import REPO

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags that work as root on the CI machines (see the notes on the real services).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a drawn chart contains: ECharts canvas, a table, or a big number's text.
DRAWN = "canvas, table, .header-line"
ERROR = ".ant-alert-error, [data-test='error-tooltip'], .error-message"
# Tall enough for a whole dashboard: Superset does not draw charts scrolled out of view.
VIEWPORT = {"width": 1600, "height": 2400}


@contextmanager
def chromium_page(**options: object) -> Iterator[object]:
    """A page of Debian's Chromium in a new profile, with the flags above."""
    with playwright.sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport=VIEWPORT,
            **options,
        )
        page = browser.new_page()
        page.set_default_timeout(120_000)  # a loaded CI machine serves Superset slowly
        page.set_default_navigation_timeout(120_000)
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(superset: RunningSuperset) -> Iterator[object]:
    with chromium_page() as page:
        _log_in(page, superset)
        yield page


# The login page posts its logged events as it unloads (POST /superset/log/), in parallel
# with the login form. Under load that anonymous request can answer after the login and
# its session cookie replace the new one (seen in CI: POST /login/ 302, then /superset/
# welcome/ redirected to /login/). The test's login does without those events.
EVENT_LOG = "**/superset/log/**"


def wait_for_charts(page) -> tuple[object, int]:
    """The dashboard's chart holders and their count, once each is drawn or in error."""
    holders = page.locator("[data-test='chart-container']")
    holders.first.wait_for(timeout=90_000)
    count = holders.count()
    for index in range(count):
        holders.nth(index).locator(f"{DRAWN}, {ERROR}").first.wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    return holders, count


def _log_in(page, superset: RunningSuperset) -> None:
    page.route(EVENT_LOG, lambda route: route.abort())
    try:
        page.goto(f"{superset.url}/login/")
        page.fill("#username", superset.env["SUPERSET_ADMIN_USER"])
        page.fill("#password", superset.env["SUPERSET_ADMIN_PASSWORD"])
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
        page.wait_for_load_state("networkidle")
    finally:
        page.unroute(EVENT_LOG)


def _open(page, superset: RunningSuperset, url: str) -> None:
    """Open ``url`` logged in; should the session be gone all the same (see EVENT_LOG),
    log in again and say so."""
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
