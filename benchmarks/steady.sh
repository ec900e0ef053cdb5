#!/usr/bin/env bash
# The nightly ingest in a database that already holds a week: what `run.sh`, which loads
# into an empty database, cannot show (indexes and rollup windows among older rows).
#
#   benchmarks/steady.sh [btree]   (needs ./stack up)
#
# 1. `analyzer generate` writes three sites (a, b, c) of eight days, 200,000 requests a
#    weekday each (cached in .local/bench/steady/);
# 2. a new database `bench_steady` loads every rotated file but site a's newest, in one
#    run (20 files: a catch-up after missed nights);
# 3. VACUUM ANALYZE, as autovacuum would have done during the day;
# 4. a second run loads site a's newest day (one more night).
# Each run prints its wall time, the analyzer's CPU time (loader and parsing processes)
# and the server's (every PostgreSQL process of the local stack, read from /proc), then
# the phases `analyzer -v run` logs. With `btree`, the raw tables get back the B-tree
# (site, ts) indexes they had before migration 0009, for a side-by-side comparison.
set -euo pipefail

# shellcheck source=benchmarks/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
VARIANT="${1:-}"
WORK="$ROOT/.local/bench/steady"
DB="bench_steady"
POSTMASTER_PID="$ROOT/.local/pg/data/postmaster.pid"
load_stack_env

server_cpu() {  # CPU seconds of the postmaster, its children and the children it reaped
    "$PY" - "$(head -1 "$POSTMASTER_PID")" <<'PY'
import os, sys
postmaster, total = int(sys.argv[1]), 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if int(pid) == postmaster:
        total += sum(map(int, fields[11:15]))
    elif int(fields[1]) == postmaster:
        total += sum(map(int, fields[11:13]))
print(total / os.sysconf("SC_CLK_TCK"))
PY
}

timed_run() {  # timed_run NAME: `analyzer -v run`, its costs and phases
    local server_before measured
    server_before=$(server_cpu)
    # shellcheck disable=SC2016  # expanded by the inner shell, which logs stderr to a file
    read -r -a measured <<<"$(measure run -- \
        bash -c '"$0" -v run --config "$1" 2>"$2"' "$ANALYZER" "$WORK/config.yaml" "$WORK/run.log")"
    "$PY" - "$1" "${measured[@]}" "$server_before" "$(server_cpu)" <<'PY'
import sys
name, _, wall, cpu, _, pss, server_before, server_after = sys.argv[1:]
print(f"{name}: wall {float(wall):.1f} s, analyzer CPU {float(cpu):.1f} s, "
      f"server CPU {float(server_after) - float(server_before):.1f} s, "
      f"analyzer peak PSS {int(pss) // 1024} MiB")
PY
    grep -oE '(parsed and copied|rollups refreshed|summarized) in [0-9.]+ s' "$WORK/run.log" |
        sed -E 's/ in ([0-9.]+) s$/\t\1/' |
        awk -F'\t' '{s[$1] += $2} END {for (k in s) printf "  %s: %.1f s in all\n", k, s[k]}'
}

if [[ ! -s "$WORK/logs/config.yaml" ]]; then
    say "generating three sites of eight days into $WORK/logs"
    "$ANALYZER" generate --out "$WORK/logs" --sites a,b,c --days 8 --requests-per-day 200000 \
        --end-date 2026-12-03 --seed 3 >/dev/null
fi

fresh_database "$DB"
if [[ "$VARIANT" == btree ]]; then
    say "B-tree (site, ts) indexes instead of BRIN"
    sql "$(url_for "$ANALYTICS_OWNER_URL" "$DB")" \
        "DROP INDEX analytics.requests_site_ts_brin" \
        "DROP INDEX analytics.request_layers_site_ts_brin" \
        "CREATE INDEX requests_site_ts_idx ON analytics.requests (site, ts)" \
        "CREATE INDEX request_layers_site_ts_idx ON analytics.request_layers (site, ts)"
fi
rm -rf "$WORK/state"
{
    sed "s|^state_dir:.*|state_dir: $WORK/state|" "$WORK/logs/config.yaml"
    echo "database_url: '$(url_for "$ANALYZER_DATABASE_URL" "$DB")'"
} >"$WORK/config.yaml"

newest="$WORK/logs/a/access.log.1"
cleanup() {  # the newest file back in place (if a run failed), the database dropped
    if [[ -e "$WORK/a-newest.log" ]]; then mv "$WORK/a-newest.log" "$newest"; fi
    drop_database "$DB"
}
trap cleanup EXIT
mv "$newest" "$WORK/a-newest.log"
say "catch-up: 20 files in one run"
timed_run "catch-up (20 files)"
mv "$WORK/a-newest.log" "$newest"
sql "$(url_for "$ANALYTICS_ADMIN_URL" "$DB")" "VACUUM ANALYZE"
say "one more night: site a's newest day"
timed_run "one more day"
