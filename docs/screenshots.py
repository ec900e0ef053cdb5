"""The documentation's screenshots of every dashboard, from the local stack's demo.

    ./stack demo                                  # three sites, 60 days of generated logs
    .local/venv/bin/python docs/screenshots.py    # docs/assets/screenshots/<slug>.png

Logs into the stack's Superset (SUPERSET_URL and the admin of .local/stack.env) with
Debian's Chromium, opens each provisioned dashboard at its default time range, waits for
every chart, refuses one in error, and saves the picture the docs show.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.browser import DRAWN, ERROR, chromium_page, log_in, wait_for_charts  # noqa: E402
from tests.support.stack import stack_env  # noqa: E402

TARGET = REPO / "docs" / "assets" / "screenshots"


def dashboard_slugs() -> list[str]:
    """The slugs of the provisioned dashboards (superset/assets/dashboards/)."""
    slugs = []
    for path in sorted((REPO / "superset" / "assets" / "dashboards").glob("*.yaml.j2")):
        if match := re.search(r"^slug: (\S+)$", path.read_text(), re.M):
            slugs.append(match.group(1))
    return slugs


def main() -> int:
    env = stack_env()
    url = env.get("SUPERSET_URL")
    if not url:
        print("no Superset in .local/stack.env: run ./stack demo first", file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        log_in(page, url, env["SUPERSET_ADMIN_USER"], env["SUPERSET_ADMIN_PASSWORD"])
        for slug in dashboard_slugs():
            page.goto(f"{url}/superset/dashboard/{slug}/?standalone=1")
            holders, count = wait_for_charts(page)
            errors = page.locator(ERROR).count()
            undrawn = [i for i in range(count) if holders.nth(i).locator(DRAWN).count() == 0]
            if errors or undrawn:
                print(f"{slug}: {errors} charts in error, {undrawn} not drawn", file=sys.stderr)
                return 1
            page.screenshot(path=str(TARGET / f"{slug}.png"))
            print(f"{TARGET / slug}.png: {count} charts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
