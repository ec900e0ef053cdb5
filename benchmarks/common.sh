# Sourced by the benchmark scripts: where things are, messages, and the local stack's
# databases (./stack up writes their URLs to .local/stack.env).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.local/venv/bin/python"
ANALYZER="$ROOT/.local/venv/bin/analyzer"

say() { printf '== %s\n' "$*" >&2; }

measure() { "$PY" "$ROOT/benchmarks/measure.py" "$@"; }

# BENCH_EDITION=timescale or apache picks the server (./stack test serves both editions);
# default: the stack's own.
load_stack_env() {
    set -a
    # shellcheck source=/dev/null
    source "$ROOT/.local/stack.env"
    set +a
    local edition="${BENCH_EDITION:-$ANALYTICS_EDITION}" admin port
    admin="ANALYTICS_ADMIN_URL_${edition^^}"
    [[ -n "${!admin:-}" ]] || { say "no $edition server: ./stack test serves both editions"; exit 1; }
    ANALYTICS_ADMIN_URL="${!admin}"
    port="$("$PY" -c 'import sys; from psycopg.conninfo import conninfo_to_dict
print(conninfo_to_dict(sys.argv[1])["port"])' "$ANALYTICS_ADMIN_URL")"
    ANALYTICS_OWNER_URL="${ANALYTICS_OWNER_URL/127.0.0.1:$ANALYTICS_PG_PORT\//127.0.0.1:$port/}"
    ANALYZER_DATABASE_URL="${ANALYZER_DATABASE_URL/127.0.0.1:$ANALYTICS_PG_PORT\//127.0.0.1:$port/}"
    say "TimescaleDB, $edition edition, on 127.0.0.1:$port"
}

sql() {  # sql URL STATEMENT...: each in its own transaction
    "$PY" -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    for statement in sys.argv[2:]:
        c.execute(statement)' "$@"
}

url_for() {  # url_for URL DBNAME: the same URL on another database
    "$PY" -c 'import sys; from psycopg.conninfo import make_conninfo
print(make_conninfo(sys.argv[1], dbname=sys.argv[2]))' "$1" "$2"
}

fresh_database() {  # fresh_database NAME: a new database, with the extension, migrated
    say "fresh database $1"
    sql "$ANALYTICS_ADMIN_URL" "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
        "CREATE DATABASE $1 OWNER analytics_owner" \
        "GRANT CONNECT, TEMPORARY ON DATABASE $1 TO analytics_writer"
    sql "$(url_for "$ANALYTICS_ADMIN_URL" "$1")" "CREATE EXTENSION IF NOT EXISTS timescaledb"
    "$ANALYZER" db migrate --database-url "$(url_for "$ANALYTICS_OWNER_URL" "$1")" >/dev/null 2>&1
}

drop_database() {  # drop_database NAME
    sql "$ANALYTICS_ADMIN_URL" "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
}

generated_day() {  # generated_day LOG LINES: a day of LINES nginx lines in LOG, kept for later runs
    local log="$1" lines="$2" stamp
    stamp="$(dirname "$log")/.lines"
    mkdir -p "$(dirname "$log")"
    if [[ ! -s "$log" || "$(cat "$stamp" 2>/dev/null)" != "$lines day" ]]; then
        say "generating $lines nginx lines into $log"
        "$ANALYZER" generate --single "$log" --format nginx --lines "$lines" --days 1 \
            --seed 7 >/dev/null
        echo "$lines day" >"$stamp"
    fi
}

built_checkout() {  # built_checkout COMMIT WORK: COMMIT checked out in WORK/COMMIT, its hot path compiled
    local commit="$1" work="$2"
    local dir="$work/$commit"
    if [[ ! -e "$dir/.built" ]]; then
        say "building $commit into $dir"
        rm -rf "$dir"
        mkdir -p "$work"
        git -C "$ROOT" worktree add --force --detach "$dir" "$commit" >/dev/null
        (cd "$dir/analyzer" && "$PY" setup.py -q build_ext --inplace) >"$work/build.log" 2>&1 ||
            { say "building $commit failed: $work/build.log"; return 1; }
        touch "$dir/.built"
    fi
    echo "$dir"
}

bench_config() {  # bench_config WORK DB LOG_DIR: WORK/config.yaml, a site "bench" of LOG_DIR
    cat >"$1/config.yaml" <<YAML
database_url: '$(url_for "$ANALYZER_DATABASE_URL" "$2")'
state_dir: $1/state
sites:
  - name: bench
    logs:
      - path: $3/access.log
        format: nginx
YAML
}

measure_goaccess() {  # measure_goaccess LOG REPORT: GoAccess on the nginx day, measured
    measure goaccess -- goaccess "$1" --no-progress --no-global-config \
        --log-format='%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T' \
        --date-format='%d/%b/%Y' --time-format='%T' -o "$2"
}
