"""`analyzer reload`: a file loaded wrong is loaded again, its earlier rows and their share of
every aggregate replaced, in one transaction; nothing is lost when the reload fails or is
killed."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psycopg
import yaml

from analyzer.errors import ExitCode
from tests.db.ingest_support import (
    ANALYZER,
    analyzer_sessions,
    bytes_being_copied,
    configure,
    generate,
    group_gone,
    ledger,
    rotated_valid_lines,
    rows_by_site,
    run,
    single_file_site,
    wait_until,
)
from tests.support.databases import TestDatabase

LINES = 100_000  # enough to be killed while copying


def reload(config: Path, site: str, *files: Path, wait: bool = True):
    command = [*ANALYZER, "reload", "--config", str(config), "--site", site, *map(str, files)]
    env = {k: v for k, v in os.environ.items() if k != "ANALYZER_DATABASE_URL"}
    if wait:
        return subprocess.run(command, capture_output=True, text=True, env=env)
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip


def _set_format(config: Path, fmt: str, **top: object) -> None:
    document = yaml.safe_load(config.read_text())
    document["sites"][0]["logs"][0]["format"] = fmt
    document.update(top)
    config.write_text(yaml.safe_dump(document))


def _daily_requests(url: str, site: str) -> list[tuple]:
    """Requests per day from the daily aggregate, and from the raw rows."""
    with psycopg.connect(url) as conn:
        aggregate = conn.execute(
            "SELECT bucket, sum(requests)::bigint FROM analytics.requests_daily"
            " WHERE site = %s GROUP BY 1 ORDER BY 1",
            [site],
        ).fetchall()
        raw = conn.execute(
            "SELECT time_bucket('1 day', ts, 'Europe/Paris'), count(*) FROM analytics.requests"
            " WHERE site = %s GROUP BY 1 ORDER BY 1",
            [site],
        ).fetchall()
    return [aggregate, raw]


def test_a_file_loaded_with_the_wrong_format_is_reloaded_rows_and_aggregates_replaced(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "proxy:secproxy", days=3)
    config = configure(generated.config, analytics_db.writer_url)
    # As before max_reject_share: the wrong format's rejects did not stop the load.
    _set_format(config, "apache", max_reject_share=1.0)
    assert run(config).returncode == ExitCode.OK
    wrong = ledger(analytics_db.writer_url)
    assert len(wrong) == 2 and all(rejects > 0 for *_, rejects, _ in wrong)
    rotated = sorted((tmp_path / "proxy").glob("access.log.*"))

    _set_format(config, "secproxy")
    done = reload(config, "proxy", *rotated)

    assert done.returncode == ExitCode.OK, done.stderr
    assert rows_by_site(analytics_db.writer_url)["proxy"][0] == rotated_valid_lines(
        generated, "proxy"
    )
    reloaded = ledger(analytics_db.writer_url)
    assert sorted(name for _, name, *_ in reloaded) == sorted(path.name for path in rotated)
    assert sum(rows for *_, rows in reloaded) == rotated_valid_lines(generated, "proxy")
    aggregate, raw = _daily_requests(analytics_db.writer_url, "proxy")
    assert aggregate == raw and sum(n for _, n in raw) == rotated_valid_lines(generated, "proxy")
    assert run(config).returncode == ExitCode.OK  # nothing left to load
    assert rows_by_site(analytics_db.writer_url)["proxy"][0] == rotated_valid_lines(
        generated, "proxy"
    )


def test_a_reload_that_fails_leaves_the_earlier_load_in_place(analytics_db, tmp_path) -> None:
    config = single_file_site(tmp_path, 5_000, analytics_db.writer_url)
    assert run(config).returncode == ExitCode.OK
    before = rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)
    _set_format(config, "traefik")  # wrong: most lines rejected

    done = reload(config, "big", tmp_path / "big" / "access.log.1")

    assert done.returncode == ExitCode.FAILURE
    assert "more than max_reject_share" in done.stderr
    assert (rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)) == before


def test_a_file_never_loaded_or_of_another_log_is_refused(analytics_db, tmp_path) -> None:
    config = single_file_site(tmp_path, 100, analytics_db.writer_url)
    stray = tmp_path / "elsewhere.log"
    stray.write_text("x\n")

    done = reload(config, "big", tmp_path / "big" / "access.log.1", stray)

    assert done.returncode == ExitCode.FAILURE
    assert "access.log.1: FAILED, nothing loaded: never loaded: `analyzer run` loads it" in (
        done.stderr
    )
    assert f"{stray}: FAILED, nothing loaded: not a rotated file of this site" in done.stderr


def test_a_reload_killed_mid_copy_keeps_the_earlier_load_and_reruns_exactly_once(
    analytics_db: TestDatabase, tmp_path: Path
) -> None:
    # The module's database holds other tests' "big" site too: compare with what was there.
    config = single_file_site(tmp_path, LINES, analytics_db.writer_url)
    assert run(config).returncode == ExitCode.OK
    loaded = rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)
    admin, name = analytics_db.admin_url, analytics_db.name
    rotated = tmp_path / "big" / "access.log.1"

    reloading = reload(config, "big", rotated, wait=False)
    wait_until(lambda: bytes_being_copied(admin, name) > 2_000_000, "rows being copied")
    reloading.send_signal(signal.SIGKILL)
    reloading.wait()
    wait_until(lambda: group_gone(reloading.pid), "the parser process to exit")
    wait_until(lambda: analyzer_sessions(admin, name) == 0, "the server to end the session")

    assert (rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)) == loaded
    again = reload(config, "big", rotated)
    assert again.returncode == ExitCode.OK, again.stderr
    assert rows_by_site(analytics_db.writer_url) == loaded[0]
    assert len(ledger(analytics_db.writer_url)) == len(loaded[1])
    aggregate, raw = _daily_requests(analytics_db.writer_url, "big")
    assert aggregate == raw
