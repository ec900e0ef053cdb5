"""`analyzer reload`: load files of a site again, after fixing what made them load wrong."""

from __future__ import annotations

import argparse
from pathlib import Path

from analyzer import config, progress
from analyzer.commands.run import summarize
from analyzer.db import ingest
from analyzer.errors import ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reload",
        help="load files again: their earlier rows and aggregates are replaced",
        description="Load rotated files of one site again, after fixing what made them load "
        "wrong (a format, a route): in each file's one transaction, its earlier rows and their "
        "share of every aggregate are removed and the file is loaded anew. A failure leaves "
        "the earlier load in place.",
    )
    parser.add_argument("--config", required=True, type=Path, help="configuration file")
    parser.add_argument("--site", required=True, help="the site the files belong to")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="rotated log files")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    (site,) = config.chosen_sites(settings, args.site, args.config)
    report = ingest.reload(settings, site, args.files, progress.for_stream())
    summarize(report)
    return ExitCode.FAILURE if report.failures else ExitCode.OK
