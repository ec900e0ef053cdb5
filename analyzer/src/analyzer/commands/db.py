"""`analyzer db`: migrate the schema, print tuned settings, apply retention."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analyzer import config
from analyzer.db import connect, migrate, retention, tune
from analyzer.errors import ExitCode, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="manage the analytics database (migrate, tune, retention)",
        description="Manage the analytics database. See timescaledb/README.md.",
    )
    commands = parser.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    _register_migrate(commands)
    _register_tune(commands)
    _register_retention(commands)


def _register_migrate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "migrate",
        help="apply pending schema migrations (as analytics_owner)",
        description="Apply every pending migration of timescaledb/migrations/, each in its "
        "own transaction, under an advisory lock. Running it again does nothing.",
    )
    parser.add_argument(
        "--database-url", help=f"owner's connection URL (default: ${connect.OWNER_ENV})"
    )
    parser.add_argument(
        "--timezone",
        help="time zone of the aggregates' buckets, for a new database "
        f"(default: the config's timezone, else {migrate.DEFAULT_TIMEZONE})",
    )
    parser.add_argument("--config", type=Path, help="configuration file (for its timezone)")
    parser.set_defaults(handler=handle_migrate)


def _register_tune(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "tune",
        help="print postgresql.conf settings for this server's memory and cores",
        description="Print a postgresql.conf fragment for a dedicated analytics server, "
        "derived from memory and cores as timescaledb-tune does. Defaults: this machine.",
    )
    parser.add_argument("--memory", help="memory for PostgreSQL, e.g. 4GB (default: detected)")
    parser.add_argument("--cpus", type=int, help="cores for PostgreSQL (default: detected)")
    parser.add_argument("--max-connections", type=int, default=tune.DEFAULT_MAX_CONNECTIONS)
    parser.set_defaults(handler=handle_tune)


def _register_retention(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "retention",
        help="apply the configured retention now (the nightly run also does)",
        description="Drop raw chunks, and aggregate rows or chunks, older than the configured "
        "retention, at once (both editions; no retention policy is involved).",
    )
    parser.add_argument("--config", required=True, type=Path, help="configuration file")
    parser.set_defaults(handler=handle_retention)


def handle_migrate(args: argparse.Namespace) -> int:
    timezone = args.timezone
    if timezone is None and args.config is not None:
        timezone = config.load(args.config).timezone
    applied = migrate.migrate(args.database_url, timezone=timezone)
    print(f"applied: {', '.join(applied)}" if applied else "schema up to date")
    return ExitCode.OK


def handle_tune(args: argparse.Namespace) -> int:
    detected = tune.detect_host()
    try:
        memory = tune.parse_size(args.memory) if args.memory else detected.memory
        host = tune.Host(memory, args.cpus or detected.cpus, args.max_connections)
        sys.stdout.write(tune.render(host))
    except ValueError as exc:
        raise UsageError(f"db tune: {exc}") from exc
    return ExitCode.OK


def handle_retention(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    with connect.connect(settings.database_url, autocommit=True) as conn:
        for relation, detail in retention.apply(conn, settings.retention):
            print(f"{relation}: {detail}")
    return ExitCode.OK
