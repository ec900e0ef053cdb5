"""Prepared log folders for the doctor's tests: generated, then bent one way each."""

from __future__ import annotations

import contextlib
import os
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from analyzer import config, doctor
from analyzer.formats import LineRejected, build_format
from analyzer.generator import data
from analyzer.generator.layout import SiteSpec, generate_tree

TODAY = date(2026, 11, 24)
SITE = "site"


def prepare(
    out: Path,
    fmt: str = "nginx",
    *,
    end: date = TODAY,
    days: int = 3,
    zone: str = "UTC",
    junk_rate: float = 0.0,
) -> Path:
    """Logs of one site rotated as recommended, written as a server would; the config path."""
    generate_tree(
        out, [SiteSpec(SITE, fmt, zone)], days=days, end_date=end, requests_per_day=600,
        seed=5, junk_rate=junk_rate, workers=1,
    )  # fmt: skip
    settle_mtimes(out / SITE, data.FORMATS[fmt], zone)
    return out / "config.yaml"


def settle_mtimes(folder: Path, preset: str, zone: str) -> None:
    """Plain files last written at their last request's time, as a server leaves them."""
    fmt = build_format(preset, ZoneInfo(zone))
    for path in folder.iterdir():
        if path.suffix == ".gz":
            continue
        for line in reversed(path.read_text(errors="replace").splitlines()):
            with contextlib.suppress(LineRejected):  # junk lines have no time
                stamp = fmt.parse(line).ts.timestamp()
                os.utime(path, (stamp, stamp))
                break


def set_site(config_path: Path, **keys: object) -> None:
    """Change keys of the (only) site, or of its log with ``log_`` keys."""
    document = yaml.safe_load(config_path.read_text())
    site = document["sites"][0]
    for key, value in keys.items():
        if key.startswith("log_"):
            site["logs"][0][key.removeprefix("log_")] = value
        else:
            site[key] = value
    config_path.write_text(yaml.safe_dump(document))


def examine(
    config_path: Path, account: doctor.Account | None = None, today: date = TODAY
) -> list[doctor.Finding]:
    return doctor.examine(
        config.load(config_path),
        account=account or doctor.Account.current(),
        config=str(config_path),
        today=today,
    )


def problems(findings: list[doctor.Finding]) -> list[tuple[str, str, str]]:
    """(severity, file name, problem) of each finding, for compact assertions."""
    return [(f.severity, Path(f.subject).name, f.problem) for f in findings]
