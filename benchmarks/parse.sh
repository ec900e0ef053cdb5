#!/usr/bin/env bash
# `analyzer parse` against GoAccess on the same generated nginx file, in the same run.
#
#   benchmarks/parse.sh [LINES]        (default 2000000; needs the venv and goaccess)
#
# 1. `analyzer generate --single` writes a day of LINES nginx lines, what a nightly run reads
#    (cached in .local/bench-parse/);
# 2. GoAccess reads it into a JSON report: the lines/s and memory to compare with;
# 3. `analyzer parse` reads it to JSON lines (written to /dev/null) with one job, then two.
# Prints wall and CPU seconds, lines/s, peak memory of each process tree (RSS and PSS,
# see measure.py) and the ratios the targets are about: one job >= GoAccess's lines/s,
# two jobs >= 2x, peak memory <= 1/3 of GoAccess's.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LINES="${1:-2000000}"
WORK="$ROOT/.local/bench-parse"
LOG="$WORK/nginx-$LINES-day.log"

mkdir -p "$WORK"
if [[ ! -s "$LOG" ]]; then
    say "generating $LINES nginx lines into $LOG"
    "$ANALYZER" generate --single "$LOG" --format nginx --lines "$LINES" --days 1 --seed 7 \
        >/dev/null
fi
cat "$LOG" >/dev/null  # every run starts from the page cache

say "goaccess"
results=("$(measure_goaccess "$LOG" "$WORK/goaccess.json")")
for jobs in 1 2; do
    say "analyzer parse --jobs $jobs"
    results+=("$(measure "parse-jobs-$jobs" -- "$ANALYZER" parse "$LOG" --site bench \
        --format nginx --jobs "$jobs")")
done

"$PY" - "$LINES" "${results[@]}" <<'PY'
import os, sys

lines = int(sys.argv[1])
rows = [row.split() for row in sys.argv[2:]]
base = {"rate": lines / float(rows[0][1]), "rss": int(rows[0][3]), "pss": int(rows[0][4])}
print(f"\n{'':14} {'wall s':>8} {'CPU s':>8} {'lines/s':>10} {'x goaccess':>10} "
      f"{'RSS MiB':>8} {'PSS MiB':>8} {'mem ratio':>9}")
for name, wall, cpu, rss, pss in rows:
    rate = lines / float(wall)
    print(f"{name:14} {float(wall):8.1f} {float(cpu):8.1f} {rate:10,.0f} "
          f"{rate / base['rate']:10.2f} {int(rss) // 1024:8} {int(pss) // 1024:8} "
          f"{int(pss) / base['pss']:9.2f}")
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"\n{lines} lines, {os.cpu_count()} cores, load average {load}")
print("targets: parse-jobs-1 >= 1.00 x goaccess, parse-jobs-2 >= 2.00 x, mem ratio <= 0.33")
PY
