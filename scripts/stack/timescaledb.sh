# Real TimescaleDB servers on 127.0.0.1, their data under .local/pg-<edition>.
#
# Two editions (docs/database.en.md, "Editions"):
#   timescale  the Timescale-License edition, the one the Docker image carries (the default):
#              TimescaleDB built from its release tarball, checked by sha256;
#   apache     Debian's postgresql-17-timescaledb package, the Apache-licensed build.
# Each edition's server runs from its own Debian 13 root file system (built once with
# mmdebstrap, on Debian 12 and 13 alike: one path, and no clash with a PostgreSQL of the
# host). Each server command runs in a private mount namespace where .local/pg-<edition> is
# bind-mounted into that root, so nothing stays mounted on the host and the data stays with
# this clone. `./stack up` serves ANALYTICS_EDITION; `./stack test` also serves the other
# edition on ANALYTICS_TEST_PG_PORT, so that the suite runs on both.
# shellcheck shell=bash

ANALYTICS_EDITION="${ANALYTICS_EDITION:-timescale}"
ROOTFS_HOME="${ANALYTICS_ROOTFS_HOME:-/var/lib/georchestra-analytics}"
TEST_PG_PORT="${ANALYTICS_TEST_PG_PORT:-$((PG_PORT + 1))}"
PG_BIN=/usr/lib/postgresql/17/bin
PG_SEEN_AS=/srv/analytics # where a server sees its .local/pg-<edition>
TRIXIE_SOURCE="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main"

# The Timescale-License edition: the version of the Docker image (docker-compose.yml), from
# its release tarball. A local copy is used when there is one (machines that cannot reach
# GitHub keep it in ../shared/vendor/); either way it must match the pinned checksum.
TIMESCALEDB_VERSION=2.29.2
TIMESCALEDB_SHA256=0f987b8c6a0ef996502b779d9c75ff38cc5057e11c7d3a2e3e4748e3607c0589
TIMESCALEDB_URL="https://github.com/timescale/timescaledb/archive/refs/tags/$TIMESCALEDB_VERSION.tar.gz"
TIMESCALEDB_TARBALL="${ANALYTICS_TIMESCALEDB_TARBALL:-$ROOT/../shared/vendor/timescaledb-$TIMESCALEDB_VERSION.tar.gz}"
# What building it needs besides the server (libicu-dev: PostgreSQL's headers include ICU's).
TIMESCALEDB_BUILD_PACKAGES=postgresql-server-dev-17,cmake,gcc,make,libc6-dev,libssl-dev,libkrb5-dev,libicu-dev

case "$ANALYTICS_EDITION" in
    timescale | apache) ;;
    *) die "ANALYTICS_EDITION is '$ANALYTICS_EDITION': say timescale (the default) or apache" ;;
esac

other_edition() { [[ "$1" == timescale ]] && echo apache || echo timescale; }

# Point the functions below at one edition's server: server_select EDITION PORT.
server_select() {
    PG_EDITION="$1"
    PG_SERVER_PORT="$2"
    CHROOT="$ROOTFS_HOME/trixie-$PG_EDITION"
    PG_LOCAL="$LOCAL/pg-$PG_EDITION"
    PG_SOCKET_DIR="$PG_LOCAL/run"
    PG_BIN_HOST="$CHROOT$PG_BIN"
}
server_select "$ANALYTICS_EDITION" "$PG_PORT"

# Run a PostgreSQL program as the postgres user, where the server's files are.
pg_run() {
    unshare --mount --propagation private -- sh -c \
        'mount --bind "$1" "$2/srv/analytics" && shift 2 && exec chroot --userspec=postgres:postgres "$0" env LANG=C.UTF-8 "$@"' \
        "$CHROOT" "$PG_LOCAL" "$CHROOT" "$@"
}

# The root file system of the selected edition, built once (rebuilt when what it should
# hold changes: another TimescaleDB tarball, for instance).
chroot_ensure() {
    local want
    want="$(chroot_recipe)"
    [[ "$(cat "$CHROOT/.analytics-ready" 2>/dev/null)" == "$want" ]] && return 0
    log "building the Debian 13 root file system of the $PG_EDITION edition in $CHROOT"
    rm -rf "$CHROOT.tmp"
    mkdir -p "$ROOTFS_HOME"
    local packages=postgresql-17,tzdata
    if [[ "$PG_EDITION" == apache ]]; then
        packages+=,postgresql-17-timescaledb
    else
        packages+=",$TIMESCALEDB_BUILD_PACKAGES"
    fi
    LANG=C.UTF-8 LC_ALL=C.UTF-8 mmdebstrap --quiet --variant=minbase --include="$packages" \
        trixie "$CHROOT.tmp" "$TRIXIE_SOURCE" >"$LOG_DIR/rootfs-$PG_EDITION.log" 2>&1 ||
        die "building the root file system failed; see $LOG_DIR/rootfs-$PG_EDITION.log"
    mkdir -p "$CHROOT.tmp/srv/analytics"
    if [[ "$PG_EDITION" == timescale ]]; then
        timescaledb_build "$CHROOT.tmp"
    fi
    echo "$want" >"$CHROOT.tmp/.analytics-ready"
    rm -rf "$CHROOT" && mv "$CHROOT.tmp" "$CHROOT"
}

chroot_recipe() {
    if [[ "$PG_EDITION" == timescale ]]; then
        echo "timescaledb $TIMESCALEDB_VERSION $TIMESCALEDB_SHA256"
    else
        echo "debian postgresql-17-timescaledb"
    fi
}

# The release tarball, checked: the local copy when there is one, else downloaded.
timescaledb_tarball() {
    local tarball="$TIMESCALEDB_TARBALL"
    if [[ ! -f "$tarball" ]]; then
        tarball="$LOCAL/cache/timescaledb-$TIMESCALEDB_VERSION.tar.gz"
        if [[ ! -f "$tarball" ]]; then
            log "downloading TimescaleDB $TIMESCALEDB_VERSION from $TIMESCALEDB_URL"
            mkdir -p "$LOCAL/cache"
            curl -fsSL --retry 3 -o "$tarball.part" "$TIMESCALEDB_URL" ||
                die "could not download $TIMESCALEDB_URL (set ANALYTICS_TIMESCALEDB_TARBALL to a local copy)"
            mv "$tarball.part" "$tarball"
        fi
    fi
    echo "$TIMESCALEDB_SHA256  $tarball" | sha256sum --check --status ||
        die "$tarball is not TimescaleDB $TIMESCALEDB_VERSION's release tarball (sha256 differs)"
    echo "$tarball"
}

# Build the Timescale-License edition inside the root file system DIR (about 3 minutes on
# two cores) and install it next to trixie's PostgreSQL 17.
timescaledb_build() {
    local dir="$1" tarball tools
    tarball="$(timescaledb_tarball)"
    log "building TimescaleDB $TIMESCALEDB_VERSION (Timescale License) from $tarball (about 3 minutes)"
    rm -rf "$dir/usr/src/timescaledb"
    mkdir -p "$dir/usr/src/timescaledb"
    tar -xzf "$tarball" -C "$dir/usr/src/timescaledb" --strip-components=1
    chroot "$dir" env LANG=C.UTF-8 sh -ec '
        cd /usr/src/timescaledb
        ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo
        make -C build -j"$(nproc)"
        make -C build install' >"$LOG_DIR/timescaledb-build.log" 2>&1 ||
        die "building TimescaleDB failed; see $LOG_DIR/timescaledb-build.log"
    # The build tools take a gigabyte; a new tarball rebuilds the whole root file system.
    rm -rf "$dir/usr/src/timescaledb"
    IFS=, read -ra tools <<<"$TIMESCALEDB_BUILD_PACKAGES"
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove \
        "${tools[@]}" >>"$LOG_DIR/timescaledb-build.log" 2>&1 ||
        die "removing the build tools failed; see $LOG_DIR/timescaledb-build.log"
}

postgres_ids() { echo "$(chroot "$CHROOT" id -u postgres):$(chroot "$CHROOT" id -g postgres)"; }

cluster_init() {
    [[ -f "$PG_LOCAL/data/PG_VERSION" ]] && return 0
    log "initialising the $PG_EDITION edition's database cluster in $PG_LOCAL/data"
    mkdir -p "$PG_LOCAL/data" "$PG_SOCKET_DIR" "$LOG_DIR"
    chown -R "$(postgres_ids)" "$PG_LOCAL"
    chmod 700 "$PG_LOCAL/data"
    pg_run "$PG_BIN/initdb" -D "$PG_SEEN_AS/data" -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/initdb-$PG_EDITION.log"
    echo "include_if_exists = 'analytics.conf'" >>"$PG_LOCAL/data/postgresql.conf"
}

# The server's configuration is rewritten on every `up`: the tuned settings follow the host.
cluster_configure() {
    local data="$PG_LOCAL/data"
    {
        echo "# Written by ./stack up; edit scripts/stack/timescaledb.sh or timescaledb/conf/."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PG_SERVER_PORT"
        echo "unix_socket_directories = '$PG_SEEN_AS/run'"
        # The chroot sees a tmpfs-less /dev/shm: POSIX shared memory fails there.
        echo "dynamic_shared_memory_type = sysv"
        echo "log_timezone = 'UTC'"
        echo "timescaledb.telemetry_level = off"
        echo "timescaledb.license = '$PG_EDITION'"
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
        log "starting TimescaleDB ($PG_EDITION edition) on 127.0.0.1:$PG_SERVER_PORT"
        rm -f "$PG_LOCAL/data/postmaster.pid"
        pg_run "$PG_BIN/pg_ctl" -D "$PG_SEEN_AS/data" -l "$PG_SEEN_AS/server.log" -w -t 60 start \
            >/dev/null || die "TimescaleDB did not start; see $PG_LOCAL/server.log"
    fi
    timescaledb_bootstrap
}

# Reload the configuration, then restart if a setting that takes effect only at a restart
# (shared_buffers, the licence...) changed: else the server would keep running untuned.
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
    pg_run "$PG_BIN/psql" -h "$PG_SEEN_AS/run" -p "$PG_SERVER_PORT" -U postgres -d postgres -X "$@"
}

admin_query() { admin_psql -At -c "$1"; }

# Roles, databases and the extension: the same script as the Docker image's init.
timescaledb_bootstrap() {
    admin_psql -q -v ON_ERROR_STOP=1 \
        -v owner_password="$ANALYTICS_OWNER_PASSWORD" \
        -v writer_password="$ANALYTICS_WRITER_PASSWORD" \
        -v reader_password="$ANALYTICS_READER_PASSWORD" \
        -v superset_password="$SUPERSET_DB_PASSWORD" \
        -f - <"$ROOT/timescaledb/init/bootstrap.sql" >"$LOG_DIR/bootstrap-$PG_EDITION.log" 2>&1 ||
        die "bootstrap of roles and databases failed; see $LOG_DIR/bootstrap-$PG_EDITION.log"
}

timescaledb_down() {
    local pid
    pid="$(postmaster_pid)" || return 0
    log "stopping TimescaleDB, $PG_EDITION edition (pid $pid)"
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
        echo "timescaledb: $PG_EDITION edition running (pid $pid) on 127.0.0.1:$PG_SERVER_PORT, data $PG_LOCAL/data"
    else
        echo "timescaledb: $PG_EDITION edition stopped"
        return 1
    fi
}

# The selected server's superuser URL (through its socket), for stack.env.
timescaledb_admin_url() {
    echo "postgresql://postgres@/postgres?host=$PG_SOCKET_DIR&port=$PG_SERVER_PORT"
}
