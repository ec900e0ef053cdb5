"""`analyzer parse`: log files in, one record per valid line out (stdout), summary on stderr."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analyzer.errors import ConfigError, ExitCode, InputError, UsageError
from analyzer.fastpath import FastParser
from analyzer.formats import AUTO, PRESETS, resolve_format
from analyzer.geoip import GEOIP_ENV, open_database
from analyzer.outputs import OUTPUTS, PARSE_OUTPUTS
from analyzer.parsing import Parsed, ParseSetup, Tally
from analyzer.privacy import key_from_env
from analyzer.reader import open_log, read_blocks
from analyzer.row import Source
from analyzer.runtime import tune_runtime
from analyzer.settings import IP_MODES, USER_MODES, SiteConfig
from analyzer.workers import ChunkParser, parse_chunks, write_all

AHEAD_PER_JOB = 2  # parsed chunks waiting for the output, per worker


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse log files to JSON lines or CSV on stdout",
        description="Parse access logs (plain or gzip, '-' for stdin) and write one record "
        "per valid line to stdout; rejected lines are counted in the summary on stderr.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="log file, or - for stdin")
    parser.add_argument("--site", required=True, help="site name written in every record")
    parser.add_argument(
        "--format",
        default=AUTO,
        help=f"{AUTO} (default), a preset ({', '.join(PRESETS)}), an nginx log_format string "
        "or an Apache LogFormat string",
    )
    parser.add_argument("--output", choices=PARSE_OUTPUTS, default="jsonl")
    parser.add_argument("--ip-mode", choices=IP_MODES, default="anonymize")
    parser.add_argument("--user-mode", choices=USER_MODES, default="keep")
    parser.add_argument(
        "--timezone", default="UTC", help="zone of timestamps without offset (HAProxy)"
    )
    parser.add_argument(
        "--geoip-database",
        metavar="MMDB",
        default=os.environ.get(GEOIP_ENV) or None,
        help=f"locate clients in this GeoIP file (default: ${GEOIP_ENV}, else none)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="parser processes (default 1)")
    parser.add_argument("--rejects", metavar="FILE", help="write rejected lines to FILE")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs: at least 1")
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"--timezone: unknown zone {args.timezone!r}") from exc
    geoip_database = Path(args.geoip_database) if args.geoip_database else None
    if geoip_database is not None:
        try:
            open_database(geoip_database)
        except ConfigError as exc:
            raise UsageError(f"--geoip-database: {exc}") from exc
    site = SiteConfig(
        name=args.site,
        timezone=args.timezone,
        ip_mode=args.ip_mode,
        user_mode=args.user_mode,
        geoip_database=geoip_database,
    )
    key = key_from_env(os.environ)
    tune_runtime()
    out = sys.stdout.buffer
    out.write(OUTPUTS[args.output](Source(site.name)).header())
    total, failed = Tally(), 0
    with ExitStack() as stack:
        rejects: TextIO | None = None
        if args.rejects:
            rejects = stack.enter_context(open(args.rejects, "w", encoding="utf-8"))
        for name in args.files:
            setup = ParseSetup(name, args.format, site, key)
            tally, error = parse_file(setup, args.output, args.jobs, out, rejects)
            total.add(tally)
            print(f"analyzer: {tally.summary(name)}", file=sys.stderr)
            if error:
                print(f"analyzer: error: {error}", file=sys.stderr)
                failed += 1
    if len(args.files) > 1:
        print(f"analyzer: {total.summary('total')}", file=sys.stderr)
    return ExitCode.INPUT if failed else ExitCode.OK


def parse_file(
    setup: ParseSetup, output: str, jobs: int, out: BinaryIO, rejects: TextIO | None
) -> tuple[Tally, InputError | None]:
    """Parse one file to `out`; an input error ends the file, after the lines before it.
    With several jobs, worker processes parse, and write their output in turn."""
    tally = Tally()
    prepare = partial(_prepared, setup, output)
    out.flush()  # the workers write to the files themselves
    if rejects is not None:
        rejects.flush()
    write = partial(_write, out.fileno(), None if rejects is None else rejects.fileno())
    try:
        with (
            open_log(setup.source) as stream,
            parse_chunks(
                setup.source, read_blocks(stream, setup.source), prepare,
                workers=jobs if jobs > 1 else 0, ahead=AHEAD_PER_JOB * jobs, write=write,
            ) as results,
        ):  # fmt: skip
            for _, _, counts in results:
                tally.add(counts)
    except InputError as exc:
        return tally, exc
    return tally, None


def _write(out: int, rejects: int | None, parsed: Parsed) -> Parsed:
    """A chunk's output and rejects written (in input order); its counts are left."""
    encoded, rejected, tally = parsed
    write_all(out, encoded)
    if rejects is not None and rejected:
        write_all(rejects, "".join([f"{reject}\n" for reject in rejected]).encode())
    return b"", [], tally


def _prepared(setup: ParseSetup, output: str, head: bytes) -> ChunkParser[Parsed]:
    return chunk_parser(_resolve_format(setup, head), output)


def chunk_parser(setup: ParseSetup, output: str) -> ChunkParser[Parsed]:
    """Parses the chunks of one input into `output` (`outputs`), by the fast path."""
    lines = setup.parser()
    blocks = FastParser(lines, OUTPUTS[output](Source(setup.site.name)))

    def parse(chunk: bytes, line_no: int) -> Parsed:
        lines.line_no = line_no
        encoded = blocks.parse_block(chunk)
        return encoded.rows, encoded.rejects, encoded.tally

    return parse


def _resolve_format(setup: ParseSetup, first_block: bytes) -> ParseSetup:
    """With --format auto, the preset that reads the file's first lines (said on stderr)."""
    if setup.format_spec != AUTO:
        return setup
    fmt = resolve_format(AUTO, ZoneInfo(setup.site.timezone), first_block, setup.source)
    print(f"analyzer: {setup.source}: format {fmt.name} (detected)", file=sys.stderr)
    return ParseSetup(setup.source, fmt.name, setup.site, setup.key)
