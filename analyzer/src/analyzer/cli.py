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
COMMANDS = (
    "parse",
    "check_config",
    "run",
    "reload",
    "schedule",
    "db",
    "export",
    "generate",
    "doctor",
)
_COMMAND_NAMES = {name.replace("_", "-") for name in COMMANDS}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every subcommand, or only `command` when it names one: each module loads what its
    command needs, and `analyzer parse` needs none of the others' (the database driver
    alone weighs 25 MB in every parsing process)."""
    modules = [command.replace("-", "_")] if command in _COMMAND_NAMES else COMMANDS
    parser = argparse.ArgumentParser(
        prog="analyzer", description="geOrchestra Analytics: access logs to TimescaleDB."
    )
    parser.add_argument(
        "--version", action="version", version=f"analyzer {__version__} ({build()})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in modules:
        importlib.import_module(f"analyzer.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
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
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
