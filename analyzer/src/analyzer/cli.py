"""The `analyzer` command line: one module per subcommand in `analyzer.commands`.

Each command module exposes ``register(subparsers)`` that adds its parser and sets
``handler`` (a function taking the parsed namespace and returning an exit code).
Errors become exit codes here, in one place.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from analyzer import __version__, build
from analyzer.errors import AnalyzerError, ExitCode

# Command modules, in the order `analyzer --help` lists them.
COMMANDS = ("parse", "check_config", "run", "schedule", "db", "generate", "doctor")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="analyzer", description="geOrchestra Analytics: access logs to TimescaleDB."
    )
    parser.add_argument(
        "--version", action="version", version=f"analyzer {__version__} ({build()})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"analyzer.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"analyzer.commands.{name}":
                raise
            continue  # command not written yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args))
    except AnalyzerError as exc:
        print(f"analyzer: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("analyzer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
