#!/usr/bin/env bash
# The refresh of the continuous aggregates after a night's load, grouping by hashing (what
# the analyzer does) against grouping by sorting (the planner's choice), side by side.
#
#   benchmarks/refresh.sh [LINES [ROUNDS]]   (defaults 1000000 and 3; needs ./stack up,
#                                            the Timescale edition)
#
# `analyzer run` loads a generated LINES-line nginx day into a new database; then each
# round refreshes every continuous aggregate over that day (`aggregates._refresh_continuous`,
# as the run does) once with sorting off in the refresh sessions, once with it on.
# Prints each round's seconds, the medians and their ratio. The database is dropped at
# the end.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LINES="${1:-1000000}"
ROUNDS="${2:-3}"
WORK="$ROOT/.local/bench-refresh"
DB="bench_refresh"
load_stack_env

mkdir -p "$WORK"
generated_day "$ROOT/.local/bench-compare/site/access.log.1" "$LINES"
trap 'drop_database "$DB"' EXIT
fresh_database "$DB"
bench_config "$WORK" "$DB" "$ROOT/.local/bench-compare/site"
rm -rf "$WORK/state"
say "loading $LINES lines"
"$ANALYZER" run --config "$WORK/config.yaml" >/dev/null 2>&1

"$PY" - "$(url_for "$ANALYZER_DATABASE_URL" "$DB")" "$ROUNDS" <<'PY'
import contextlib, statistics, sys, time

import psycopg

from analyzer.db import aggregates

url, rounds = sys.argv[1], int(sys.argv[2])
hashing = aggregates._grouped_by_hashing


def refreshed(grouping) -> float:
    aggregates._grouped_by_hashing = grouping
    with psycopg.connect(url, autocommit=True) as conn:
        first, last = conn.execute("SELECT min(ts), max(ts) FROM analytics.requests").fetchone()
        start = time.perf_counter()
        aggregates._refresh_continuous(conn, first, last)
        return time.perf_counter() - start


times = {"hashing": [], "sorting": []}
for _ in range(rounds):
    times["hashing"].append(refreshed(hashing))
    times["sorting"].append(refreshed(lambda conn: contextlib.nullcontext()))
for name, seconds in times.items():
    print(f"{name:8} median {statistics.median(seconds):5.2f} s   rounds "
          + " ".join(f"{s:.2f}" for s in seconds))
ratio = statistics.median(times["sorting"]) / statistics.median(times["hashing"])
print(f"sorting / hashing: {ratio:.2f}")
PY
