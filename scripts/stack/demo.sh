# The demo: generated logs of two sites loaded like a nightly run, then where to look.
# shellcheck shell=bash

DEMO_DIR="$LOCAL/demo"

demo_load() {
    if ! "$VENV/bin/analyzer" generate --help >/dev/null 2>&1; then
        log "the log generator is not available yet: no demo data loaded"
        return 0
    fi
    if [[ ! -f "$DEMO_DIR/config.yaml" ]]; then
        # A security-proxy log (users, organisations, roles) and a front nginx log.
        log "generating two sites x 14 days of logs in $DEMO_DIR"
        "$VENV/bin/analyzer" generate --out "$DEMO_DIR" --sites demo-city:secproxy,demo-region:nginx \
            --days 14 --seed 42 >"$LOG_DIR/demo-generate.log" 2>&1 ||
            die "log generation failed; see $LOG_DIR/demo-generate.log"
    fi
    log "loading the demo logs (a rerun loads nothing twice)"
    ANALYZER_DATABASE_URL="postgresql://analytics_writer:$ANALYTICS_WRITER_PASSWORD@127.0.0.1:$PG_PORT/analytics" \
        "$VENV/bin/analyzer" run --config "$DEMO_DIR/config.yaml" ||
        die "the demo load failed"
}

demo_print() {
    cat <<MSG

geOrchestra Analytics is running.
  Superset:     $SUPERSET_URL  (user admin, password $SUPERSET_ADMIN_PASSWORD)
  TimescaleDB:  127.0.0.1:$PG_PORT, database analytics (connection URLs in $STACK_ENV)
  Demo logs:    $DEMO_DIR
Stop it with ./stack down.
MSG
}
