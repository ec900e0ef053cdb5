#!/bin/sh
# Entrypoint of the analyzer image: wait (bounded) until the database accepts connections,
# then run the command: `analyzer schedule ...` (the default), `analyzer db migrate`, or any
# other. Arguments that are not a program run as analyzer arguments, so that
# `docker compose run --rm analyzer run --config /etc/analyzer/analyzer.yaml --dry-run` works.
#
#   ANALYTICS_OWNER_URL or ANALYZER_DATABASE_URL   the database to wait for (the first set)
#   ANALYZER_WAIT_SECONDS                          how long to wait (default 60; 0: no wait)
set -eu

wait_for_database() {
    url="${ANALYTICS_OWNER_URL:-${ANALYZER_DATABASE_URL:-}}"
    seconds="${ANALYZER_WAIT_SECONDS:-60}"
    if [ -z "$url" ] || [ "$seconds" -eq 0 ]; then
        return 0
    fi
    python - "$url" "$seconds" <<'PY'
import sys
import time

import psycopg

url, seconds = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + seconds
while True:
    try:
        psycopg.connect(url, connect_timeout=3).close()
        break
    except psycopg.OperationalError as exc:
        if time.monotonic() >= deadline:
            reason = str(exc).strip().splitlines()[-1]
            sys.exit(f"analyzer-entrypoint: database not reachable after {seconds} s: {reason}")
        time.sleep(1)
PY
}

case "${1:-}" in
    "" | -*) set -- analyzer "$@" ;;
    *) command -v "$1" >/dev/null 2>&1 || set -- analyzer "$@" ;;
esac
wait_for_database
exec "$@"
