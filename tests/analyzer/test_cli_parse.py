"""`analyzer parse` and `analyzer check-config` as users run them, in a subprocess."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
NGINX = (FIXTURES / "nginx.log").read_bytes()  # three valid lines


def analyzer(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args], input=stdin, capture_output=True, check=False
    )


def records(done: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def messy_log(tmp_path: Path) -> Path:
    """Valid nginx lines around an empty, a binary, a 100 kB and a malformed line."""
    bad = [b"", b"\x00\x01\x02binary\xff", b"x" * 100_000, b"this is not a log line"]
    valid = NGINX.splitlines()
    path = tmp_path / "access.log"
    path.write_bytes(b"\n".join([valid[0], *bad, *valid[1:]]) + b"\n")
    return path


def test_parse_writes_a_record_per_valid_line_and_counts_each_reject_by_reason(messy_log, tmp_path):
    rejects = tmp_path / "rejects.txt"
    done = analyzer("parse", str(messy_log), "--site", "rennes", "--rejects", str(rejects))
    assert done.returncode == 0, done.stderr
    assert [r["line_no"] for r in records(done)] == [1, 6, 7]
    assert {r["site"] for r in records(done)} == {"rennes"}
    summary = done.stderr.decode()
    assert "format nginx (detected)" in summary
    assert "3 records from 7 lines, 4 rejected" in summary
    for reason in ("empty 1", "binary 1", "too long 1", "no match 1"):
        assert reason in summary
    written = rejects.read_text(encoding="utf-8").splitlines()
    assert [line.split(": ")[:2] for line in written] == [
        [f"{messy_log}:2", "empty"],
        [f"{messy_log}:3", "binary"],
        [f"{messy_log}:4", "too long (100000 characters or more)"],
        [f"{messy_log}:5", "no match"],
    ]
    assert "\\x00\\x01\\x02binary" in written[1]


def test_records_follow_the_output_contract(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(NGINX)
    first = records(analyzer("parse", str(path), "--site", "s", "--format", "nginx"))[0]
    assert first["ts"] == "2025-12-10T05:39:15+01:00"
    assert first["client_ip"] == "203.0.113.0"  # anonymized by default
    assert (first["path"], first["query"]) == (
        "/geoserver/ows",
        "service=WMS&request=GetMap&layers=ws%3Aroads",
    )
    assert (first["app"], first["ogc"]["service"], first["ogc"]["layers"]) == (
        "geoserver",
        "WMS",
        ["ws:roads"],
    )
    assert (first["agent_class"], first["agent_name"]) == ("browser", "Safari")


def test_two_jobs_give_the_same_output_and_line_numbers_as_one(tmp_path):
    lines = NGINX.splitlines()
    body = b"".join(
        lines[n % 3] + b"\n" + (b"junk\n" if n % 997 == 0 else b"") for n in range(12_000)
    )
    path = tmp_path / "big.log"
    path.write_bytes(body)  # several parallel chunks
    one = analyzer("parse", str(path), "--site", "s", "--rejects", str(tmp_path / "r1"))
    two = analyzer(
        "parse", str(path), "--site", "s", "--jobs", "2", "--rejects", str(tmp_path / "r2")
    )
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    assert len(one.stdout.splitlines()) == 12_000
    assert (tmp_path / "r1").read_text() == (tmp_path / "r2").read_text()
    assert one.stderr.splitlines()[-1] == two.stderr.splitlines()[-1]
    # Stdin is read once, by the parent, for a pool of workers: the same output again.
    piped = analyzer("parse", "-", "--site", "s", "--jobs", "2", stdin=body)
    assert piped.returncode == 0 and piped.stdout == one.stdout


def test_a_parser_process_killed_midway_ends_the_file_with_an_error(tmp_path):
    """kill -9 of a worker: the others stop instead of waiting for its turn forever, and
    the command says so and fails."""
    path = tmp_path / "access.log"
    path.write_bytes(NGINX * 100_000)
    command = [sys.executable, "-m", "analyzer", "parse", str(path), "--site", "s", "--jobs", "2"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as parse:
        assert parse.stdout is not None
        parse.stdout.readline()  # the workers are writing
        workers = Path(f"/proc/{parse.pid}/task/{parse.pid}/children").read_text().split()
        assert len(workers) == 2
        os.kill(int(workers[0]), signal.SIGKILL)
        out, err = parse.communicate(timeout=120)
    assert parse.returncode == 4
    assert len(out.splitlines()) < 300_000 - 1
    message = err.decode().splitlines()[-1]
    assert message.startswith(f"analyzer: error: {path}: parse 1 ended unexpectedly (exit code -9)")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_truncated_gzip_gives_its_lines_then_an_error_naming_it(tmp_path, jobs):
    packed = gzip.compress(NGINX * 5_000)
    path = tmp_path / "access.log.2.gz"
    path.write_bytes(packed[: len(packed) // 2])
    done = analyzer("parse", str(path), "--site", "s", "--jobs", jobs)
    assert done.returncode == 4
    error = done.stderr.decode().splitlines()[-1]
    read = len(done.stdout.splitlines())
    assert 0 < read < 15_000
    assert error.startswith(f"analyzer: error: {path}: damaged or truncated gzip data after {read}")


def test_stdin_may_be_gzip_and_is_named_dash(tmp_path):
    done = analyzer("parse", "-", "--site", "s", stdin=gzip.compress(NGINX))
    assert done.returncode == 0
    assert len(records(done)) == 3
    assert "-: 3 records from 3 lines" in done.stderr.decode()


def test_several_files_are_summarised_each_and_in_total(tmp_path, messy_log):
    other = tmp_path / "other.log"
    other.write_bytes(NGINX)
    done = analyzer("parse", str(messy_log), str(other), "--site", "s", "--format", "nginx")
    summary = done.stderr.decode()
    assert f"{other}: 3 records from 3 lines, 0 rejected" in summary
    assert "total: 6 records from 10 lines, 4 rejected" in summary


def test_csv_output_has_a_header_and_flattened_ogc_columns(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(NGINX)
    done = analyzer("parse", str(path), "--site", "s", "--output", "csv", "--ip-mode", "drop")
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    assert len(rows) == 3
    assert (rows[0]["client_ip"], rows[0]["ogc_service"], rows[0]["ogc_layers"]) == (
        "",
        "WMS",
        "ws:roads",
    )
    assert rows[1]["user"] == "jérôme.dupont"


def test_user_mode_drop_and_ip_mode_keep(tmp_path):
    path = tmp_path / "access.log"
    path.write_bytes(NGINX)
    second = records(
        analyzer("parse", str(path), "--site", "s", "--ip-mode", "keep", "--user-mode", "drop")
    )[1]
    assert (second["client_ip"], second["user"]) == ("2001:db8:85a3::8a2e:370:7334", None)


def test_haproxy_times_take_the_timezone_option(tmp_path):
    done = analyzer(
        "parse", str(FIXTURES / "haproxy.log"), "--site", "s", "--timezone", "America/Cayenne"
    )
    assert records(done)[0]["ts"] == "2024-11-26T13:45:12.345000-03:00"


def test_a_file_no_preset_reads_is_an_input_error(tmp_path):
    done = analyzer("parse", str(FIXTURES / "nginx-custom.log"), "--site", "s")
    assert done.returncode == 4
    assert "no preset format" in done.stderr.decode()


def test_a_bad_format_string_is_a_config_error():
    done = analyzer("parse", str(FIXTURES / "nginx.log"), "--site", "s", "--format", "nginks")
    assert done.returncode == 3
    assert "unknown log format 'nginks'" in done.stderr.decode()


def test_check_config_accepts_a_good_file_and_exits_3_on_a_bad_one(tmp_path):
    (tmp_path / "a.log.1").write_text("")
    good = tmp_path / "good.yaml"
    good.write_text(
        f"sites: [{{name: rennes, logs: [{{path: {tmp_path}/a.log, format: nginx}}]}}]\n"
    )
    done = analyzer("check-config", str(good))
    assert done.returncode == 0
    assert f"{good}: OK" in done.stdout.decode()
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [{name: rennes, privacy: {ip: hide}, logs: [{path: /a}]}]\n")
    done = analyzer("check-config", str(bad))
    assert done.returncode == 3
    assert f"{bad}: sites[0].privacy.ip: 'hide' is not allowed" in done.stderr.decode()


def test_check_config_refuses_a_log_that_names_nothing_there(tmp_path):
    (tmp_path / "logs").mkdir()
    config = tmp_path / "analyzer.yaml"
    logs = [{"path": str(tmp_path / "logs" / "acces.log")}, {"path": f"{tmp_path}/nowhere/a.log"}]
    config.write_text(json.dumps({"sites": [{"name": "rennes", "logs": logs}]}))
    done = analyzer("check-config", str(config))
    assert done.returncode == 3
    error = done.stderr.decode()
    assert f"{tmp_path}/logs/acces.log: no acces.log and no rotated acces.log.1" in error
    assert f"{tmp_path}/nowhere/a.log: no folder {tmp_path}/nowhere" in error


def test_crlf_line_endings_and_latin1_bytes_do_not_lose_lines(tmp_path):
    latin1 = NGINX.splitlines()[2].replace(b'"-" "-"', b'"-" "Navigateur \xe9trange"')
    path = tmp_path / "access.log"
    path.write_bytes(b"\r\n".join([*NGINX.splitlines()[:2], latin1]) + b"\r\n")
    done = analyzer("parse", str(path), "--site", "s", "--format", "nginx")
    assert "3 records from 3 lines, 0 rejected" in done.stderr.decode()
    assert records(done)[2]["user_agent"] == "Navigateur \\xe9trange"  # kept, escaped


def test_parse_leaves_the_database_driver_unloaded(tmp_path):
    """psycopg weighs 25 MB in every parsing process; `analyzer parse` never needs it."""
    path = tmp_path / "access.log"
    path.write_bytes(NGINX)
    probe = (
        "import os, sys; from analyzer import cli; sys.stdout = open(os.devnull, 'w'); "
        f"cli.main(['parse', {str(path)!r}, '--site', 's', '--jobs', '2']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'psycopg', 'jinja2'}), "
        "file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    assert done.stderr.decode().splitlines()[-1] == "[]"
