# Superset in its own virtual environment, served on 127.0.0.1 by superset/bin/serve.
# The same superset/bin scripts initialise and serve the Docker image.
# shellcheck shell=bash

SUPERSET_VENV="$LOCAL/superset-venv"
SUPERSET_PIDFILE="$RUN_DIR/superset.pid"

superset_install() {
    local stamp="$SUPERSET_VENV/.installed" want
    want="$(inputs_hash "$ROOT/superset/requirements.txt")"
    [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && return 0
    log "installing Superset in $SUPERSET_VENV (about a minute)"
    [[ -x "$SUPERSET_VENV/bin/python" ]] || "$PYTHON" -m venv "$SUPERSET_VENV"
    venv_pip_install "$SUPERSET_VENV" -r "$ROOT/superset/requirements.txt"
    echo "$want" >"$stamp"
}

# The environment of the superset/bin scripts: the stack's settings, the Superset venv first.
superset_export() {
    export PATH="$SUPERSET_VENV/bin:$PATH" \
        SUPERSET_CONFIG_PATH="$ROOT/superset/superset_config.py" \
        SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD \
        SUPERSET_METADATA_DB_URL="postgresql://superset:$SUPERSET_DB_PASSWORD@127.0.0.1:$PG_PORT/superset" \
        SUPERSET_ADMIN_USER=admin SUPERSET_URL SUPERSET_BIND="127.0.0.1:$SUPERSET_PORT" \
        ANALYTICS_DB_HOST=127.0.0.1 ANALYTICS_DB_PORT="$PG_PORT" ANALYTICS_DB_NAME=analytics \
        ANALYTICS_READER_PASSWORD ANALYTICS_TIMEZONE ANALYTICS_SITES ANALYTICS_BASE_MAP_URL
}

# Initialise (metadata schema, admin, roles, dashboards) only when superset/ changed.
superset_init() {
    local stamp="$LOCAL/superset-init.stamp" want
    want="$({
        echo "$ANALYTICS_SITES $ANALYTICS_TIMEZONE"
        find "$ROOT/superset" -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 cat
    } | sha256sum | cut -c1-16)"
    [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && return 0
    log "initialising Superset (metadata database, admin, dashboards)"
    (superset_export && exec "$ROOT/superset/bin/init") >"$LOG_DIR/superset-init.log" 2>&1 ||
        die "Superset init failed; see $LOG_DIR/superset-init.log"
    echo "$want" >"$stamp"
}

superset_pid() {
    local pid
    pid="$(cat "$SUPERSET_PIDFILE" 2>/dev/null)" && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

superset_up() {
    [[ -f "$ROOT/superset/requirements.txt" && -x "$ROOT/superset/bin/serve" ]] || return 0
    superset_install
    superset_init
    if ! superset_pid >/dev/null; then
        log "starting Superset on $SUPERSET_URL"
        # Its own session, so that `down` stops the whole process group and nothing else.
        (superset_export && exec setsid "$ROOT/superset/bin/serve") >>"$LOG_DIR/superset.log" 2>&1 </dev/null &
        echo $! >"$SUPERSET_PIDFILE"
    fi
    for _ in $(seq 120); do
        curl -fsS "$SUPERSET_URL/health" >/dev/null 2>&1 && return 0
        superset_pid >/dev/null || die "Superset exited; see $LOG_DIR/superset.log"
        sleep 1
    done
    die "Superset did not answer $SUPERSET_URL/health within 2 minutes; see $LOG_DIR/superset.log"
}

superset_down() {
    local pid
    pid="$(superset_pid)" || return 0
    log "stopping Superset (process group $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 40); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$SUPERSET_PIDFILE"; return 0; }
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$SUPERSET_PIDFILE"
}

superset_status() {
    local pid
    if pid="$(superset_pid)" && curl -fsS "$SUPERSET_URL/health" >/dev/null 2>&1; then
        echo "superset: running (pid $pid) on $SUPERSET_URL"
    elif [[ -n "${pid:-}" ]]; then
        echo "superset: starting or unhealthy (pid $pid), see $LOG_DIR/superset.log"
        return 1
    else
        echo "superset: stopped"
        return 1
    fi
}
