"""Where generated logs go: logrotate's layout per site, or one big file for benchmarks.

With ``delaycompress`` logrotate leaves ``access.log`` (today, live), ``access.log.1``
(yesterday, plain) and ``access.log.2.gz``, ``access.log.3.gz``, ... (older days); each
file here holds exactly one local day of its site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import yaml

from analyzer.config import Node, settings_from
from analyzer.generator import data, geoip
from analyzer.generator.clock import day_volume
from analyzer.generator.writer import (
    FileReport,
    SliceWriter,
    Source,
    day_slices,
    default_workers,
    open_output,
)

LOG_NAME = "access.log"


@dataclass(frozen=True, slots=True)
class SiteSpec:
    name: str
    format: str  # key of data.FORMATS
    timezone: str = data.DEFAULT_TIMEZONE


def rotated_path(live: Path, age: int) -> Path:
    """The file holding the day ``age`` days before the live file's day."""
    if age == 0:
        return live
    suffix = f".{age}" if age == 1 else f".{age}.gz"
    return live.with_name(live.name + suffix)


def generate_tree(
    out: Path,
    sites: Sequence[SiteSpec],
    *,
    days: int,
    end_date: date,
    requests_per_day: int,
    seed: int,
    junk_rate: float = 0.0,
    workers: int = 1,
) -> list[FileReport]:
    """Write ``days`` rotated files per site ending with ``end_date``, a GeoIP database
    placing their clients (when mmdb-writer is installed) and a config.yaml."""
    document = config_document(out, sites)
    config_path = out / "config.yaml"
    settings_from(Node(document, str(config_path)))  # refuse what `analyzer run` would
    files = []
    for site in sites:
        source = Source(site.name, site.format, site.timezone, seed, junk_rate, requests_per_day)
        volumes = Random(f"{seed}:{site.name}:volume")
        for age in range(days):
            day = end_date - timedelta(days=age)
            report = FileReport(rotated_path(out / site.name / LOG_NAME, age))
            count = day_volume(volumes, day, requests_per_day)
            files.append((report, day_slices(source, day, count, 1)))
    with SliceWriter(workers) as writer:
        writer.write_files(files)
    if geoip.available():
        located = geoip.write_mmdb(out / geoip.DEMO_DATABASE, geoip.generated_networks())
        document = config_document(out, sites, located)
    write_config(config_path, document)
    return [report for report, _ in files]


def config_document(
    out: Path, sites: Sequence[SiteSpec], geoip_database: Path | None = None
) -> dict[str, Any]:
    """An analyzer configuration reading the generated sites' logs."""
    root = out.resolve()
    located = {"geoip_database": str(geoip_database.resolve())} if geoip_database else {}
    return {
        "timezone": data.DEFAULT_TIMEZONE,
        "state_dir": str(root / "state"),
        **located,
        "sites": [
            {
                "name": site.name,
                "timezone": site.timezone,
                # The supervision host's checks name no monitor (data.PROBES).
                "probes": {"addresses": [data.SUPERVISION_ADDRESS]},
                "logs": [
                    {"path": str(root / site.name / LOG_NAME), "format": data.FORMATS[site.format]}
                ],
            }
            for site in sites
        ],
    }


def write_config(path: Path, document: dict[str, Any]) -> None:
    header = "# Written by `analyzer generate` for the logs beside this file.\n"
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def generate_single(
    path: Path,
    fmt: str,
    *,
    lines: int,
    days: int,
    end_date: date,
    seed: int,
    junk_rate: float = 0.0,
    workers: int | None = None,
    site: str = "demo",
    timezone: str = data.DEFAULT_TIMEZONE,
) -> FileReport:
    """One file of ``lines`` requests spread evenly over ``days`` days (benchmarks)."""
    share, extra = divmod(lines, days)
    source = Source(site, fmt, timezone, seed, junk_rate, share)
    report = FileReport(path)
    first = 1
    # Day by day, so that memory holds one day's timestamps whatever the file's size.
    with SliceWriter(workers or default_workers()) as writer, open_output(path) as stream:
        for age in range(days - 1, -1, -1):
            count = share + (1 if age < extra else 0)
            if count:
                day = end_date - timedelta(days=age)
                writer.write(stream, day_slices(source, day, count, first), report)
                first += count
    return report
