# The analyzer in its own virtual environment, and the schema through its migrations.
# shellcheck shell=bash

analyzer_up() {
    local stamp="$VENV/.installed" want
    want="$(inputs_hash "$ROOT/analyzer/pyproject.toml")"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        log "installing the analyzer in $VENV"
        [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
        venv_pip_install "$VENV" -e "$ROOT/analyzer[test]"
        echo "$want" >"$stamp"
    fi
    analyzer_migrate
}

analyzer_migrate() {
    "$VENV/bin/analyzer" db --help >/dev/null 2>&1 || return 0 # migrations not written yet
    "$VENV/bin/analyzer" db migrate \
        --database-url "postgresql://analytics_owner:$ANALYTICS_OWNER_PASSWORD@127.0.0.1:$PG_PORT/analytics" \
        >>"$LOG_DIR/migrate.log" 2>&1 ||
        die "migrations failed; see $LOG_DIR/migrate.log"
}
