"""Versioned SQL migrations: ``timescaledb/migrations/NNNN_name.sql``, applied in order.

Each file is a Jinja template rendered with the edition and the bucket time zone, applied
in its own transaction and recorded in ``analytics.schema_migrations`` with the checksum
of what it rendered. An advisory lock serialises concurrent runs; running again applies
nothing. A migration whose rendering changed after it was applied is an error, whatever
changed it (its file, a template it includes, an aggregate's definition): schema changes
go in a new migration. The renderings are frozen, and tests pin them.

Records made before the checksums were of renderings hold the checksum of the file's text:
the current text's, or one of :data:`EARLIER_TEXTS`. They are recorded anew, once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from analyzer.db import connect, templates
from analyzer.db.aggregates import template_context
from analyzer.errors import ConfigError, DatabaseError

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/Paris"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant works; this one reads "analytics migrate" in a pg_locks listing.
_LOCK_KEY = 0x616E616C_6D696772

_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


# Checksums of earlier texts of migrations, which databases may have recorded:
# - 0003 and 0004 were amended in place: they could not run as the owner on the
#   Timescale-License edition (the owner cannot hand a continuous aggregate to another
#   role), so no such database applied them without a superuser, and their Apache
#   rendering is unchanged, byte for byte (tests/db/test_migrations_render.py); 0010
#   brings a Timescale database migrated by a superuser in line;
# - 0003 to 0006 then named the aggregates of their version instead of all of them, which
#   renders the same (`aggregates_until`);
# - 0003 and 0004 then called the macros of timescaledb/macros/aggregates.sql that 0013
#   uses, instead of holding the same statements: they render the same, byte for byte.
EARLIER_TEXTS: dict[str, frozenset[str]] = {
    "0003": frozenset(
        {
            "b264f5dacfca77da74a79eb9aaecd7788482f0b2c5695dfa194807354ce3c208",
            "c772e0ac519bcd55c935280caf40fc377579c24438ae799c34d840cff25e7149",
        }
    ),
    "0004": frozenset(
        {
            "aec1400405537c413269a14f676fd25da0b850b5bf8e43fce74269f277de252d",
            "c101db257a79342f35fa5cfa8b79cc661e29efad182f4cc784721c15bdbaddb0",
        }
    ),
    "0005": frozenset({"9e069c65bbc790463a5b2fc859c32ac2d4ef770580b3468d44372f46a8323a7f"}),
    "0006": frozenset({"0d8f2b1f176de82c362fc9a88c27676e832c58d7a3f12d1dc9dbe18daca1a0bd"}),
}


@dataclass(frozen=True, slots=True)
class Migration:
    version: str  # "0001"
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def text_checksum(self) -> str:
        """The checksum of the file's text, which records held before renderings'."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def render(self, context: dict[str, object]) -> str:
        return templates.render(f"migrations/{self.name}", **context)


def checksum(rendered: str) -> str:
    return hashlib.sha256(rendered.encode()).hexdigest()


def available() -> list[Migration]:
    """The migration files, in order; a badly named or duplicate version is an error."""
    folder = templates.sql_dir() / "migrations"
    found: dict[str, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ConfigError(f"{path}: migration files are named NNNN_lowercase_words.sql")
        if match.group(1) in found:
            raise ConfigError(f"{path}: version {match.group(1)} is used twice")
        found[match.group(1)] = Migration(match.group(1), path)
    if not found:
        raise ConfigError(f"{folder}: no migration files (set ANALYZER_SQL_DIR?)")
    return list(found.values())


def migrate(
    conninfo: str | None, timezone: str | None = None, target: str | None = None
) -> list[str]:
    """Apply every pending migration (up to ``target``); return the versions applied.

    ``conninfo`` is the owner's (default ``ANALYTICS_OWNER_URL``). ``timezone`` sets the
    bucket time zone of a new database; an existing database keeps its own.
    """
    migrations = [m for m in available() if target is None or m.version <= target]
    with connect.connect(conninfo, autocommit=True, env_var=connect.OWNER_ENV) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
        try:
            return _apply_pending(conn, migrations, timezone)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def _apply_pending(
    conn: psycopg.Connection, migrations: list[Migration], timezone: str | None
) -> list[str]:
    _run(conn, "bootstrap", _BOOTSTRAP)
    applied: dict[str, str] = dict(
        conn.execute("SELECT version, checksum FROM analytics.schema_migrations")
    )
    _require_extension(conn)
    zone = _bucket_timezone(conn, timezone)  # also when up to date: a changed zone is an error
    context = template_context(connect.edition(conn), zone)
    rendered = {m.version: m.render(context) for m in migrations}
    for m in migrations:
        if m.version in applied:
            _check_record(conn, m, applied[m.version], checksum(rendered[m.version]))
    pending = [m for m in migrations if m.version not in applied]
    for m in pending:
        with conn.transaction():
            _run(conn, m.name, rendered[m.version])
            conn.execute(
                "INSERT INTO analytics.schema_migrations (version, name, checksum)"
                " VALUES (%s, %s, %s)",
                [m.version, m.name, checksum(rendered[m.version])],
            )
        log.info("applied migration %s", m.name)
    return [m.version for m in pending]


def _check_record(conn: psycopg.Connection, m: Migration, recorded: str, current: str) -> None:
    """A migration's record must hold its rendering's checksum; an older record, of its
    text's, is recorded anew."""
    if recorded == current:
        return
    if recorded != m.text_checksum and recorded not in EARLIER_TEXTS.get(m.version, ()):
        raise DatabaseError(
            f"{m.path}: renders differently from what was applied (its text, a template it "
            "includes or an aggregate's definition changed); put schema changes in a new "
            "migration"
        )
    conn.execute(
        "UPDATE analytics.schema_migrations SET checksum = %s WHERE version = %s",
        [current, m.version],
    )
    log.info("migration %s: recorded the checksum of its rendering", m.name)


def _require_extension(conn: psycopg.Connection) -> None:
    # Creating it needs a superuser, so migrations (run as the owner) cannot.
    if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone():
        raise DatabaseError(
            "the timescaledb extension is missing from this database: run "
            "timescaledb/init/bootstrap.sql as a superuser first"
        )


def _run(conn: psycopg.Connection, name: str, script: str) -> None:
    try:
        conn.execute(script)  # no parameters: several statements in one go
    except psycopg.Error as exc:
        diag = exc.diag
        where = f" (near: {diag.context.splitlines()[0]})" if diag.context else ""
        raise DatabaseError(f"migration {name}: {diag.message_primary or exc}{where}") from exc


def _bucket_timezone(conn: psycopg.Connection, requested: str | None) -> str:
    """The zone stored in the database, else ``requested``, else the default; validated."""
    stored = None
    if conn.execute("SELECT to_regclass('analytics.settings')").fetchone() != (None,):
        row = conn.execute(
            "SELECT value FROM analytics.settings WHERE key = 'bucket_timezone'"
        ).fetchone()
        stored = row[0] if row else None
    if stored and requested and requested != stored:
        raise ConfigError(
            f"the aggregates already bucket in {stored}, not {requested}: see "
            "timescaledb/README.md, 'Time zone', to change it"
        )
    zone = stored or requested or DEFAULT_TIMEZONE
    known = conn.execute("SELECT 1 FROM pg_timezone_names WHERE name = %s", [zone]).fetchone()
    if not known:
        raise ConfigError(f"unknown time zone {zone!r} (see pg_timezone_names)")
    return zone


def require_current(conn: psycopg.Connection) -> None:
    """Refuse to load into a database whose schema lacks this analyzer's latest migration
    (an upgraded analyzer before `db migrate`): its aggregates would be missing. A newer
    schema is fine: migrations only add."""
    latest = available()[-1].version
    try:
        with conn.transaction():
            row = conn.execute("SELECT max(version) FROM analytics.schema_migrations").fetchone()
        version = row[0] if row else None
    except psycopg.errors.InsufficientPrivilege:
        version = None  # before 0013 the writer could not read it
    if version is None or version < latest:
        raise DatabaseError(
            f"the database schema is older than this analyzer (migration"
            f" {version or 'before 0013'}, this analyzer needs {latest}): run `analyzer db"
            " migrate` first (with Docker, `docker compose run --rm migrate`)"
        )
