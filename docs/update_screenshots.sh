#!/usr/bin/env bash
# The documentation's screenshots of every dashboard, from the local stack's demo data.
#
#   ./stack demo                  # three sites, 60 days of generated logs, in the stack
#   docs/update_screenshots.sh    # writes docs/assets/screenshots/<slug>.png
#
# tests/docs/test_dashboards_page.py fails while a screenshot was committed before the last
# change of superset/assets/, so that the pages always show the current dashboards. (The
# browser tests' own screenshots, of their small test data set, go to artifacts/.)
set -euo pipefail
cd "$(dirname "$0")/.."
exec .local/venv/bin/python docs/screenshots.py
