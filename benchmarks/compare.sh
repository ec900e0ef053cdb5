#!/usr/bin/env bash
# The code of a commit against the working tree's, side by side in the same run.
#
#   benchmarks/compare.sh REV [LINES [ROUNDS]]   (defaults 1000000 and 3; needs ./stack up)
#
# REV is checked out into .local/bench-compare/REV and its hot path compiled as the stack
# compiles ours (analyzer/setup.py); both run from the project venv. Each round runs, for
# GoAccess once, then for REV and for the working tree in turn (REV first in odd rounds,
# the working tree first in even ones: the side that runs second, after the other's
# load, is not always the same):
#   parse-1, parse-2   `analyzer parse` of a LINES-line nginx day to JSON lines, 1 and 2 jobs;
#   run                `analyzer run` loading it into a new, empty, migrated database.
# Prints the median wall and CPU seconds of each, each one's ratio to GoAccess's lines/s,
# and after/before: of the medians, and the median of each round's ratio (both sides of a
# round ran within a minute, under the same load). The machine is shared and noisy: trust
# the ratios, and the spread.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REV="${1:?usage: benchmarks/compare.sh REV [LINES [ROUNDS]]}"
LINES="${2:-1000000}"
ROUNDS="${3:-3}"
WORK="$ROOT/.local/bench-compare"
LOG="$WORK/site/access.log.1"
DB="bench_compare"
load_stack_env
command -v goaccess >/dev/null || { say "GoAccess is missing: apt-get install goaccess"; exit 1; }

commit="$(git -C "$ROOT" rev-parse --short "$REV")"
BEFORE="$(built_checkout "$commit" "$WORK")"

generated_day "$LOG" "$LINES"
trap 'drop_database "$DB"' EXIT
bench_config "$WORK" "$DB" "$WORK/site"
cat "$LOG" >/dev/null  # every run starts from the page cache

side() {  # side before|after NAME -- COMMAND...: measured with that side's code
    local which="$1" name="$2"
    shift 3
    if [[ "$which" == before ]]; then
        PYTHONPATH="$BEFORE/analyzer/src" measure "before:$name" -- "$@"
    else
        measure "after:$name" -- "$@"
    fi
}

results=()
for ((round = 1; round <= ROUNDS; round++)); do
    say "round $round of $ROUNDS"
    results+=("$(measure_goaccess "$LOG" "$WORK/goaccess.json")")
    sides=(before after)
    ((round % 2)) || sides=(after before)
    for which in "${sides[@]}"; do
        for jobs in 1 2; do
            results+=("$(side "$which" "parse-$jobs" -- "$ANALYZER" parse "$LOG" --site bench \
                --format nginx --jobs "$jobs")")
        done
        if [[ "$which" == before ]]; then  # migrated by the side's own code
            PYTHONPATH="$BEFORE/analyzer/src" fresh_database "$DB"
        else
            fresh_database "$DB"
        fi
        rm -rf "$WORK/state"
        results+=("$(side "$which" run -- "$ANALYZER" run --config "$WORK/config.yaml")")
    done
done

"$PY" - "$LINES" "$commit" "${results[@]}" <<'PY'
import os, statistics, sys
from collections import defaultdict

lines, commit = int(sys.argv[1]), sys.argv[2]
runs = defaultdict(list)
for row in sys.argv[3:]:
    name, wall, cpu, _rss, _pss = row.split()
    runs[name].append((float(wall), float(cpu)))
median = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
          for name, r in runs.items()}
goaccess = median["goaccess"][0]
print(f"\n{'':16} {'wall s':>8} {'CPU s':>8} {'x goaccess':>10}   walls")
for name, (wall, cpu) in median.items():
    walls = " ".join(f"{w:.1f}" for w, _ in runs[name])
    print(f"{name:16} {wall:8.1f} {cpu:8.1f} {goaccess / wall:10.2f}   {walls}")
print(f"\nafter / before ({commit}): of the medians, and the median of the rounds' ratios")
for what in ("parse-1", "parse-2", "run"):
    before, after = runs[f"before:{what}"], runs[f"after:{what}"]
    (bw, bc), (aw, ac) = median[f"before:{what}"], median[f"after:{what}"]
    rounds = [a[0] / b[0] for a, b in zip(after, before, strict=True)]
    paired = statistics.median(rounds)
    each = " ".join(f"{ratio:.2f}" for ratio in rounds)
    print(f"  {what:8} wall {aw / bw:5.2f}   CPU {ac / bc:5.2f}   by round {paired:5.2f}   {each}")
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"\n{lines} lines, {len(runs['goaccess'])} rounds, {os.cpu_count()} cores, load {load}")
PY
