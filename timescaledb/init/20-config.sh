#!/bin/sh
# Make postgresql.conf include the project's static settings (timescaledb/conf/analytics.conf,
# mounted at ANALYTICS_CONF). Runs once from /docker-entrypoint-initdb.d, after the image's
# timescaledb-tune has written the memory settings; the included file is read at every
# start, so later edits of analytics.conf apply on a restart. Safe to run again.
set -eu

conf="${ANALYTICS_CONF:-/etc/postgresql/analytics.conf}"
if [ ! -r "$conf" ]; then
    # The server would refuse to start on an unreadable include: say why now.
    echo "20-config.sh: cannot read $conf as uid $(id -u): make the repository's" \
        "timescaledb/ files readable by all (chmod -R a+rX timescaledb) and, on an SELinux" \
        "host, keep the :z of their mounts (docs/docker.md, 'File permissions')" >&2
    exit 1
fi
target="${PGDATA:?PGDATA is not set}/postgresql.conf"
line="include = '$conf'"

if grep -qxF "$line" "$target"; then
    echo "20-config.sh: $target already includes $conf"
else
    printf '\n# geOrchestra Analytics (timescaledb/conf/analytics.conf)\n%s\n' "$line" >>"$target"
    echo "20-config.sh: $target now includes $conf"
fi
