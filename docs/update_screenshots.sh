#!/usr/bin/env bash
# Copy the dashboards' screenshots taken by the browser tests into the documentation.
#
#   ./stack test tests/superset/test_browser.py   # writes artifacts/screenshots/<slug>.png
#   docs/update_screenshots.sh                    # copies them to docs/assets/screenshots/
#
# tests/docs/test_dashboards_page.py fails while a screenshot was committed before the last
# change of superset/assets/, so that the pages always show the current dashboards.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=artifacts/screenshots
target_dir=docs/assets/screenshots
shopt -s nullglob extglob
# The Timescale-License edition's (the Docker image's); <slug>-apache.png are the other's.
shots=("$source_dir"/!(*-apache).png)
if ((${#shots[@]} == 0)); then
    echo "no screenshots in $source_dir: run ./stack test tests/superset/test_browser.py first" >&2
    exit 1
fi
mkdir -p "$target_dir"
for shot in "${shots[@]}"; do
    cp "$shot" "$target_dir/"
    echo "copied $shot"
done
