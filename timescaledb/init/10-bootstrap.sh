#!/bin/sh
# Roles, databases and the extension (bootstrap.sql) for the official TimescaleDB image:
# mounted into /docker-entrypoint-initdb.d, it runs once, on the first start of an empty
# volume, as the superuser over the local socket. The passwords come from the environment
# (docker-compose.yml passes them from .env). Safe to run again: bootstrap.sql is idempotent.
#
#   ANALYTICS_OWNER_PASSWORD, ANALYTICS_WRITER_PASSWORD, ANALYTICS_READER_PASSWORD,
#   SUPERSET_DB_PASSWORD   required
#   ANALYTICS_BOOTSTRAP_SQL   the SQL file (default /opt/analytics/bootstrap.sql)
#   POSTGRES_USER             the superuser (default postgres; PGHOST/PGPORT as libpq reads them)
set -eu

missing=""
for name in ANALYTICS_OWNER_PASSWORD ANALYTICS_WRITER_PASSWORD ANALYTICS_READER_PASSWORD \
    SUPERSET_DB_PASSWORD; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
    echo "10-bootstrap.sh: set these environment variables:$missing" >&2
    exit 1
fi

sql="${ANALYTICS_BOOTSTRAP_SQL:-/opt/analytics/bootstrap.sql}"
if [ ! -r "$sql" ]; then
    # Mounted from the checkout: unreadable to the image's postgres user (uid 70) when the
    # checkout was made under umask 077 or 027, or when SELinux labels forbid it.
    echo "10-bootstrap.sh: cannot read $sql as uid $(id -u): make the repository's" \
        "timescaledb/ files readable by all (chmod -R a+rX timescaledb) and, on an SELinux" \
        "host, keep the :z of their mounts (docs/docker.md, 'File permissions')" >&2
    exit 1
fi
echo "10-bootstrap.sh: creating the roles and databases of geOrchestra Analytics from $sql"
psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" \
    --no-password --dbname postgres \
    -v owner_password="$ANALYTICS_OWNER_PASSWORD" \
    -v writer_password="$ANALYTICS_WRITER_PASSWORD" \
    -v reader_password="$ANALYTICS_READER_PASSWORD" \
    -v superset_password="$SUPERSET_DB_PASSWORD" \
    --file "$sql"
