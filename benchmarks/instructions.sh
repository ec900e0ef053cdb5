#!/usr/bin/env bash
# Instructions executed by `analyzer parse`, a commit's code against the working tree's.
#
#   benchmarks/instructions.sh REV [LINES [JOBS]]   (defaults 100000 and 2; needs valgrind)
#
# The wall clock of this shared machine moves by 10 % from one minute to the next, and
# the same code against itself gives medians from 0.91 to 1.04 (benchmarks/README.md);
# instruction counts do not move. Each side parses the same generated nginx day to JSON
# lines under callgrind, with its workers (`--trace-children`). The profile is dumped and
# zeroed before each fork, so a worker counts only its own work and nothing is counted
# twice: the start (imports, the parser built and warmed up, up to the fork), the parent
# while the workers run (reading and dealing the chunks, taking the results), and each
# worker. Counts are not time (cache misses, waits and the other side of the machine
# are not in them), so read them with compare.sh's or pairs.sh's walls, not instead.
# Uses compare.sh's checkout of REV (.local/bench-compare/REV, built there if missing).
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REV="${1:?usage: benchmarks/instructions.sh REV [LINES [JOBS]]}"
LINES="${2:-100000}"
JOBS="${3:-2}"
WORK="$ROOT/.local/bench-compare"
LOG="$WORK/instructions/access.log.1"
OUT="$WORK/instructions/callgrind"
command -v valgrind >/dev/null || { say "valgrind is missing: apt-get install valgrind"; exit 1; }

commit="$(git -C "$ROOT" rev-parse --short "$REV")"
BEFORE="$(built_checkout "$commit" "$WORK")"
generated_day "$LOG" "$LINES"
rm -rf "$OUT"
mkdir -p "$OUT"

count() {  # count before|after: one side under callgrind, a profile per process and fork
    local path=""
    [[ "$1" == before ]] && path="$BEFORE/analyzer/src"
    PYTHONPATH="$path" valgrind --tool=callgrind --trace-children=yes \
        --dump-before=PyOS_BeforeFork --callgrind-out-file="$OUT/$1.%p" \
        "$PY" "$ANALYZER" parse "$LOG" --site bench --format nginx --jobs "$JOBS" \
        >/dev/null 2>"$OUT/$1.log" ||
        { say "$1 failed: $OUT/$1.log"; return 1; }
}

say "counting $commit and the working tree, $LINES lines, $JOBS jobs (a few minutes)"
count before &
before_pid=$!
count after
wait "$before_pid"

"$PY" - "$OUT" "$commit" "$LINES" "$JOBS" <<'PY'
import re, sys
from pathlib import Path

out, commit, lines, jobs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]


def parts(side: str) -> dict[str, float]:
    """Instructions (G) of one side: the start, the parent after it, each worker."""
    totals = {}
    for path in out.glob(f"{side}.*"):
        if match := re.fullmatch(rf"{side}\.(\d+)(?:\.(\d+))?", path.name):
            text = path.read_text(errors="replace")
            ir = int(re.search(r"^totals: (\d+)", text, re.MULTILINE).group(1))
            totals[(int(match[1]), int(match[2] or 0))] = ir / 1e9
    parent = min(pid for pid, _ in totals)
    dumps = [part for (pid, part) in totals if pid == parent and part]
    result = {}
    if dumps:  # forked: dump 1 is the start; the others, and the last, the parent's
        result["start"] = totals[(parent, 1)]
        result["parent"] = sum(ir for (pid, part), ir in totals.items()
                               if pid == parent and part != 1)
        for number, pid in enumerate(sorted({p for p, _ in totals} - {parent}), 1):
            result[f"worker {number}"] = totals[(pid, 0)]
    result["total"] = sum(totals.values())
    return result


before, after = parts("before"), parts("after")
print(f"\n`analyzer parse --jobs {jobs}`, {lines} lines: instructions, G")
print(f"{'':12} {'before':>8} {'after':>8} {'after/before':>13}")
for name in before:
    b, a = before[name], after.get(name, 0.0)
    print(f"{name:12} {b:8.3f} {a:8.3f} {a / b:13.3f}")
print(f"(before: {commit}; after: the working tree)")
PY
