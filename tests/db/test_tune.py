"""`analyzer db tune`: settings derived from memory and cores, accepted by the real server."""

from __future__ import annotations

import psycopg
import pytest

from analyzer import cli
from analyzer.db import tune
from analyzer.errors import ExitCode
from tests.support.stack import require

GB, MB = tune.GB, tune.MB


def test_a_4gb_2_core_server_gets_timescaledb_tune_memory_split():
    settings = tune.recommend(tune.Host(memory=4 * GB, cpus=2, max_connections=100))
    assert settings["shared_buffers"] == "1GB"  # a quarter
    assert settings["effective_cache_size"] == "3GB"  # three quarters
    assert settings["maintenance_work_mem"] == "512MB"  # 128MB per GB
    assert settings["work_mem"] == "5MB"  # 4 x 128MB / 100 connections / 1
    assert settings["max_worker_processes"] == "13"  # 3 built-in + 8 TimescaleDB + 2 cores
    assert settings["max_parallel_workers"] == "2"
    assert settings["max_parallel_workers_per_gather"] == "1"


def test_a_large_server_caps_maintenance_work_mem_and_raises_locks():
    settings = tune.recommend(tune.Host(memory=64 * GB, cpus=16))
    assert settings["maintenance_work_mem"] == "2047MB"
    assert settings["max_locks_per_transaction"] == "512"
    assert settings["max_parallel_workers_per_gather"] == "8"


def test_a_single_core_server_runs_no_parallel_workers_per_gather():
    settings = tune.recommend(tune.Host(memory=2 * GB, cpus=1))
    assert settings["max_parallel_workers_per_gather"] == "0"


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4 * GB), ("512MB", 512 * MB), ("8g", 8 * GB), ("1.5GiB", int(1.5 * GB))],
)
def test_memory_sizes_are_read_as_admins_write_them(text, size):
    assert tune.parse_size(text) == size


def test_every_tuned_setting_is_a_valid_value_for_the_real_server():
    fragment = tune.render(tune.Host(memory=6 * GB, cpus=2))
    settings = dict(
        line.split(" = ", 1) for line in fragment.splitlines() if not line.startswith("#")
    )
    with psycopg.connect(require("ANALYTICS_ADMIN_URL")) as conn:
        for name, value in settings.items():
            row = conn.execute(
                "SELECT unit, min_val::numeric, max_val::numeric FROM pg_settings WHERE name = %s",
                [name],
            ).fetchone()
            assert row is not None, f"{name} is not a PostgreSQL setting"
            unit, low, high = row
            number = _in_unit(conn, value, unit)
            assert low <= number <= high, f"{name} = {value} outside [{low}, {high}] {unit}"


def _in_unit(conn: psycopg.Connection, value: str, unit: str | None) -> float:
    if unit in ("kB", "8kB", "MB"):
        # pg_size_bytes wants a number before the unit: "8kB" works, "kB" does not.
        return conn.execute(
            "SELECT pg_size_bytes(%s)::numeric / pg_size_bytes(%s)",
            [value, unit if unit[0].isdigit() else f"1{unit}"],
        ).fetchone()[0]
    return float(value)


def test_tune_command_prints_a_fragment_for_the_given_host(capsys):
    assert cli.main(["db", "tune", "--memory", "8GB", "--cpus", "4"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("# analyzer db tune --memory 8GB --cpus 4")
    assert "\nshared_buffers = 2GB\n" in out
    assert "\ntimescaledb.max_background_workers = 8\n" in out


def test_tune_command_refuses_an_unreadable_memory_size(capsys):
    assert cli.main(["db", "tune", "--memory", "lots"]) == ExitCode.USAGE
    assert "'lots' is not a size" in capsys.readouterr().err
