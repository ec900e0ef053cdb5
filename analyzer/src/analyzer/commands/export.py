"""`analyzer export`: what the analytics database knows, for other tools.

`analyzer export popularity` writes how much each catalogue record was used over a period
(views, downloads, exports, requests on its layers), as JSON a catalogue such as
geonetwork-ui can read, or CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from analyzer import config
from analyzer.commands import add_config_and_site
from analyzer.db import connect, popularity
from analyzer.db.popularity import RecordUse
from analyzer.errors import AnalyzerError, ExitCode, UsageError

DEFAULT_DAYS = 30
CSV_COLUMNS = ("site", "uuid", "title", "views", "downloads", "exports", "layer_requests")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export what the database knows, for other tools",
        description="Export figures of the analytics database for other tools.",
    )
    commands = parser.add_subparsers(dest="export_command", metavar="EXPORT", required=True)
    popular = commands.add_parser(
        "popularity",
        help="views, downloads and layer requests of each catalogue record",
        description="Write, per site and catalogue record, its title, views, downloads, "
        "exports and the requests on the layers it publishes, over [--since, --until), from "
        "the daily and monthly aggregates.",
    )
    add_config_and_site(popular)
    popular.add_argument(
        "--since",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help=f"first day counted (default: {DEFAULT_DAYS} days before --until)",
    )
    popular.add_argument(
        "--until",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="day after the last one counted (default: today, in the buckets' time zone)",
    )
    popular.add_argument("--format", choices=("json", "csv"), default="json")
    popular.add_argument(
        "--output", type=Path, metavar="FILE", help="write FILE atomically (default: stdout)"
    )
    popular.set_defaults(handler=handle_popularity)


def handle_popularity(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    config.chosen_sites(settings, args.site, args.config)  # an unknown name fails here
    with connect.connect(settings.database_url) as conn:
        tz = popularity.bucket_timezone(conn)
        until = args.until or datetime.now(ZoneInfo(tz)).date()
        since = args.since or until - timedelta(days=DEFAULT_DAYS)
        if since >= until:
            raise UsageError(f"--since {since} must come before --until {until}")
        found = popularity.records(conn, since, until, tz, args.site)
    period = {"since": since.isoformat(), "until": until.isoformat(), "timezone": tz}
    text = (_json if args.format == "json" else _csv)(period, found)
    _write(text, args.output)
    return ExitCode.OK


def _json(period: dict[str, str], found: list[RecordUse]) -> str:
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "period": period,
        "records": [asdict(record) for record in found],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _csv(period: dict[str, str], found: list[RecordUse]) -> str:
    """One row per record; ``layers`` names its layers, separated by spaces."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, "layers"))
    for record in found:
        row = [getattr(record, column) for column in CSV_COLUMNS]
        writer.writerow((*row, " ".join(layer.layer for layer in record.layers)))
    return out.getvalue()


def _write(text: str, output: Path | None) -> None:
    """To stdout, or to ``output`` through a temporary file renamed over it: a reader (the
    catalogue's web server) sees the previous export or this one, never half of one."""
    if output is None:
        print(text, end="")
        return
    temporary: Path | None = None
    try:
        mode = output.stat().st_mode & 0o777 if output.exists() else 0o644
        descriptor, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        temporary = Path(name)
        with open(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        temporary.chmod(mode)
        temporary.replace(output)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise AnalyzerError(f"{output}: cannot write: {exc.strerror or exc}") from exc
