"""`analyzer run`: load every rotated log file not loaded yet, then apply retention."""

from __future__ import annotations

import argparse
import logging
import sys

from analyzer import config, progress
from analyzer.commands import add_config_and_site
from analyzer.db import ingest
from analyzer.errors import ExitCode, UsageError
from analyzer.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="load new rotated log files into the database (the nightly job)",
        description="For every site and log source, load the rotated files not loaded yet "
        "(oldest first, each in one transaction), refresh the rollups they touched, then "
        "apply retention.",
    )
    add_config_and_site(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="list the files a run would load, load nothing"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help=f"parsing processes per file (default: cores, at most {ingest.MAX_DEFAULT_JOBS})",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    config.chosen_sites(settings, args.site, args.config)  # an unknown name fails here
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: give 1 or more")
    return run_and_summarize(settings, site=args.site, dry_run=args.dry_run, jobs=args.jobs)


def run_and_summarize(
    settings: Settings, site: str | None = None, dry_run: bool = False, jobs: int | None = None
) -> int:
    """Run the ingest, log its summary, and say how it went as an exit code."""
    report = ingest.run(
        settings, site=site, dry_run=dry_run, jobs=jobs, progress=progress.for_stream()
    )
    summarize(report)
    if dry_run:
        for pending in report.pending:
            print(pending, file=sys.stdout)
    return ExitCode.FAILURE if report.failures else ExitCode.OK


def summarize(report: ingest.RunReport) -> None:
    """The failures named again, as errors, then the totals (a warning if anything failed)."""
    lines = report.summary_lines()
    for line in lines[:-1]:
        log.error("%s", line)
    log.log(logging.WARNING if report.failures else logging.INFO, "%s", lines[-1])
