"""`analyzer run` on the real server: exact counts, reruns, renamed rotations, missed nights."""

from __future__ import annotations

import fcntl
import gzip
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from analyzer.db.lock import ADVISORY_LOCK_KEY
from analyzer.db.migrate import migrate
from analyzer.errors import ExitCode
from analyzer.reader import BLOCK_SIZE
from analyzer.row import REQUEST_COLUMNS
from tests.db.ingest_support import (
    ANALYZER,
    configure,
    generate,
    ledger,
    rotated_valid_lines,
    rows_by_site,
    run,
)
from tests.support.databases import TestDatabase


@pytest.fixture(scope="module")
def loaded(analytics_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory):
    """Two sites, four days each (three rotated files, one live), loaded once."""
    generated = generate(
        tmp_path_factory.mktemp("logs"), "alpha:nginx,beta:secproxy", days=4, junk_rate=0.02
    )
    config = configure(generated.config, analytics_db.writer_url)
    first = run(config)
    assert first.returncode == ExitCode.OK, first.stderr
    return generated, config, first


def test_every_valid_line_of_the_rotated_files_becomes_one_row(loaded, analytics_db) -> None:
    generated, _, _ = loaded
    rows = rows_by_site(analytics_db.writer_url)

    for site in ("alpha", "beta"):
        requests, layer_rows, layer_sum = rows[site]
        assert requests == rotated_valid_lines(generated, site)
        assert layer_rows == layer_sum > 0  # one request_layers row per layer of a request


def test_monitoring_probes_are_requests_without_request_layers_rows(loaded, analytics_db) -> None:
    with psycopg.connect(analytics_db.writer_url) as conn:
        probes = conn.execute(
            "SELECT agent_name, sum(layer_count) FROM analytics.requests"
            " WHERE agent_class = 'probe' GROUP BY agent_name"
        ).fetchall()
        (layer_rows,) = conn.execute(
            "SELECT count(*) FROM analytics.request_layers WHERE agent_class = 'probe'"
        ).fetchone()
    # By user agent, and by the supervision address the generated config names.
    assert {name for name, _ in probes} == {"UptimeRobot", "kube-probe", "python-requests"}
    assert sum(layers for _, layers in probes) > 0 and layer_rows == 0


def test_the_ledger_holds_each_rotated_file_oldest_first(loaded, analytics_db) -> None:
    generated, _, _ = loaded
    files = ledger(analytics_db.writer_url)

    assert [(site, name) for site, name, *_ in files] == [
        (site, name)
        for site in ("alpha", "beta")
        for name in ("access.log.3.gz", "access.log.2.gz", "access.log.1")
    ]
    for site, name, lines, rejects, rows in files:
        valid = generated.valid[(generated.config.parent / site / name).resolve()]
        assert (rows, lines - rejects) == (valid, valid)


def test_rejects_are_written_with_file_line_number_and_reason(loaded) -> None:
    generated, _, _ = loaded
    rejects = sorted((generated.config.parent / "state" / "rejects" / "alpha").glob("*.rejects"))
    text = "".join(path.read_text() for path in rejects)

    assert len(rejects) == 3
    assert text.splitlines()
    for line in text.splitlines():
        assert line.startswith(str(generated.config.parent / "alpha" / "access.log."))
        file_and_line, reason = line.split(": ")[:2]
        assert file_and_line.rsplit(":", 1)[1].isdigit()
        assert re.fullmatch(r"[a-z][a-z ]*", reason.split(" (")[0])  # "no match", "binary"...


def test_the_run_summary_counts_lines_rejects_and_rows(loaded) -> None:
    _, _, first = loaded
    summary = first.stderr.strip().splitlines()[-1]

    assert "run: 6 files loaded, 0 failed, 0 already loaded" in summary
    assert " rejects, " in summary and " rows, " in summary


def test_a_second_run_changes_nothing(loaded, analytics_db) -> None:
    _, config, _ = loaded
    before = rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)

    again = run(config)

    assert again.returncode == ExitCode.OK, again.stderr
    assert "0 files loaded, 0 failed, 6 already loaded" in again.stderr
    assert (rows_by_site(analytics_db.writer_url), ledger(analytics_db.writer_url)) == before


def test_a_dry_run_lists_new_files_and_loads_nothing(analytics_db, tmp_path: Path) -> None:
    generated = generate(tmp_path, "dry:nginx", days=3)
    config = configure(generated.config, analytics_db.writer_url)

    listed = run(config, "--dry-run")

    assert listed.returncode == ExitCode.OK, listed.stderr
    assert [Path(line).name for line in listed.stdout.split()] == [
        "access.log.2.gz",
        "access.log.1",
    ]
    assert "dry" not in rows_by_site(analytics_db.writer_url)


def test_renamed_and_gzipped_rotation_and_missed_nights_load_exactly_once(
    analytics_db, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "gamma:haproxy", days=5)  # days 1..5, 5 is live
    config = configure(generated.config, analytics_db.writer_url)
    site_dir, today = tmp_path / "gamma", tmp_path / "gamma-today"
    site_dir.rename(today)
    # The same site two nights earlier: day 3 live, day 2 in .1, day 1 in .2.gz.
    site_dir.mkdir()
    (site_dir / "access.log").write_bytes(_gunzip(today / "access.log.2.gz"))
    (site_dir / "access.log.1").write_bytes(_gunzip(today / "access.log.3.gz"))
    shutil.copy(today / "access.log.4.gz", site_dir / "access.log.2.gz")
    assert run(config).returncode == ExitCode.OK

    # Two nights without a run: day 3 is now access.log.2.gz, day 2 access.log.3.gz...
    shutil.rmtree(site_dir)
    today.rename(site_dir)
    caught_up = run(config)

    assert caught_up.returncode == ExitCode.OK, caught_up.stderr
    assert "2 files loaded, 0 failed, 2 already loaded" in caught_up.stderr
    assert [name for site, name, *_ in ledger(analytics_db.writer_url) if site == "gamma"] == [
        "access.log.2.gz", "access.log.1", "access.log.2.gz", "access.log.1"
    ]  # fmt: skip
    assert rows_by_site(analytics_db.writer_url)["gamma"][0] == rotated_valid_lines(
        generated, "gamma"
    )


def _gunzip(path: Path) -> bytes:
    with gzip.open(path) as unzipped:
        return unzipped.read()


def test_the_live_file_is_read_only_when_configured(analytics_db, tmp_path: Path) -> None:
    generated = generate(tmp_path, "delta:apache", days=2)
    document = configure(generated.config, analytics_db.writer_url)
    text = document.read_text().replace("format: apache", "format: apache\n    include_live: true")
    document.write_text(text)

    assert run(document).returncode == ExitCode.OK

    expected = sum(n for path, n in generated.valid.items() if path.parent.name == "delta")
    assert rows_by_site(analytics_db.writer_url)["delta"][0] == expected


def test_an_unreachable_database_exits_5_saying_where(tmp_path: Path) -> None:
    generated = generate(tmp_path, "omega:nginx", days=2)
    url = "postgresql://analytics_writer:secret@127.0.0.1:9/analytics"
    config = configure(generated.config, url)

    failed = run(config)

    assert failed.returncode == ExitCode.DATABASE
    assert "cannot connect to analytics_writer@127.0.0.1:9/analytics" in failed.stderr
    assert "secret" not in failed.stderr


def test_a_run_exits_6_while_another_holds_the_database_lock(analytics_db, tmp_path) -> None:
    generated = generate(tmp_path, "busy:nginx", days=2)
    config = configure(generated.config, analytics_db.writer_url)

    with psycopg.connect(analytics_db.writer_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        busy = run(config)

    assert busy.returncode == ExitCode.BUSY
    assert "another run holds the database's ingest lock" in busy.stderr
    assert "busy" not in rows_by_site(analytics_db.writer_url)


def test_a_run_exits_6_while_another_holds_the_state_dir_lock(analytics_db, tmp_path) -> None:
    generated = generate(tmp_path, "busy2:nginx", days=2)
    config = configure(generated.config, analytics_db.writer_url)
    lock_file = tmp_path / "state" / "analyzer.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)

    with lock_file.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        busy = run(config)

    assert busy.returncode == ExitCode.BUSY
    assert f"{lock_file}: another run is in progress (pid 4242)" in busy.stderr


def test_a_wrong_config_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("sites: []\n")

    assert run(config).returncode == ExitCode.CONFIG


def test_a_log_naming_nothing_there_fails_the_run_loudly_and_the_others_load(
    analytics_db, tmp_path
) -> None:
    generated = generate(tmp_path, "good:nginx", days=2)
    document = yaml.safe_load(generated.config.read_text())
    typo = tmp_path / "good" / "acces.log"  # a typo of the admin's
    document["sites"].append({"name": "typo", "logs": [{"path": str(typo)}]})
    generated.config.write_text(yaml.safe_dump(document))
    config = configure(generated.config, analytics_db.writer_url)

    done = run(config)

    assert done.returncode == ExitCode.FAILURE
    assert (
        f" ERROR typo: {typo}: FAILED, nothing loaded: no acces.log and no rotated" in done.stderr
    )
    assert " WARNING run: 1 files loaded, 1 failed" in done.stderr
    assert rows_by_site(analytics_db.writer_url)["good"][0] == rotated_valid_lines(
        generated, "good"
    )


def test_a_file_read_with_the_wrong_format_fails_names_the_right_one_and_loads_once_fixed(
    analytics_db, tmp_path
) -> None:
    generated = generate(tmp_path, "proxy:secproxy", days=2)
    document = yaml.safe_load(generated.config.read_text())
    document["sites"][0]["logs"][0]["format"] = "apache"  # the admin's mistake
    generated.config.write_text(yaml.safe_dump(document))
    config = configure(generated.config, analytics_db.writer_url)

    wrong = run(config)

    assert wrong.returncode == ExitCode.FAILURE
    assert "more than max_reject_share (50%): not loaded" in wrong.stderr
    assert "first lines read as the secproxy preset, not apache: set `format`" in wrong.stderr
    assert [row for row in ledger(analytics_db.writer_url) if row[0] == "proxy"] == []
    fixed = yaml.safe_load(config.read_text())
    fixed["sites"][0]["logs"][0]["format"] = "secproxy"
    config.write_text(yaml.safe_dump(fixed))
    assert run(config).returncode == ExitCode.OK
    assert rows_by_site(analytics_db.writer_url)["proxy"][0] == rotated_valid_lines(
        generated, "proxy"
    )


def test_a_damaged_gzip_fails_alone_and_is_retried_next_run(analytics_db, tmp_path) -> None:
    generated = generate(tmp_path, "broken:nginx", days=3)
    config = configure(generated.config, analytics_db.writer_url)
    damaged = tmp_path / "broken" / "access.log.2.gz"
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[: len(whole) // 2])

    first = run(config)

    assert first.returncode == ExitCode.FAILURE
    assert (
        f"{damaged}: FAILED, nothing loaded: {damaged}: damaged or truncated gzip" in first.stderr
    )
    assert [name for site, name, *_ in ledger(analytics_db.writer_url) if site == "broken"] == [
        "access.log.1"
    ]
    damaged.write_bytes(whole)
    assert run(config).returncode == ExitCode.OK
    assert rows_by_site(analytics_db.writer_url)["broken"][0] == rotated_valid_lines(
        generated, "broken"
    )


def test_parsing_in_two_processes_stores_the_same_rows_as_in_one(analytics_db, tmp_path) -> None:
    big = tmp_path / "big.log"
    subprocess.run(
        [*ANALYZER, "generate", "--single", str(big), "--format", "nginx", "--lines", "20000",
         "--junk-rate", "0.01"],
        check=True, capture_output=True,
    )  # fmt: skip
    for site, jobs in (("serial", "1"), ("parallel", "2")):
        (tmp_path / site).mkdir()
        shutil.copy(big, tmp_path / site / "access.log.1")
        config = tmp_path / f"{site}.yaml"
        config.write_text(
            yaml.safe_dump({
                "database_url": analytics_db.writer_url, "state_dir": str(tmp_path / "state"),
                "sites": [{"name": site, "logs": [{"path": str(tmp_path / site / "access.log")}]}],
            })
        )  # fmt: skip
        assert run(config, "--jobs", jobs).returncode == ExitCode.OK

    assert big.stat().st_size > 4 * BLOCK_SIZE  # enough blocks for two processes
    assert _rows_without_site("serial", analytics_db) == _rows_without_site(
        "parallel", analytics_db
    )


def _rows_without_site(site: str, db: TestDatabase) -> list[tuple]:
    with psycopg.connect(db.writer_url) as conn:
        columns = ", ".join(c for c in REQUEST_COLUMNS if c not in ("site", "file_id"))
        requests = conn.execute(
            f"SELECT line_no, md5(ROW({columns})::text) FROM analytics.requests"
            " WHERE site = %s ORDER BY line_no",
            [site],
        ).fetchall()
        layers = conn.execute(
            "SELECT line_no, layer, status FROM analytics.request_layers WHERE site = %s"
            " ORDER BY line_no, layer",
            [site],
        ).fetchall()
    return requests + layers


def test_a_database_without_the_schema_exits_5_asking_for_migrate(empty_db, tmp_path) -> None:
    generated = generate(tmp_path, "early:nginx", days=2)
    config = configure(generated.config, empty_db.writer_url)

    failed = run(config)

    assert failed.returncode == ExitCode.DATABASE
    assert "run `analyzer db migrate` first" in failed.stderr


def test_a_schema_older_than_the_analyzer_exits_5_asking_for_migrate(empty_db, tmp_path) -> None:
    migrate(empty_db.owner_url, target="0007")  # the database computes each layer's workspace
    generated = generate(tmp_path, "early:nginx", days=2)
    config = configure(generated.config, empty_db.writer_url)

    failed = run(config)

    assert failed.returncode == ExitCode.DATABASE
    assert "schema is older than this analyzer" in failed.stderr
    assert "run `analyzer db migrate` first" in failed.stderr
    with psycopg.connect(empty_db.owner_url) as conn:
        assert conn.execute("SELECT count(*) FROM analytics.requests").fetchone() == (0,)


def test_site_option_limits_the_run_to_one_site_and_rejects_unknown_names(
    analytics_db, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "north:nginx,south:apache", days=2)
    config = configure(generated.config, analytics_db.writer_url)

    listed = run(config, "--site", "south", "--dry-run")
    unknown = run(config, "--site", "east")

    assert [Path(line).parent.name for line in listed.stdout.split()] == ["south"]
    assert unknown.returncode == ExitCode.CONFIG
    assert "no site named 'east' (sites: north, south)" in unknown.stderr


def test_files_last_written_before_the_raw_retention_are_not_loaded(
    analytics_db, tmp_path: Path
) -> None:
    generated = generate(tmp_path, "old:nginx", days=3)
    config = configure(generated.config, analytics_db.writer_url, retention={"raw": "1 month"})
    ancient = tmp_path / "old" / "access.log.2.gz"
    two_months_ago = time.time() - 60 * 86400
    os.utime(ancient, (two_months_ago, two_months_ago))

    loaded = run(config)

    assert loaded.returncode == ExitCode.OK, loaded.stderr
    assert f"{ancient}: last written before the raw retention's cutoff" in loaded.stderr
    assert "1 files loaded, 0 failed, 0 already loaded, 1 older than raw retention" in (
        loaded.stderr
    )
    assert [name for site, name, *_ in ledger(analytics_db.writer_url) if site == "old"] == [
        "access.log.1"
    ]


def test_each_load_summarizes_the_index_ranges_of_the_load_before(empty_db, tmp_path) -> None:
    """A scan reads every BRIN range not summarized yet (migration 0009): were a run to leave
    them to autovacuum, each file's rollups would read the rows of every file before it.
    After the run, only ranges holding rows of the last file, or no rows yet (COPY extends
    a table ahead of its rows), may still be unsummarized."""
    migrate(empty_db.owner_url)
    generated = generate(tmp_path, "alpha:nginx,beta:secproxy", days=4)
    # The row store, where the loads write (days this old would go to the columnstore).
    config = configure(generated.config, empty_db.writer_url, columnstore_after="never")
    assert run(config).returncode == ExitCode.OK

    range_of = "(ctid::text::point)[0]::int / 32"
    with psycopg.connect(empty_db.owner_url, autocommit=True) as conn:
        (last,) = conn.execute("SELECT max(id) FROM analytics.ingested_files").fetchone()
        indexes = conn.execute(
            "SELECT format('%I.%I', c.chunk_schema, c.chunk_name), i.indexrelid::regclass::text"
            " FROM timescaledb_information.chunks AS c"
            " JOIN pg_index AS i"
            "   ON i.indrelid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass"
            " WHERE c.hypertable_schema = 'analytics'"
        ).fetchall()
        earlier_only = 0
        for chunk, index in indexes:
            (with_rows, of_last, past_rows) = conn.execute(
                f"SELECT count(DISTINCT {range_of}),"
                f" count(DISTINCT {range_of}) FILTER (WHERE file_id = %s),"
                f" (pg_relation_size('{chunk}') / current_setting('block_size')::int - 1) / 32"
                f" - max({range_of}) FROM {chunk}",
                [last],
            ).fetchone()
            (unsummarized,) = conn.execute(
                "SELECT brin_summarize_new_values(%s::regclass)", [index]
            ).fetchone()
            assert unsummarized <= of_last + past_rows, chunk
            earlier_only += with_rows - of_last
    assert earlier_only > 0  # ranges of earlier files only, which a run must summarize
