# Debian packages the stack needs; installed only when missing.
# shellcheck shell=bash

system_packages() {
    # mmdebstrap builds the Debian 13 root file systems the database servers run from.
    local packages=(ca-certificates curl mmdebstrap debian-archive-keyring)
    "$PYTHON" -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
    # A C compiler and Python's headers: mypyc compiles the analyzer's hot path (setup.py).
    packages+=(gcc libc6-dev)
    "$PYTHON" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))' ||
        packages+=(python3-dev)
    if [[ "${1:-}" == --test ]]; then
        # A real browser for the dashboard checks, logrotate for the log-policy checks,
        # PostgreSQL's client tools and openssl as the Docker images' scripts use them.
        packages+=(chromium logrotate postgresql-client openssl nginx) # nginx: test_reverse_proxy.py
    fi
    echo "${packages[@]}"
}

system_install() {
    local missing=() package
    for package in $(system_packages "$@"); do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing Debian packages: ${missing[*]}"
    [[ $EUID -eq 0 ]] || die "installing packages needs root: apt-get install ${missing[*]}"
    # A policy-rc.d keeps Debian's own PostgreSQL cluster from starting: the stack runs its own.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' RETURN
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
