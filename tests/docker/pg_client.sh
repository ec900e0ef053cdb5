#!/usr/bin/env bash
# Run a client program of a local stack server's PostgreSQL (pg_dump, pg_restore, psql) as
# the superuser over its socket, as `docker compose exec -T timescaledb PROGRAM ...` does in
# the image: same major version as the server, where the host's own client may be older.
#   PG_CLIENT_EDITION=timescale PG_CLIENT_PORT=5432 tests/docker/pg_client.sh pg_dump -Fc -d analytics
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for part in common system timescaledb; do
    # shellcheck source=/dev/null
    source "$ROOT/scripts/stack/$part.sh"
done
server_select "${PG_CLIENT_EDITION:-$ANALYTICS_EDITION}" "${PG_CLIENT_PORT:-$PG_PORT}"
program="$1"
shift
pg_run env PGHOST="$PG_SEEN_AS/run" PGPORT="$PG_SERVER_PORT" PGUSER=postgres "$PG_BIN/$program" "$@"
