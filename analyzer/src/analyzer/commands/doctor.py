"""`analyzer doctor`: say what in the sites' logs deviates from the log policy, and the fix."""

from __future__ import annotations

import argparse
import logging

from analyzer import config, doctor
from analyzer.commands import add_config_and_site
from analyzer.errors import ExitCode

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the sites' logs against the recommended log policy",
        description="Inspect each site's log files (and, with a database, the ledger of "
        "loaded files) and say in plain words what deviates from logpolicy/README.md and how "
        "to fix it. Exit status 1 when something would make the nightly job miss or miscount "
        "data; warnings alone exit 0.",
    )
    add_config_and_site(parser)
    parser.add_argument(
        "--user",
        metavar="ACCOUNT",
        help="the account that runs the nightly job, for the read permission checks "
        "(default: the current user)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    account = doctor.Account.named(args.user) if args.user else doctor.Account.current()
    findings = doctor.examine(settings, account=account, config=str(args.config), site=args.site)
    for finding in findings:
        print(finding)
    errors = sum(1 for finding in findings if finding.severity is doctor.Severity.ERROR)
    log.info("%d errors, %d warnings", errors, len(findings) - errors)
    return ExitCode.FAILURE if errors else ExitCode.OK
