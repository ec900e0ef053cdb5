"""Debian's Chromium driven by Playwright, on a Superset: the browser tests and the docs'
screenshots (docs/screenshots.py) share it. Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from playwright import sync_api as playwright

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


def log_in(page, url: str, user: str, password: str) -> None:
    page.route(EVENT_LOG, lambda route: route.abort())
    try:
        page.goto(f"{url}/login/")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
        page.wait_for_load_state("networkidle")
    finally:
        page.unroute(EVENT_LOG)
