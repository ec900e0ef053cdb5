"""Generated sites, configurations and `analyzer run` as a subprocess, for ingest tests.

The generator's own summary (``<file>: N lines (J junk)``) is the oracle: every line but
the junk ones must end up as exactly one row.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml

ANALYZER = [sys.executable, "-m", "analyzer"]
WAIT = 120.0  # seconds: a safety net against hanging, not a measurement
_SUMMARY = re.compile(r"^(?P<path>\S+): (?P<lines>\d+) lines(?: \((?P<junk>\d+) junk\))?$", re.M)


@dataclass(frozen=True)
class Generated:
    config: Path
    valid: dict[Path, int]  # generated file -> lines that are not junk


def generate(out: Path, sites: str, *, days: int, end: str = "2026-11-26", per_day: int = 800,
             junk_rate: float = 0.01, seed: int = 11) -> Generated:  # fmt: skip
    """``analyzer generate`` into ``out``: logrotate's layout per site and a config.yaml."""
    done = subprocess.run(
        [*ANALYZER, "generate", "--out", str(out), "--sites", sites, "--days", str(days),
         "--end-date", end, "--requests-per-day", str(per_day), "--seed", str(seed),
         "--junk-rate", str(junk_rate), "--workers", "1"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    valid = {
        Path(m["path"]).resolve(): int(m["lines"]) - int(m["junk"] or 0)
        for m in _SUMMARY.finditer(done.stdout + done.stderr)
    }
    assert valid, f"no summary from analyzer generate:\n{done.stdout}\n{done.stderr}"
    return Generated(out / "config.yaml", valid)


def configure(config: Path, database_url: str, **changes: object) -> Path:
    """Point a generated config at a database, with its state next to it."""
    document = yaml.safe_load(config.read_text())
    document.update(database_url=database_url, state_dir=str(config.parent / "state"))
    document.update(changes)
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    return config


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``analyzer run --config CONFIG ARGS`` to completion."""
    return subprocess.run(
        [*ANALYZER, "run", "--config", str(config), *args],
        capture_output=True, text=True, timeout=600, env=_env(),
    )  # fmt: skip


def start_run(config: Path, *args: str) -> subprocess.Popen[str]:
    """``analyzer run`` in the background, in its own process group."""
    return subprocess.Popen(
        [*ANALYZER, "run", "--config", str(config), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        start_new_session=True,
    )  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ANALYZER_DATABASE_URL", None)  # the config file says which database
    return env


def rotated_valid_lines(generated: Generated, site: str) -> int:
    """Valid lines of a site's rotated files (the live access.log is not read)."""
    return sum(
        n for path, n in generated.valid.items()
        if path.parent.name == site and path.name != "access.log"
    )  # fmt: skip


def rows_by_site(url: str) -> dict[str, tuple[int, int, int]]:
    """site -> (requests rows, request_layers rows, sum of layer_count), monitoring probes
    left out of the sum: they have no request_layers rows."""
    with psycopg.connect(url) as conn:
        requests = dict(
            conn.execute(
                "SELECT site, (count(*), coalesce(sum(layer_count)"
                " FILTER (WHERE agent_class <> 'probe'), 0)) FROM analytics.requests GROUP BY site"
            ).fetchall()
        )
        layers = dict(
            conn.execute("SELECT site, count(*) FROM analytics.request_layers GROUP BY site")
        )
    return {
        site: (int(count), int(layers.get(site, 0)), int(layer_sum))
        for site, (count, layer_sum) in requests.items()
    }


def ledger(url: str) -> list[tuple[str, str, int, int, int]]:
    """(site, file name, lines, rejects, rows) of every loaded file, in load order."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT site, path, lines, rejects, rows FROM analytics.ingested_files ORDER BY id"
        ).fetchall()
    return [(site, Path(path).name, lines, rejects, n) for site, path, lines, rejects, n in rows]


def single_file_site(root: Path, lines: int, database_url: str) -> Path:
    """Site "big" under ``root``: yesterday's file of ``lines`` nginx lines (no junk), and
    a config loading it; returns the config."""
    site_dir = root / "big"
    site_dir.mkdir(parents=True)
    subprocess.run(
        [*ANALYZER, "generate", "--single", str(site_dir / "access.log.1"), "--format",
         "nginx", "--lines", str(lines), "--seed", "3"],
        check=True, capture_output=True,
    )  # fmt: skip
    source = {"path": str(site_dir / "access.log"), "format": "nginx"}
    document = {
        "database_url": database_url,
        "state_dir": str(root / "state"),
        "schedule": "30 2 * * *",
        "sites": [{"name": "big", "logs": [source]}],
    }
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(document))
    return config


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def bytes_being_copied(admin_url: str, dbname: str) -> int:
    """Bytes the COPY in progress on ``dbname`` has received (0 when none runs)."""
    # TimescaleDB's COPY into a hypertable leaves tuples_processed at 0; bytes move.
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT max(bytes_processed) FROM pg_stat_progress_copy WHERE datname = %s",
            [dbname],
        ).fetchone()
    return int(row[0] or 0) if row else 0


def analyzer_sessions(admin_url: str, dbname: str) -> int:
    """Server sessions the analyzer holds on ``dbname``."""
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'analyzer'",
            [dbname],
        ).fetchone()
    return int(row[0]) if row else 0


def group_gone(pgid: int) -> bool:
    """Whether every process of the process group ``pgid`` has exited."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False
