# Debian 13 targets: an image built once with mmdebstrap, copied per host, booted with its own
# systemd as PID 1 inside new namespaces (cgroup, mount, pid, uts, ipc; the network is shared,
# so every service gets its own port in the test inventory).
# shellcheck shell=bash

BASE="$TARGETS/base"
RUN="$TARGETS/run"

# The cached image: rebuilt only when its package list changes.
base_ensure() {
    local want="$BASE_PACKAGES"
    [[ "$(cat "$BASE/.ready" 2>/dev/null)" == "$want" ]] && return 0
    log "building the Debian 13 image in $BASE (about a minute)"
    rm -rf "$BASE.tmp" && mkdir -p "$TARGETS"
    LANG=C.UTF-8 LC_ALL=C.UTF-8 mmdebstrap --quiet --variant=minbase --include="$want" \
        --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"' \
        --customize-hook="for c in /usr/local/share/ca-certificates/*.crt; do [ -e \"\$c\" ] && cp \"\$c\" \"\$1/usr/local/share/ca-certificates/\"; done; true" \
        --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
        --customize-hook='chroot "$1" systemctl mask getty.target console-getty.service systemd-modules-load.service systemd-firstboot.service >/dev/null 2>&1' \
        trixie "$BASE.tmp" "$TRIXIE"
    rm -rf "$BASE" && mv "$BASE.tmp" "$BASE"
    echo "$want" >"$BASE/.ready"
}

target_dir() { echo "$TARGETS/hosts/$1"; }
target_pid() { cat "$RUN/$1.pid" 2>/dev/null; }

target_running() {
    local pid
    pid="$(target_pid "$1")" && [[ -d "/proc/$pid" ]] && [[ "$(cat "/proc/$pid/comm")" == systemd ]]
}

# Boot DIR's systemd as PID 1 of new namespaces; the pid file names it from the host's side.
target_boot() {
    local name="$1" dir
    dir="$(target_dir "$name")"
    mkdir -p "$RUN" "$TARGETS/cache" "$dir/root/.cache"
    setsid unshare --cgroup --mount --pid --uts --ipc --fork --propagation private -- \
        sh -c "$(boot_script)" boot "$dir" "$name" "$TARGETS/cache" \
        </dev/null >"$RUN/$name.log" 2>&1 &
    local launcher=$! pid=""
    for _ in $(seq 50); do
        pid="$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null | awk '{print $1}')"
        [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == systemd ]] && break
        sleep 0.1
    done
    [[ -n "$pid" ]] || die "$name: systemd did not start (see $RUN/$name.log)"
    echo "$pid" >"$RUN/$name.pid"
}

# Runs inside the new namespaces: mount what systemd needs, then become the target's init.
boot_script() {
    cat <<'SH'
set -e
dir=$1 name=$2 cache=$3
mount --bind "$dir" "$dir"
mount -t proc proc "$dir/proc"
mount -t sysfs -o ro sysfs "$dir/sys"
mount -t cgroup2 cgroup2 "$dir/sys/fs/cgroup"
for fs in run tmp; do mount -t tmpfs -o mode=755 tmpfs "$dir/$fs"; done
chmod 1777 "$dir/tmp"
mount --bind "$dir/dev" "$dir/dev"
mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm"
# pip's and uv's downloads, shared by the targets and kept between runs.
mount --bind "$cache" "$dir/root/.cache"
hostname "$name"
echo "$name" >"$dir/etc/hostname"
exec chroot "$dir" env -i container=other /lib/systemd/systemd --log-target=console
SH
}

target_wait() {
    local name="$1" state
    for _ in $(seq 60); do
        state="$(target_exec "$name" systemctl is-system-running 2>/dev/null || true)"
        [[ "$state" == running || "$state" == degraded ]] && return 0
        sleep 0.5
    done
    die "$name: systemd did not finish booting (state ${state:-unknown}; see $RUN/$name.log)"
}

# `exec HOST CMD...`: the command runs inside the target, with a clean environment.
target_exec() {
    local name="$1" pid
    shift
    pid="$(target_pid "$name")" || die "$name is not running"
    nsenter --target "$pid" --mount --uts --ipc --pid --cgroup --root --wd -- \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

target_down() {
    local name="$1" pid
    target_running "$name" || return 0
    pid="$(target_pid "$name")"
    target_exec "$name" systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 60); do
        [[ -d "/proc/$pid" ]] || { rm -f "$RUN/$name.pid"; return 0; }
        sleep 0.5
    done
    # Killing a pid namespace's init ends every process inside it.
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
}

targets_down() {
    local name
    for name in "${HOSTS[@]}"; do target_down "$name"; done
}

# Fresh hosts from the image at every run: the first converge starts from nothing.
targets_up() {
    base_ensure
    targets_down
    local name
    for name in "${HOSTS[@]}"; do
        rm -rf "$(target_dir "$name")"
        mkdir -p "$TARGETS/hosts"
        cp -a "$BASE" "$(target_dir "$name")"
        target_boot "$name"
    done
    for name in "${HOSTS[@]}"; do target_wait "$name"; done
    log "targets booted: ${HOSTS[*]}"
}
