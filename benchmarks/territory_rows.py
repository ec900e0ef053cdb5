"""How many rows a day of the territory aggregate takes, by the finest zoom it counts in.

    python -m benchmarks.territory_rows [--lines 1000000] [--zooms 10,11,12,13]

Generates one security-proxy day (`analyzer generate --single`, organisations included),
parses it (`analyzer parse`), and counts the distinct (day, layer, organisation, tile)
that `territory_daily` would hold with each finest zoom, and without the organisation.
The generator spreads 30 % of the maps uniformly over the region: a pessimistic case, real
views gather on fewer places.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

ANALYZER = [sys.executable, "-m", "analyzer"]


def placed_views(lines: int, folder: Path) -> list[tuple[str, str, str | None, int, int, int]]:
    """(day, layer, org, zoom, x, y) of each placed request and layer, probes left out."""
    log = folder / "access.log"
    subprocess.run(
        [*ANALYZER, "generate", "--single", str(log), "--format", "secproxy",
         "--lines", str(lines), "--days", "1", "--seed", "7"],
        check=True, capture_output=True,
    )  # fmt: skip
    parsed = subprocess.run(
        [*ANALYZER, "parse", "--site", "big", "--jobs", "2", str(log)],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    views = []
    for line in parsed.splitlines():
        record = orjson.loads(line)
        ogc = record["ogc"]
        if not ogc or ogc["view_zoom"] is None or record["agent_class"] == "probe":
            continue
        for layer in ogc["layers"]:
            zoom, x, y = ogc["view_zoom"], ogc["view_x"], ogc["view_y"]
            views.append((record["ts"][:10], layer, record["org"], zoom, x, y))
    return views


def daily_rows(views: list[tuple[str, str, str | None, int, int, int]], finest: int,
               with_org: bool) -> int:  # fmt: skip
    rows = set()
    for day, layer, org, zoom, x, y in views:
        shift = max(zoom - finest, 0)
        rows.add((day, layer, org if with_org else None, min(zoom, finest), x >> shift, y >> shift))
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--zooms", default="10,11,12,13")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        views = placed_views(args.lines, Path(folder))
    print(f"{args.lines:,} lines: {len(views):,} placed requests and layers")
    print("finest zoom | rows a day | rows a day without organisation")
    for zoom in map(int, args.zooms.split(",")):
        print(
            f"{zoom:11} | {daily_rows(views, zoom, True):10,} | {daily_rows(views, zoom, False):,}"
        )


if __name__ == "__main__":
    main()
