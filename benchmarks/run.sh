#!/usr/bin/env bash
# The nightly ingest against GoAccess, side by side on the same file in the same run.
#
#   benchmarks/run.sh [LINES]        (default 2000000; needs ./stack up)
#
# 1. `analyzer generate --single` writes a LINES-line nginx day (cached in .local/bench/);
# 2. GoAccess reads it into a JSON report: the lines/s to beat;
# 3. `analyzer run` loads it into a new, empty, migrated database (parse, COPY, rollups,
#    retention), then runs again (nothing to do).
# Prints wall time, lines/s and peak memory (summed over each process tree, sampled every
# 50 ms) for each. The database is dropped at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LINES="${1:-2000000}"
WORK="$ROOT/.local/bench"
LOG_DIR="$WORK/site"
LOG="$LOG_DIR/access.log.1"
DB="bench_ingest"
PY="$ROOT/.local/venv/bin/python"

set -a
# shellcheck source=/dev/null
source "$ROOT/.local/stack.env"
set +a

say() { printf '== %s\n' "$*" >&2; }

# measure NAME COMMAND...: runs COMMAND, prints "NAME seconds peak_kib".
measure() {
    local name="$1"
    shift
    "$PY" - "$name" "$@" <<'PY'
import os, subprocess, sys, time

def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total

name, command = sys.argv[1], sys.argv[2:]
started = time.monotonic()
process = subprocess.Popen(command)
peak = 0
while process.poll() is None:
    peak = max(peak, tree_rss_kib(process.pid))
    time.sleep(0.05)
seconds = time.monotonic() - started
if process.returncode:
    sys.exit(f"{name}: exit code {process.returncode}")
print(f"{name} {seconds:.2f} {peak}")
PY
}

admin_sql() {
    "$PY" -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    for statement in sys.argv[2:]:
        c.execute(statement)' "$ANALYTICS_ADMIN_URL" "$@"
}

url_for() {  # url_for URL DBNAME: the same URL on another database
    "$PY" -c 'import sys; from psycopg.conninfo import make_conninfo
print(make_conninfo(sys.argv[1], dbname=sys.argv[2]))' "$1" "$2"
}

mkdir -p "$LOG_DIR"
if [[ ! -s "$LOG" || "$(cat "$WORK/lines" 2>/dev/null)" != "$LINES" ]]; then
    say "generating $LINES nginx lines into $LOG"
    "$ROOT/.local/venv/bin/analyzer" generate --single "$LOG" --format nginx \
        --lines "$LINES" --seed 7 >/dev/null
    echo "$LINES" >"$WORK/lines"
fi

say "fresh database $DB"
admin_sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" "CREATE DATABASE $DB OWNER analytics_owner" \
    "GRANT CONNECT, TEMPORARY ON DATABASE $DB TO analytics_writer"
"$PY" -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")' "$(url_for "$ANALYTICS_ADMIN_URL" "$DB")"
trap 'admin_sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
"$ROOT/.local/venv/bin/analyzer" db migrate \
    --database-url "$(url_for "$ANALYTICS_OWNER_URL" "$DB")" >/dev/null 2>&1

rm -rf "$WORK/state"
cat >"$WORK/config.yaml" <<YAML
database_url: '$(url_for "$ANALYZER_DATABASE_URL" "$DB")'
state_dir: $WORK/state
sites:
  - name: bench
    logs:
      - path: $LOG_DIR/access.log
        format: nginx
YAML

say "goaccess"
goaccess_result="$(measure goaccess goaccess "$LOG" --no-progress --no-global-config \
    --log-format='%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T' \
    --date-format='%d/%b/%Y' --time-format='%T' -o "$WORK/goaccess.json")"
say "analyzer run (empty database)"
first_result="$(measure "analyzer-run" "$ROOT/.local/venv/bin/analyzer" run --config "$WORK/config.yaml")"
say "analyzer run again (nothing new)"
second_result="$(measure "analyzer-rerun" "$ROOT/.local/venv/bin/analyzer" run --config "$WORK/config.yaml")"

printf '\n%-16s %10s %12s %14s\n' "" "seconds" "lines/s" "peak MiB"
for result in "$goaccess_result" "$first_result" "$second_result"; do
    read -r name seconds peak <<<"$result"
    rate="$("$PY" -c "print(f'{$LINES / $seconds:,.0f}')")"
    [[ "$name" == analyzer-rerun ]] && rate="-"
    printf '%-16s %10s %12s %14s\n' "$name" "$seconds" "$rate" "$((peak / 1024))"
done
printf '\n%s lines, %s cores, load average %s\n' "$LINES" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
