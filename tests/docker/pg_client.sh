#!/usr/bin/env bash
# Run a client program of the local stack's PostgreSQL (pg_dump, pg_restore, psql) as the
# superuser over its socket, as `docker compose exec -T timescaledb PROGRAM ...` does in the
# image: same major version as the server, where the host's own client may be older.
#   tests/docker/pg_client.sh pg_dump -Fc -d analytics > analytics.dump
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for part in common system timescaledb; do
    # shellcheck source=/dev/null
    source "$ROOT/scripts/stack/$part.sh"
done
program="$1"
shift
pg_run env PGHOST="$PG_SEEN_AS/run" PGPORT="$PG_PORT" PGUSER=postgres "$PG_BIN/$program" "$@"
