# The analyzer in its own virtual environment, and the schema through its migrations.
# shellcheck shell=bash

analyzer_install() {
    local stamp="$VENV/.installed" want
    want="$(inputs_hash "$ROOT/analyzer/pyproject.toml" "$ROOT/analyzer/setup.py" \
        "$ROOT/analyzer/constraints.txt")"
    want+="${ANALYZER_PURE_PYTHON:+-pure}"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        log "installing the analyzer in $VENV"
        [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
        # The editable install compiles the hot path in place (see analyzer/setup.py); the
        # runtime dependencies are the exact versions the Docker image installs.
        find "$ROOT/analyzer/src" -name '*.so' -delete
        venv_pip_install "$VENV" --constraint "$ROOT/analyzer/constraints.txt" -e "$ROOT/analyzer[test]"
        echo "$want" >"$stamp"
    elif analyzer_build_stale; then
        log "compiling the analyzer's hot path again: its sources changed"
        (cd "$ROOT/analyzer" && "$VENV/bin/python" setup.py -q build_ext --inplace) \
            >"$LOG_DIR/analyzer-build.log" 2>&1 || die "compiling failed; see $LOG_DIR/analyzer-build.log"
        # Unchanged C is not built again: mark what is there as built from these sources.
        find "$ROOT/analyzer/src" -name '*.so' -exec touch {} +
    fi
}

# A compiled module missing or older than its source: the check tests/conftest.py makes.
analyzer_build_stale() {
    [[ -z "${ANALYZER_PURE_PYTHON:-}" ]] || return 1
    local source built
    while read -r source; do
        built=("$ROOT/analyzer/${source%.py}".*.so)
        [[ -e "${built[0]}" && ! "$ROOT/analyzer/$source" -nt "${built[0]}" ]] || return 0
    done < <(grep -o 'src/analyzer/[a-z_/]*\.py' "$ROOT/analyzer/setup.py")
    return 1
}

analyzer_migrate() {
    "$VENV/bin/analyzer" db --help >/dev/null 2>&1 || return 0 # migrations not written yet
    "$VENV/bin/analyzer" db migrate \
        --database-url "postgresql://analytics_owner:$ANALYTICS_OWNER_PASSWORD@127.0.0.1:$PG_PORT/analytics" \
        >>"$LOG_DIR/migrate.log" 2>&1 ||
        die "migrations failed; see $LOG_DIR/migrate.log"
}
