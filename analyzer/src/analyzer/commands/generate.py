"""`analyzer generate`: realistic geOrchestra access logs for the demo, tests and benchmarks."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analyzer.errors import ExitCode, UsageError
from analyzer.generator import data
from analyzer.generator.layout import SiteSpec, generate_single, generate_tree
from analyzer.generator.writer import FileReport, default_workers

EPILOG = """\
examples:
  analyzer generate --out demo --sites rennes,brest:haproxy,quimper:secproxy --days 5
  analyzer generate --out demo --sites rennes,cayenne:traefik:America/Cayenne
  analyzer generate --single nginx-2M.log --format nginx --lines 2000000 --seed 7
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write realistic geOrchestra access logs",
        description="Write realistic, reproducible geOrchestra access logs: several sites "
        "and days rotated like logrotate (with a config.yaml reading them), or one big file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, metavar="DIR", help="write <DIR>/<site>/access.log*")
    target.add_argument("--single", type=Path, metavar="FILE", help="write one file (.gz: gzip)")
    parser.add_argument(
        "--sites",
        default="demo",
        metavar="SITES",
        help="comma-separated NAME[:FORMAT[:ZONE]] (default: demo)",
    )
    parser.add_argument(
        "--format",
        default="nginx",
        choices=sorted(data.FORMATS),
        metavar="FORMAT",
        help="format of --single and of sites that name none: "
        f"{', '.join(data.FORMATS)} (default: nginx)",
    )
    parser.add_argument(
        "--days", type=_positive, default=7, help="days per site or file (default: 7)"
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the last day, held whole by the live access.log (default: today)",
    )
    parser.add_argument(
        "--requests-per-day",
        type=_positive,
        default=20_000,
        metavar="N",
        help="a weekday's requests per site, weekends get fewer (default: 20000)",
    )
    parser.add_argument(
        "--lines",
        type=_positive,
        default=100_000,
        metavar="N",
        help="with --single (default: 100000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same bytes (default: 1)")
    parser.add_argument(
        "--junk-rate",
        type=_rate,
        default=0.0,
        metavar="R",
        help="share of extra unparseable lines, 0 to 1 (default: 0)",
    )
    parser.add_argument(
        "--timezone",
        default=data.DEFAULT_TIMEZONE,
        metavar="ZONE",
        help=f"zone of the sites that name none; it bounds each file's day "
        f"(default: {data.DEFAULT_TIMEZONE})",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="processes (default: all cores)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _check_zone(args.timezone, "--timezone")
    end_date = args.end_date or date.today()
    workers = args.workers or default_workers()
    if args.single:
        report = generate_single(
            args.single,
            args.format,
            lines=args.lines,
            days=args.days,
            end_date=end_date,
            seed=args.seed,
            junk_rate=args.junk_rate,
            workers=workers,
            timezone=args.timezone,
        )
        _print_summary([report])
        return ExitCode.OK
    reports = generate_tree(
        args.out,
        parse_sites(args.sites, args.format, args.timezone),
        days=args.days,
        end_date=end_date,
        requests_per_day=args.requests_per_day,
        seed=args.seed,
        junk_rate=args.junk_rate,
        workers=workers,
    )
    _print_summary(reports)
    print(f"configuration: {args.out / 'config.yaml'}", file=sys.stderr)
    return ExitCode.OK


def parse_sites(text: str, default_format: str, timezone: str) -> list[SiteSpec]:
    """``rennes,brest:haproxy,cayenne:nginx:America/Cayenne`` -> one SiteSpec per site."""
    sites = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, fmt, zone = [*item.split(":", 2), "", ""][:3]
        fmt, zone = fmt or default_format, zone or timezone
        if fmt not in data.FORMATS:
            known = ", ".join(data.FORMATS)
            raise UsageError(f"--sites {item}: unknown format {fmt!r} ({known})")
        _check_zone(zone, f"--sites {item}")
        sites.append(SiteSpec(name, fmt, zone))
    if len({site.name for site in sites}) != len(sites) or not sites:
        raise UsageError(f"--sites {text!r}: give distinct site names")
    return sites


def _print_summary(reports: list[FileReport]) -> None:
    for report in reports:
        junk = f" ({report.junk} junk)" if report.junk else ""
        print(f"{report.path}: {report.lines} lines{junk}", file=sys.stderr)


def _check_zone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"{where}: unknown time zone {name!r}") from exc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a rate between 0 and 1, got {text}")
    return value
