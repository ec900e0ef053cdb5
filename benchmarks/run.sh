#!/usr/bin/env bash
# The nightly ingest against GoAccess, side by side on the same file in the same run.
#
#   benchmarks/run.sh [LINES [ROUNDS]]   (defaults 2000000 and 1; needs ./stack up)
#
# 1. `analyzer generate --single` writes a LINES-line nginx day (cached in .local/bench/);
# 2. GoAccess reads it into a JSON report: the lines/s to beat;
# 3. `analyzer run` loads it into a new, empty, migrated database (parse, COPY, rollups,
#    retention), then runs again (nothing to do).
# Prints wall and CPU seconds, lines/s and peak memory of each process tree (RSS and PSS,
# see measure.py). The database is dropped at the end.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LINES="${1:-2000000}"
ROUNDS="${2:-1}"  # goaccess and run pairs; the median ratio is printed
WORK="$ROOT/.local/bench"
LOG_DIR="$WORK/site"
LOG="$LOG_DIR/access.log.1"
DB="bench_ingest"
load_stack_env

command -v goaccess >/dev/null || { say "GoAccess is missing: apt-get install goaccess"; exit 1; }
generated_day "$LOG" "$LINES"
trap 'drop_database "$DB"' EXIT
bench_config "$WORK" "$DB" "$LOG_DIR"

goaccess_round() {
    say "goaccess (round $1)"
    results+=("$(measure_goaccess "$LOG" "$WORK/goaccess.json")")
}

run_round() {
    fresh_database "$DB"
    rm -rf "$WORK/state"
    say "analyzer run (empty database, round $1)"
    results+=("$(measure run -- "$ANALYZER" run --config "$WORK/config.yaml")")
}

# Rounds alternate which tool goes first, so that a machine slowing down or speeding up
# during the benchmark favours neither.
results=()
cat "$LOG" >/dev/null  # every run starts from the page cache
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then
        goaccess_round "$round" && run_round "$round"
    else
        run_round "$round" && goaccess_round "$round"
    fi
done
say "analyzer run again (nothing new)"
results+=("$(measure rerun -- "$ANALYZER" run --config "$WORK/config.yaml")")

"$PY" - "$LINES" "${results[@]}" <<'PY'
import os, statistics, sys

lines = int(sys.argv[1])
rows = [row.split() for row in sys.argv[2:]]
goaccess = [float(wall) for name, wall, *_ in rows if name == "goaccess"]
print(f"\n{'':10} {'wall s':>8} {'CPU s':>8} {'lines/s':>10} {'x goaccess':>10} "
      f"{'RSS MiB':>8} {'PSS MiB':>8}")
ratios = []
for name, wall, cpu, rss, pss in rows:
    rate = lines / float(wall)
    if name == "rerun":  # it reads nothing: its time is the point, not a rate
        rates = ("-", "-")
    elif name == "goaccess":
        rates = (f"{rate:,.0f}", "1.00")
    else:  # against GoAccess in the same round
        ratios.append(goaccess[len(ratios)] / float(wall))
        rates = (f"{rate:,.0f}", f"{ratios[-1]:.2f}")
    print(f"{name:10} {float(wall):8.1f} {float(cpu):8.1f} {rates[0]:>10} {rates[1]:>10} "
          f"{int(rss) // 1024:8} {int(pss) // 1024:8}")
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"\n{lines} lines, {os.cpu_count()} cores, load average {load}")
if len(ratios) > 1:
    print(f"run x goaccess, round by round: {' '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}")
print("target: run >= 1.00 x goaccess (CPU s: the analyzer's processes only, not the server's)")
PY
