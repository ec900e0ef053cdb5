#!/usr/bin/env bash
# Deploy geOrchestra Analytics for real to Debian 13 targets and prove it converges.
#
#   ansible/tests/converge.sh [all]     tools, targets, converge twice (the CI entry point)
#   ansible/tests/converge.sh tools     the controller's venv and collections (pinned, cached)
#   ansible/tests/converge.sh targets   fresh targets from the cached image, booted
#   ansible/tests/converge.sh converge  run the playbook twice; fail unless the second changes nothing
#   ansible/tests/converge.sh exec HOST CMD...   run a command inside a booted target
#   ansible/tests/converge.sh tool CMD...        run an Ansible tool from ansible/ (ansible-lint, ...)
#   ansible/tests/converge.sh down      power the targets off
#
# Targets are Debian 13 root file systems under $ANALYTICS_TARGETS_DIR, each booting its own
# systemd as PID 1 in private namespaces (no container engine needed); Ansible reaches them
# through the community.general.chroot connection and bin/target-exec. Needs root,
# mmdebstrap, unshare and nsenter (util-linux). tests/ansible/ runs this and checks the result.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ANSIBLE_DIR="$(dirname "$HERE")"
REPO="$(dirname "$ANSIBLE_DIR")"
LOCAL="$REPO/.local"
TOOLS_VENV="$LOCAL/ansible-venv"
COLLECTIONS="$LOCAL/ansible-collections"
ANSIBLE_BUNDLE="ansible==12.3.0" # community.general and community.docker come from this wheel
TARGETS="${ANALYTICS_TARGETS_DIR:-/var/lib/georchestra-analytics/ansible-targets}"
# The targets share the host's network: their services' ports must be free here. Another
# deployment test on the same machine needs another folder and other ports.
DB_PORT="${ANALYTICS_TARGETS_DB_PORT:-15432}"
SUPERSET_PORT="${ANALYTICS_TARGETS_SUPERSET_PORT:-18088}"
HOSTS=(central site-nginx site-apache site-haproxy)
TRIXIE="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main"
# What a real Debian 13 server has and a minbase chroot lacks.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,ca-certificates,tzdata,procps,iproute2

# shellcheck source=/dev/null
source "$HERE/lib/targets.sh"

log() { printf '%s converge: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Its own lock: a deployment and ansible-lint may both want the tools at the same time.
tools() {
    mkdir -p "$LOCAL"
    (
        flock 9 && tools_install && collections_install
    ) 9>"$LOCAL/ansible-tools.lock"
}

tools_install() {
    local stamp="$TOOLS_VENV/.installed" want
    want="$(sha256sum "$HERE/requirements.txt" | cut -c1-16)"
    [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && return 0
    log "installing ansible-core, ansible-lint and yamllint into $TOOLS_VENV"
    [[ -x "$TOOLS_VENV/bin/python" ]] || python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" || return 1
    echo "$want" >"$stamp"
}

# Galaxy is out of reach here: the collections come from the `ansible` bundle on PyPI.
collections_install() {
    local stamp="$COLLECTIONS/.installed"
    [[ "$(cat "$stamp" 2>/dev/null)" == "$ANSIBLE_BUNDLE" ]] && return 0
    log "extracting the collections of $ANSIBLE_BUNDLE into $COLLECTIONS"
    local download
    download="$(mktemp -d)"
    "$TOOLS_VENV/bin/pip" download -q --disable-pip-version-check --no-deps "$ANSIBLE_BUNDLE" -d "$download" || return 1
    rm -rf "$COLLECTIONS" && mkdir -p "$COLLECTIONS"
    (cd "$COLLECTIONS" && python3 -m zipfile -e "$download"/ansible-*.whl . >/dev/null)
    # Keep only what the roles use (the bundle is 550 MB unpacked).
    find "$COLLECTIONS/ansible_collections" -mindepth 2 -maxdepth 2 -type d \
        ! -path '*/community/general' ! -path '*/community/docker' \
        ! -path '*/community/library_inventory_filtering_v1' -exec rm -rf {} +
    find "$COLLECTIONS" -mindepth 1 -maxdepth 1 ! -name ansible_collections -exec rm -rf {} +
    rm -rf "$download"
    echo "$ANSIBLE_BUNDLE" >"$stamp"
}

# The environment of every Ansible tool: our venv first, caches inside .local.
ansible_env() {
    export PATH="$TOOLS_VENV/bin:$PATH" \
        ANSIBLE_CONFIG="$ANSIBLE_DIR/ansible.cfg" \
        ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" \
        ANSIBLE_HOME="$LOCAL/ansible-home" \
        XDG_CACHE_HOME="$LOCAL/ansible-home/cache"
}

# A vault with random secrets, kept with the targets (never in the repository).
secrets_ensure() {
    local dir="$TARGETS/secrets"
    [[ -f "$dir/vault.yml" ]] && return 0
    ansible_env
    mkdir -p "$dir" && chmod 700 "$dir"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$dir/vault-pass")
    "$ANSIBLE_DIR/bin/new-vault" "$dir/vault.yml" --vault-password-file "$dir/vault-pass"
}

playbook() {
    ansible_env
    ansible-playbook -i "$HERE/inventory" --vault-password-file "$TARGETS/secrets/vault-pass" \
        -e "@$TARGETS/secrets/vault.yml" -e "analytics_targets_dir=$TARGETS" \
        -e "{\"analytics_database_port\": $DB_PORT, \"analytics_superset_port\": $SUPERSET_PORT,
             \"analytics_superset_init_port\": $((SUPERSET_PORT + 1))}" \
        "$ANSIBLE_DIR/site.yml" "$@"
}

# Converge twice; the second run must report changed=0 on every host (else exit 3, so that
# a caller can tell "not idempotent" from "failed").
converge() {
    mkdir -p "$TARGETS/logs"
    log "first run (converge)"
    playbook "$@" | tee "$TARGETS/logs/first-run.log"
    log "second run (idempotence)"
    playbook "$@" | tee "$TARGETS/logs/second-run.log"
    if grep -E '^\S+ +: ok=' "$TARGETS/logs/second-run.log" | grep -vE 'changed=0 '; then
        log "error: the second run changed something (see $TARGETS/logs/second-run.log)"
        exit 3
    fi
    log "idempotent: the second run changed nothing"
}

# One test at a time per targets folder (tests/ansible holds the lock for all its steps).
lock_targets() {
    [[ -n "${ANALYTICS_TARGETS_LOCKED:-}" ]] && return 0
    mkdir -p "$TARGETS"
    exec {lock}>"$TARGETS/.lock"
    flock "$lock"
}

main() {
    local step="${1:-all}"
    shift || true
    [[ "$step" == tool || "$(id -u)" == 0 ]] || die "run as root (chroots, namespaces)"
    [[ "$step" == tool ]] || lock_targets
    case "$step" in
        tools) tools ;;
        targets) secrets_ensure && targets_up ;;
        converge) converge "$@" ;;
        exec) target_exec "$@" ;;
        tool) tools >&2 && ansible_env && cd "$ANSIBLE_DIR" && exec "$@" ;;
        down) targets_down ;;
        all) tools && secrets_ensure && targets_up && converge "$@" ;;
        *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
