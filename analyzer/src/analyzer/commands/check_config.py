"""`analyzer check-config`: validate a configuration file and say what it configures."""

from __future__ import annotations

import argparse
from pathlib import Path

from analyzer import config
from analyzer.db.discover import source_problem
from analyzer.errors import ConfigError, ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-config",
        help="validate a configuration file",
        description="Validate the YAML configuration; on error, name the file, the key, what "
        "is wrong and what is allowed, and exit with status 3.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="configuration file (YAML)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = config.load(args.file)  # a ConfigError becomes exit status 3 in cli.py
    problems = [
        f"sites[{site.name}]: {log.path}: {problem}"
        for site in settings.sites
        for log in site.logs
        if (problem := source_problem(log))
    ]
    if problems:
        raise ConfigError(f"{args.file}: " + "; ".join(problems))
    for site in settings.sites:
        logs = ", ".join(f"{log.path} ({log.format})" for log in site.logs)
        print(f"site {site.name}: {logs}")
    print(f"{args.file}: OK")
    return ExitCode.OK
