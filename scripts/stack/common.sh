# Paths, logging and secrets shared by the stack's parts.
# shellcheck shell=bash

LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
RUN_DIR="$LOCAL/run"
LOG_DIR="$LOCAL/log"
SECRETS="$LOCAL/secrets.env"
STACK_ENV="$LOCAL/stack.env"
PG_PORT="${ANALYTICS_PG_PORT:-5432}"
SUPERSET_PORT="${SUPERSET_PORT:-8088}"
SUPERSET_URL="http://127.0.0.1:$SUPERSET_PORT"
ANALYTICS_TIMEZONE="${ANALYTICS_TIMEZONE:-Europe/Paris}"
# The sites the dashboards list; the demo loads these three.
ANALYTICS_SITES="${ANALYTICS_SITES:-demo-city,demo-metropole,demo-region}"
PYTHON="${ANALYTICS_PYTHON:-python3}"

log() { printf '%s stack: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pip into a venv, quietly; mirrors without a package make pip warn once per package: drop that.
venv_pip_install() {
    local venv="$1"
    shift
    "$venv/bin/pip" install -q --disable-pip-version-check "$@" 2>&1 |
        { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
    return "${PIPESTATUS[0]}"
}

# A content hash of files, to redo an install step only when its inputs changed.
inputs_hash() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# Secrets are generated once, kept in .local/secrets.env (mode 600); the environment wins.
secrets_ensure() {
    mkdir -p "$LOCAL" "$RUN_DIR" "$LOG_DIR"
    [[ -f "$SECRETS" ]] || (umask 077 && : >"$SECRETS")
    local name
    for name in ANALYTICS_OWNER_PASSWORD ANALYTICS_WRITER_PASSWORD ANALYTICS_READER_PASSWORD \
        SUPERSET_DB_PASSWORD SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD ANALYZER_PSEUDONYM_KEY; do
        grep -q "^$name=" "$SECRETS" ||
            echo "$name=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))')" >>"$SECRETS"
    done
    set -a
    # shellcheck source=/dev/null
    source "$SECRETS"
    set +a
    if [[ -n "${SUPERSET_ADMIN_PASSWORD_OVERRIDE:-}" ]]; then
        SUPERSET_ADMIN_PASSWORD="$SUPERSET_ADMIN_PASSWORD_OVERRIDE"
    fi
}

# Everything a client of the stack needs (tests, demo, scripts): `set -a; source .local/stack.env`.
# ANALYTICS_ADMIN_URL_<EDITION> names each edition's server that runs (the stack's, and the
# other edition's under `./stack test`).
stack_env_write() {
    local tcp="127.0.0.1:$PG_PORT" other
    other="$(other_edition "$ANALYTICS_EDITION")"
    (
        umask 077
        cat >"$STACK_ENV" <<ENV
ANALYTICS_EDITION='$ANALYTICS_EDITION'
ANALYTICS_PG_HOST='127.0.0.1'
ANALYTICS_PG_PORT='$PG_PORT'
ANALYTICS_PG_SOCKET_DIR='$PG_SOCKET_DIR'
ANALYTICS_PG_BIN='$PG_BIN_HOST'
ANALYTICS_ADMIN_URL='$(timescaledb_admin_url)'
ANALYTICS_ADMIN_URL_${ANALYTICS_EDITION^^}='$(timescaledb_admin_url)'
ANALYTICS_OWNER_URL='postgresql://analytics_owner:$ANALYTICS_OWNER_PASSWORD@$tcp/analytics'
ANALYZER_DATABASE_URL='postgresql://analytics_writer:$ANALYTICS_WRITER_PASSWORD@$tcp/analytics'
ANALYTICS_READER_URL='postgresql://analytics_reader:$ANALYTICS_READER_PASSWORD@$tcp/analytics'
ANALYTICS_TIMEZONE='$ANALYTICS_TIMEZONE'
ANALYZER_PSEUDONYM_KEY='$ANALYZER_PSEUDONYM_KEY'
SUPERSET_METADATA_DB_URL='postgresql://superset:$SUPERSET_DB_PASSWORD@$tcp/superset'
SUPERSET_SECRET_KEY='$SUPERSET_SECRET_KEY'
SUPERSET_ADMIN_USER='admin'
SUPERSET_ADMIN_PASSWORD='$SUPERSET_ADMIN_PASSWORD'
SUPERSET_URL='$SUPERSET_URL'
SUPERSET_VENV='$SUPERSET_VENV'
ANALYZER_VENV='$VENV'
ENV
        server_select "$other" "$TEST_PG_PORT"
        if postmaster_pid >/dev/null; then
            echo "ANALYTICS_ADMIN_URL_${other^^}='$(timescaledb_admin_url)'" >>"$STACK_ENV"
        fi
    )
}
