# shellcheck shell=sh
# Sourced by the scripts of superset/bin/: one place for paths and the environment.
# The same scripts run in the Docker image (Superset on PATH) and natively (SUPERSET_VENV).

SUPERSET_DIR=$(cd "$(dirname "$0")/.." && pwd)
export SUPERSET_CONFIG_PATH="${SUPERSET_CONFIG_PATH:-$SUPERSET_DIR/superset_config.py}"
# superset_assets (the provisioning command) lives next to the config.
export PYTHONPATH="$SUPERSET_DIR${PYTHONPATH:+:$PYTHONPATH}"
if [ -n "${SUPERSET_VENV:-}" ]; then
    PATH="$SUPERSET_VENV/bin:$PATH"
fi
export FLASK_APP=superset

require_env() {
    for name in "$@"; do
        if eval "[ -z \"\${$name:-}\" ]"; then
            echo "$(basename "$0"): environment variable $name is required" >&2
            exit 2
        fi
    done
}

# Wait (bounded) until a Superset answers /health at $1.
wait_for_health() {
    tries=${SUPERSET_HEALTH_TRIES:-120}
    while [ "$tries" -gt 0 ]; do
        if python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/health', timeout=2)" "$1" 2>/dev/null; then
            return 0
        fi
        tries=$((tries - 1))
        sleep 1
    done
    echo "$(basename "$0"): Superset at $1 did not answer /health" >&2
    return 1
}
