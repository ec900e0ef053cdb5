#!/usr/bin/env bash
# `analyzer parse` of a commit against the working tree's, in pairs run back to back.
#
#   benchmarks/pairs.sh REV [PAIRS [JOBS [LINES]]]   (defaults 8, 1 and 1000000; needs ./stack up)
#
# Uses compare.sh's checkout of REV (.local/bench-compare/REV, built there if missing) and
# its generated nginx day. Each pair parses the day to JSON lines with REV's code and with
# the working tree's, one right after the other, REV first in even pairs and second in odd
# ones, and nothing else runs between them (no database load, no GoAccess): the two runs
# of a pair share the machine's state of that minute. Prints each pair's after/before wall
# ratio and their median, steadier than a ratio of medians on a noisy machine.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REV="${1:?usage: benchmarks/pairs.sh REV [PAIRS [JOBS [LINES]]]}"
PAIRS="${2:-8}"
JOBS="${3:-1}"
LINES="${4:-1000000}"
WORK="$ROOT/.local/bench-compare"
LOG="$WORK/site/access.log.1"

commit="$(git -C "$ROOT" rev-parse --short "$REV")"
BEFORE="$(built_checkout "$commit" "$WORK")"
generated_day "$LOG" "$LINES"
cat "$LOG" >/dev/null  # every run starts from the page cache

parse() {  # parse before|after PAIR
    local path=""
    [[ "$1" == before ]] && path="$BEFORE/analyzer/src"
    PYTHONPATH="$path" measure "$1 $2" -- "$ANALYZER" parse "$LOG" --site bench \
        --format nginx --jobs "$JOBS" 2>/dev/null
}

results=()
for ((pair = 0; pair < PAIRS; pair++)); do
    if ((pair % 2)); then
        results+=("$(parse after "$pair")" "$(parse before "$pair")")
    else
        results+=("$(parse before "$pair")" "$(parse after "$pair")")
    fi
done

"$PY" - "$commit" "$JOBS" "${results[@]}" <<'PY'
import statistics, sys

commit, jobs = sys.argv[1], sys.argv[2]
walls: dict[str, dict[str, float]] = {"before": {}, "after": {}}
for row in sys.argv[3:]:
    side, pair, wall, _cpu, _rss, _pss = row.split()
    walls[side][pair] = float(wall)
pairs = sorted(walls["before"], key=int)
ratios = [walls["after"][p] / walls["before"][p] for p in pairs]
print(f"parse --jobs {jobs}, after / before ({commit}), wall, by pair:")
for p, ratio in zip(pairs, ratios, strict=True):
    print(f"  {p:>3}  {walls['before'][p]:6.2f} s  {walls['after'][p]:6.2f} s  {ratio:5.3f}")
print(f"median {statistics.median(ratios):.3f}, from {min(ratios):.3f} to {max(ratios):.3f}")
PY
