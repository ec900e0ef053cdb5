# A real TimescaleDB server on 127.0.0.1, its data under .local/pg.
#
# On Debian 12 the server's binaries come from a Debian 13 root file system (a chroot built
# once with mmdebstrap). Each server command runs in a private mount namespace where
# .local/pg is bind-mounted into the chroot, so nothing stays mounted on the host and the
# data stays with this clone.
# shellcheck shell=bash

CHROOT="${ANALYTICS_CHROOT:-/var/lib/georchestra-analytics/trixie}"
PG_LOCAL="$LOCAL/pg"
PG_SOCKET_DIR="$PG_LOCAL/run"
PG_BIN=/usr/lib/postgresql/17/bin
TRIXIE_SOURCE="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main"

if uses_chroot; then
    PG_SEEN_AS=/srv/analytics # where the server sees .local/pg
    PG_BIN_HOST="$CHROOT$PG_BIN"
else
    PG_SEEN_AS="$PG_LOCAL"
    PG_BIN_HOST="$PG_BIN"
fi

# Run a PostgreSQL program as the postgres user, where the server's files are.
pg_run() {
    if uses_chroot; then
        unshare --mount --propagation private -- sh -c \
            'mount --bind "$1" "$2/srv/analytics" && shift 2 && exec chroot --userspec=postgres:postgres "$0" env LANG=C.UTF-8 "$@"' \
            "$CHROOT" "$PG_LOCAL" "$CHROOT" "$@"
    else
        runuser -u postgres -- env LANG=C.UTF-8 "$@"
    fi
}

chroot_ensure() {
    uses_chroot || return 0
    [[ -f "$CHROOT/.analytics-ready" ]] && return 0
    log "building the Debian 13 root file system for TimescaleDB in $CHROOT (about a minute)"
    rm -rf "$CHROOT.tmp"
    mkdir -p "$(dirname "$CHROOT")"
    LANG=C.UTF-8 LC_ALL=C.UTF-8 mmdebstrap --quiet --variant=minbase \
        --include=postgresql-17,postgresql-17-timescaledb,tzdata trixie "$CHROOT.tmp" "$TRIXIE_SOURCE"
    mkdir -p "$CHROOT.tmp/srv/analytics"
    rm -rf "$CHROOT" && mv "$CHROOT.tmp" "$CHROOT"
    touch "$CHROOT/.analytics-ready"
}

postgres_ids() {
    if uses_chroot; then
        echo "$(chroot "$CHROOT" id -u postgres):$(chroot "$CHROOT" id -g postgres)"
    else
        echo "$(id -u postgres):$(id -g postgres)"
    fi
}

cluster_init() {
    [[ -f "$PG_LOCAL/data/PG_VERSION" ]] && return 0
    log "initialising the database cluster in $PG_LOCAL/data"
    mkdir -p "$PG_LOCAL/data" "$PG_SOCKET_DIR" "$LOG_DIR"
    chown -R "$(postgres_ids)" "$PG_LOCAL"
    chmod 700 "$PG_LOCAL/data"
    pg_run "$PG_BIN/initdb" -D "$PG_SEEN_AS/data" -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/initdb.log"
    echo "include_if_exists = 'analytics.conf'" >>"$PG_LOCAL/data/postgresql.conf"
}

# The server's configuration is rewritten on every `up`: the tuned settings follow the host.
cluster_configure() {
    local data="$PG_LOCAL/data"
    {
        echo "# Written by ./stack up; edit scripts/stack/timescaledb.sh or timescaledb/conf/."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PG_PORT"
        echo "unix_socket_directories = '$PG_SEEN_AS/run'"
        # The chroot sees a tmpfs-less /dev/shm: POSIX shared memory fails there.
        echo "dynamic_shared_memory_type = sysv"
        echo "log_timezone = 'UTC'"
        echo "timescaledb.telemetry_level = off"
        tuned_settings
    } >"$data/analytics.conf"
    cat >"$data/pg_hba.conf" <<'HBA'
# Written by ./stack up. Administration through the socket only, as the postgres user
# (root is mapped to it); applications over TCP on 127.0.0.1 with a password.
local   all  postgres                 peer map=admin
local   all  all                      reject
host    all  all       127.0.0.1/32   scram-sha-256
HBA
    printf 'admin root postgres\nadmin postgres postgres\n' >"$data/pg_ident.conf"
    chown "$(postgres_ids)" "$data/analytics.conf" "$data/pg_hba.conf" "$data/pg_ident.conf"
}

# The project's tuned configuration when the analyzer can compute it, else the essentials.
tuned_settings() {
    local conf="$ROOT/timescaledb/conf/analytics.conf"
    echo "shared_preload_libraries = 'timescaledb'"
    if [[ -f "$conf" ]]; then cat "$conf"; fi
    if [[ -x "$VENV/bin/analyzer" ]] && "$VENV/bin/analyzer" db tune --help >/dev/null 2>&1; then
        # Superset's pool, the nightly job and the test suite share the local server.
        "$VENV/bin/analyzer" db tune --max-connections 100
    fi
}

postmaster_pid() {
    local pidfile="$PG_LOCAL/data/postmaster.pid" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(head -1 "$pidfile")"
    # A zombie or a stale pid file is not a running server.
    [[ -r "/proc/$pid/stat" ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat" &&
        grep -q postgres "/proc/$pid/comm" && echo "$pid"
}

timescaledb_up() {
    chroot_ensure
    cluster_init
    cluster_configure
    if postmaster_pid >/dev/null; then
        timescaledb_reload
    else
        log "starting TimescaleDB on 127.0.0.1:$PG_PORT"
        rm -f "$PG_LOCAL/data/postmaster.pid"
        pg_run "$PG_BIN/pg_ctl" -D "$PG_SEEN_AS/data" -l "$PG_SEEN_AS/server.log" -w -t 60 start \
            >/dev/null || die "TimescaleDB did not start; see $PG_LOCAL/server.log"
    fi
    timescaledb_bootstrap
}

# Reload the configuration, then restart if a setting that takes effect only at a restart
# (shared_buffers, wal_buffers...) changed: else the server would keep running untuned.
timescaledb_reload() {
    local loaded pending
    loaded="$(admin_query "SELECT pg_conf_load_time()")" ||
        die "TimescaleDB does not answer; see $PG_LOCAL/server.log"
    pg_run "$PG_BIN/pg_ctl" -D "$PG_SEEN_AS/data" reload >/dev/null
    # The server rereads its files asynchronously; a new session sees when it has.
    for _ in $(seq 50); do
        [[ "$(admin_query "SELECT pg_conf_load_time()")" != "$loaded" ]] && break
        sleep 0.1
    done
    pending="$(admin_query "SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart")"
    [[ -n "$pending" ]] || return 0
    log "restarting TimescaleDB: $pending changed"
    pg_run "$PG_BIN/pg_ctl" -D "$PG_SEEN_AS/data" -l "$PG_SEEN_AS/server.log" -w -t 60 \
        -m fast restart >/dev/null || die "TimescaleDB did not restart; see $PG_LOCAL/server.log"
}

# psql as the postgres superuser, through the socket.
admin_psql() {
    pg_run "$PG_BIN/psql" -h "$PG_SEEN_AS/run" -p "$PG_PORT" -U postgres -d postgres -X "$@"
}

admin_query() { admin_psql -At -c "$1"; }

# Roles, databases and the extension: the same script as the Docker image's init.
timescaledb_bootstrap() {
    admin_psql -q -v ON_ERROR_STOP=1 \
        -v owner_password="$ANALYTICS_OWNER_PASSWORD" \
        -v writer_password="$ANALYTICS_WRITER_PASSWORD" \
        -v reader_password="$ANALYTICS_READER_PASSWORD" \
        -v superset_password="$SUPERSET_DB_PASSWORD" \
        -f - <"$ROOT/timescaledb/init/bootstrap.sql" >"$LOG_DIR/bootstrap.log" 2>&1 ||
        die "bootstrap of roles and databases failed; see $LOG_DIR/bootstrap.log"
}

timescaledb_down() {
    local pid
    pid="$(postmaster_pid)" || return 0
    log "stopping TimescaleDB (pid $pid)"
    kill -INT "$pid"
    for _ in $(seq 60); do
        postmaster_pid >/dev/null || return 0
        sleep 0.5
    done
    die "TimescaleDB (pid $pid) did not stop"
}

timescaledb_status() {
    local pid
    if pid="$(postmaster_pid)"; then
        echo "timescaledb: running (pid $pid) on 127.0.0.1:$PG_PORT, data $PG_LOCAL/data"
    else
        echo "timescaledb: stopped"
        return 1
    fi
}
