"""docker-compose.yml and .env.example: valid, secure by default, documented.

No Docker engine runs here: these checks read the files the way compose does.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docker.distribution import (
    COMPOSE,
    DOCKER_DOC,
    DOCKERFILES,
    ENV_EXAMPLE,
    OVERRIDE_EXAMPLE,
    SECRET_NAME,
    MissingVariable,
    compose,
    compose_variables,
    dockerfile_env,
    dockerfile_instructions,
    env_example,
    interpolate,
    placeholder_env,
)
from tests.support.stack import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("path", [COMPOSE, OVERRIDE_EXAMPLE], ids=lambda p: p.name)
def test_compose_files_follow_the_compose_specification(path: Path) -> None:
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_secret_is_required_and_has_no_default() -> None:
    secrets = {name: ops for name, ops in compose_variables().items() if SECRET_NAME.search(name)}
    assert "POSTGRES_PASSWORD" in secrets and "SUPERSET_SECRET_KEY" in secrets
    for name, ops in secrets.items():
        assert set(ops) == {":?"}, f"{name} must be ${{{name}:?message}} everywhere, got {ops}"


@pytest.mark.parametrize(
    "name", [n for n in env_example() if SECRET_NAME.search(n)], ids=lambda n: n
)
def test_compose_refuses_to_start_without_each_secret(name: str) -> None:
    env = placeholder_env()
    compose(env)  # complete: no error
    env[name] = ""
    with pytest.raises(MissingVariable, match=name):
        compose(env)


def test_env_example_holds_no_secret_value() -> None:
    for name, entry in env_example().items():
        if SECRET_NAME.search(name):
            assert entry.value == "", f".env.example gives {name} a value"


def test_env_example_documents_every_compose_variable_on_its_line() -> None:
    documented = env_example()
    assert set(compose_variables()) == set(documented)
    for entry in documented.values():
        assert len(entry.comment) > 20, f".env.example: {entry.name} has no comment above it"


def test_docker_guide_mentions_every_env_variable() -> None:
    guide = DOCKER_DOC.read_text(encoding="utf-8")
    missing = [name for name in env_example() if name not in guide]
    assert not missing, f"docs/docker.md does not mention {missing}"


def test_docker_guide_names_the_database_image_compose_runs() -> None:
    image = compose()["services"]["timescaledb"]["image"]
    assert f"`{image}`" in DOCKER_DOC.read_text(encoding="utf-8")


def test_no_service_is_published_on_the_host() -> None:
    for name, service in compose()["services"].items():
        assert "ports" not in service, f"{name} publishes ports"
        assert service.get("network_mode") != "host", name


def test_override_example_publishes_on_the_loopback_only() -> None:
    override = interpolate(OVERRIDE_EXAMPLE.read_text(encoding="utf-8"), {})
    ports = re.findall(r'^\s*- "([^"]+:\d+)"$', override, re.MULTILINE)
    assert ports, "the override example shows how to publish a port"
    assert all(port.startswith("127.0.0.1:") for port in ports), ports


def test_services_wait_for_healthy_or_completed_dependencies() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            condition = rule["condition"]
            assert condition in ("service_healthy", "service_completed_successfully"), name
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            else:
                assert services[dependency]["restart"] == "no", f"{dependency} is not one-shot"


def test_long_running_services_have_healthchecks_or_nothing_waits_on_them() -> None:
    services = compose()["services"]
    waited_on = {d for s in services.values() for d in s.get("depends_on", {})}
    for name in ("timescaledb", "superset"):
        assert "healthcheck" in services[name]
    assert "analyzer" not in waited_on


def test_database_lives_in_a_named_volume() -> None:
    document = compose()
    volumes = document["services"]["timescaledb"]["volumes"]
    data = [v for v in volumes if isinstance(v, str) and v.endswith(":/var/lib/postgresql/data")]
    assert data == ["timescaledb-data:/var/lib/postgresql/data"]
    assert "timescaledb-data" in document["volumes"]


def test_timescaledb_image_is_the_timescale_edition_pinned_exactly() -> None:
    image = compose()["services"]["timescaledb"]["image"]
    assert re.fullmatch(r"timescale/timescaledb:2\.\d+\.\d+-pg17", image), image


def test_the_stack_tests_the_timescaledb_version_the_image_carries() -> None:
    image = compose()["services"]["timescaledb"]["image"]
    script = (REPO / "scripts" / "stack" / "timescaledb.sh").read_text()
    built = re.search(r"^TIMESCALEDB_VERSION=(\S+)$", script, re.MULTILINE)
    assert built and image == f"timescale/timescaledb:{built.group(1)}-pg17"


def test_init_scripts_are_mounted_file_by_file() -> None:
    volumes = compose()["services"]["timescaledb"]["volumes"]
    targets = [v.split(":")[1] for v in volumes if isinstance(v, str)]
    assert "/docker-entrypoint-initdb.d" not in targets
    init = [t for t in targets if t.startswith("/docker-entrypoint-initdb.d/")]
    assert init and all(t.endswith(".sh") for t in init), init


def test_analyzer_runs_the_schedule_with_its_config_and_reads_logs_read_only() -> None:
    service = compose(placeholder_env())["services"]["analyzer"]
    command = service["command"]
    assert command[:2] == ["analyzer", "schedule"]
    config = command[command.index("--config") + 1]
    mounts = {m["target"]: m for m in service["volumes"] if isinstance(m, dict)}
    # The folder, not the file: a replaced file (an editor, git pull) is seen at the next run.
    assert str(Path(config).parent) in mounts and config not in mounts
    assert mounts[str(Path(config).parent)]["read_only"] is True
    assert mounts["/var/log/georchestra"]["read_only"] is True
    assert all(m["bind"]["create_host_path"] is False for m in mounts.values())


def test_only_the_migration_holds_the_schema_owner_password() -> None:
    services = compose()["services"]
    holders = [n for n, s in services.items() if "ANALYTICS_OWNER_PASSWORD" in yaml.safe_dump(s)]
    assert sorted(holders) == ["migrate", "timescaledb"]


def test_superset_gets_the_variables_the_native_stack_gives_its_scripts() -> None:
    stack = (REPO / "scripts" / "stack" / "superset.sh").read_text(encoding="utf-8")
    export = stack[stack.index("superset_export()") :].split("\n}\n")[0]
    # Exported names (`NAME=value` or `NAME`), not the variables their values are made of.
    names = set(re.findall(r"(?<![$\w])((?:SUPERSET|ANALYTICS)_[A-Z_]+)(?==|\s|$)", export))
    assert "SUPERSET_METADATA_DB_URL" in names
    given = set(compose()["services"]["superset"]["environment"])
    given |= set(dockerfile_env(DOCKERFILES["superset"]))
    assert names - given == set()


def test_each_image_is_built_by_one_service_and_never_pulled() -> None:
    """Two services building one tag race in a parallel build ("image already exists",
    docker/buildx#3576); a tag in a registry namespace would be pulled instead of built."""
    services = compose()["services"]
    ours = {s["image"] for s in services.values() if "build" in s}
    assert len(ours) == 2
    for image in ours:
        builders = [n for n, s in services.items() if s["image"] == image and "build" in s]
        users = [n for n, s in services.items() if s["image"] == image and "build" not in s]
        assert len(builders) == 1, f"{image} is built by {builders}"
        assert services[builders[0]]["pull_policy"] == "build", builders[0]
        assert users and all(services[n]["pull_policy"] == "never" for n in users), users
        assert image.endswith(":local"), f"{image}: a tag that says it is built here"


def test_every_service_rotates_its_log() -> None:
    for name, service in compose()["services"].items():
        options = service.get("logging", {}).get("options", {})
        assert service.get("logging", {}).get("driver") == "json-file", name
        assert options.get("max-size") and options.get("max-file"), name


def test_database_gets_time_to_stop_cleanly_and_bounded_resources() -> None:
    env = placeholder_env()
    database = compose(env)["services"]["timescaledb"]
    assert database["stop_grace_period"] == "2m"
    assert database["mem_limit"] == env["ANALYTICS_DB_MEMORY"]
    assert database["environment"]["TS_TUNE_MEMORY"] == env["ANALYTICS_DB_MEMORY"]
    assert database["cpus"] == env["ANALYTICS_DB_CPUS"]
    assert database["environment"]["TS_TUNE_NUM_CPUS"] == env["ANALYTICS_DB_CPUS"]
    assert database["shm_size"] == env["ANALYTICS_DB_SHM_SIZE"]
    # Sizing never falls back to the whole host: every value has a default.
    for name in ("ANALYTICS_DB_MEMORY", "ANALYTICS_DB_CPUS", "ANALYTICS_DB_SHM_SIZE"):
        assert env_example()[name].value, f".env.example gives {name} a value"
        assert compose_variables()[name] and set(compose_variables()[name]) == {":-"}, name


def test_the_one_shot_init_has_no_healthcheck_of_the_web_server() -> None:
    assert compose()["services"]["superset-init"]["healthcheck"] == {"disable": True}


def test_images_declare_no_volume_that_one_shot_runs_would_leave_behind() -> None:
    for dockerfile in DOCKERFILES.values():
        keywords = {i.keyword for i in dockerfile_instructions(dockerfile)}
        assert "VOLUME" not in keywords, dockerfile


def test_the_buckets_zone_is_set_once_and_reaches_every_service_that_uses_it() -> None:
    env = placeholder_env() | {"ANALYTICS_TIMEZONE": "America/Montreal"}
    services = compose(env)["services"]
    assert "America/Montreal" in services["migrate"]["command"]
    assert services["analyzer"]["environment"]["ANALYTICS_TIMEZONE"] == "America/Montreal"
    assert services["superset"]["environment"]["ANALYTICS_TIMEZONE"] == "America/Montreal"
    example = (REPO / "analyzer" / "docker" / "analyzer.example.yaml").read_text()
    assert not re.search(r"^timezone:", example, re.MULTILINE), "set in .env only"


def test_compose_header_says_what_to_prepare_and_which_compose_it_needs() -> None:
    header = compose_text_header()
    for needed in ("ANALYTICS_LOG_ROOT", "config/analyzer.yaml", "v2.24", "override"):
        assert needed in header, needed


def compose_text_header() -> str:
    text = COMPOSE.read_text(encoding="utf-8")
    return text[: text.index("\nname:")]


def test_override_example_leaves_5432_to_the_hosts_own_postgresql() -> None:
    override = OVERRIDE_EXAMPLE.read_text(encoding="utf-8")
    assert "127.0.0.1:5432:" not in override


def test_install_guide_snippet_fills_every_secret_with_a_distinct_value(tmp_path: Path) -> None:
    guide = DOCKER_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", guide, re.DOTALL)
    snippet = next(block for block in blocks if "cp .env.example .env" in block)
    (tmp_path / ".env.example").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"))
    subprocess.run(["bash", "-euc", snippet], cwd=tmp_path, check=True)
    written = dict(
        line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if "=" in line
    )
    secrets = {name: value for name, value in written.items() if SECRET_NAME.search(name)}
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in secrets.values()), secrets
    assert len(set(secrets.values())) == len(secrets)
    with pytest.raises(MissingVariable, match="ANALYTICS_LOG_ROOT"):  # the one left to the admin
        compose(written)
    assert compose(written | {"ANALYTICS_LOG_ROOT": "/srv/logs"})
