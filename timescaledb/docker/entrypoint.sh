#!/bin/sh
# Entrypoint of the timescaledb service (docker-compose.yml): tune the server for
# TS_TUNE_MEMORY and TS_TUNE_NUM_CPUS at every start, then run the image's own entrypoint.
#
# The image tunes only on the first start of an empty volume (its init script
# /docker-entrypoint-initdb.d/001_timescaledb_tune.sh, timescale/timescaledb-docker), so a
# memory limit set or changed later would never reach postgresql.conf. On an initialised
# volume this runs that same script again, as the postgres user that owns the data (the
# image's entrypoint steps down to it with gosu: docker-library/postgres), before the
# server starts. NO_TS_TUNE set: the image's meaning, no tuning at all.
#
#   PGDATA             the data folder (the image sets it)
#   TUNE_SCRIPT        the image's tuning script (default: the path above)
#   ENTRYPOINT         the image's entrypoint (default docker-entrypoint.sh)
set -eu

tune="${TUNE_SCRIPT:-/docker-entrypoint-initdb.d/001_timescaledb_tune.sh}"
conf="${PGDATA:?PGDATA is not set}/postgresql.conf"

if [ -z "${NO_TS_TUNE:-}" ] && [ -s "$PGDATA/PG_VERSION" ] && [ -f "$conf" ]; then
    if [ ! -r "$tune" ]; then
        echo "entrypoint.sh: $tune not found: the server keeps its settings" >&2
    else
        echo "entrypoint.sh: tuning for memory ${TS_TUNE_MEMORY:-(detected)}, cores ${TS_TUNE_NUM_CPUS:-(detected)}"
        if [ "$(id -u)" = 0 ]; then
            gosu postgres bash "$tune"
        else
            bash "$tune"
        fi
    fi
fi
exec "${ENTRYPOINT:-docker-entrypoint.sh}" "$@"
