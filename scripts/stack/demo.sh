# The demo: generated logs of three sites loaded like a nightly run, then where to look.
# shellcheck shell=bash

DEMO_DIR="$LOCAL/demo"
# Three platforms, as Rennes runs: two behind the security-proxy (users, organisations,
# roles), one seen by its front nginx; two months of days, a share of unreadable lines,
# hundreds of users of uneven activity (analyzer/generator/data.py). Not the gateway: it
# logs an organisation's id where the security-proxy logs its name, which the dashboards
# would show as two organisations.
DEMO_ARGS=(--sites demo-city:secproxy,demo-metropole:secproxy,demo-region:nginx
    --days 60 --requests-per-day 6000 --junk-rate 0.002 --seed 42)

demo_load() {
    if ! "$VENV/bin/analyzer" generate --help >/dev/null 2>&1; then
        log "the log generator is not available yet: no demo data loaded"
        return 0
    fi
    if [[ "$(cat "$DEMO_DIR/.generated-with" 2>/dev/null)" != "${DEMO_ARGS[*]}" ]]; then
        log "generating three sites x 60 days of logs in $DEMO_DIR (about a minute)"
        rm -rf "$DEMO_DIR"
        "$VENV/bin/analyzer" generate --out "$DEMO_DIR" "${DEMO_ARGS[@]}" \
            >"$LOG_DIR/demo-generate.log" 2>&1 ||
            die "log generation failed; see $LOG_DIR/demo-generate.log"
        echo "${DEMO_ARGS[*]}" >"$DEMO_DIR/.generated-with"
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
