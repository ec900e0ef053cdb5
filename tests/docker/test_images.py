"""The Dockerfiles and what the containers run: linted, pinned, and made only of pieces of
the repository that the native tests run (tests/docker/test_entrypoints.py runs each
container command natively).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from analyzer.cli import build_parser
from tests.docker import test_entrypoints
from tests.docker.distribution import (
    DOCKERFILES,
    bind_mounts,
    built,
    compose,
    container_command,
    dockerfile_copies,
    dockerfile_instructions,
    dockerfile_of,
    image_paths,
    placeholder_env,
    to_host,
)
from tests.docker.native import USER_MOUNTS
from tests.support.stack import REPO

BIN = Path(sys.executable).parent
SCRIPTS = [
    REPO / "analyzer" / "docker" / "entrypoint.sh",
    REPO / "timescaledb" / "init" / "10-bootstrap.sh",
    REPO / "timescaledb" / "init" / "20-config.sh",
    REPO / "timescaledb" / "docker" / "entrypoint.sh",
]
CONSTRAINTS = REPO / "analyzer" / "constraints.txt"


def tracked(path: Path) -> bool:
    """In git (a file, or a folder with files): what a fresh clone and an image build see."""
    relative = path.resolve().relative_to(REPO)
    listed = subprocess.run(
        ["git", "ls-files", "--", str(relative)], cwd=REPO, capture_output=True, text=True
    )
    return bool(listed.stdout.strip())


def built_services() -> list[str]:
    """The services that run one of our images (built by one of them, used by the others)."""
    return [name for name in compose()["services"] if built(name)]


def test_every_dockerfile_of_the_repository_is_checked() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "*Dockerfile"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    assert sorted(listed) == sorted(str(p.relative_to(REPO)) for p in DOCKERFILES.values())
    assert {dockerfile_of(name) for name in built_services()} == set(DOCKERFILES.values())


@pytest.mark.parametrize("dockerfile", DOCKERFILES.values(), ids=lambda p: p.parent.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    result = subprocess.run([BIN / "hadolint", dockerfile], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_container_script_passes_shellcheck_and_is_executable(script: Path) -> None:
    result = subprocess.run([BIN / "shellcheck", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    mode = subprocess.run(
        ["git", "ls-files", "--stage", "--", str(script.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    assert mode.startswith("100755"), f"{script} is not committed as executable: {mode!r}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES.values(), ids=lambda p: p.parent.name)
def test_base_images_are_an_exact_release_or_the_maintained_python_line_tested(
    dockerfile: Path,
) -> None:
    instructions = dockerfile_instructions(dockerfile)
    bases = [i.arguments.split()[0] for i in instructions if i.keyword == "FROM"]
    assert bases
    tested = f"{sys.version_info.major}.{sys.version_info.minor}"
    for base in bases:
        name, _, tag = base.partition(":")
        if name == "python":
            # The line's tags are rebuilt with each release; a patch tag stops being rebuilt.
            assert tag.split("-")[0] == tested, f"{base}: the tests run Python {tested}"
        else:
            assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{base} is not an exact release"


def test_the_analyzer_image_installs_the_exact_versions_the_tests_run() -> None:
    dockerfile = DOCKERFILES["analyzer"].read_text(encoding="utf-8")
    assert "--constraint /src/analyzer/constraints.txt" in dockerfile
    pinned = [
        line.split("==")
        for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert pinned
    assert {name: metadata.version(name) for name, _ in pinned} == dict(pinned)


def test_constraints_cover_every_runtime_dependency_of_the_analyzer() -> None:
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    needed = _runtime_closure("georchestra-analyzer")
    assert needed - pinned == set(), "add them to analyzer/constraints.txt"


def _runtime_closure(name: str) -> set[str]:
    """The distributions ``name`` needs at run time, extras it asks for included."""
    found: set[str] = set()
    todo = [Requirement(req) for req in metadata.requires(name) or []]
    todo = [r for r in todo if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        requirement = todo.pop()
        key = requirement.name.lower().replace("_", "-")
        if key in found:
            continue
        found.add(key)
        for sub in metadata.requires(requirement.name) or []:
            child = Requirement(sub)
            extras = ("", *requirement.extras)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                todo.append(child)
    return found


@pytest.mark.parametrize("service", ["migrate", "analyzer", "superset-init", "superset"])
def test_paths_copied_into_the_image_are_in_the_repository(service: str) -> None:
    for container, host in image_paths(service).items():
        assert tracked(host), f"{dockerfile_of(service)} copies {host}, not in git ({container})"


def test_paths_mounted_by_compose_are_in_the_repository() -> None:
    env = placeholder_env()
    for name in compose(env)["services"]:
        for container, host in bind_mounts(name, env).items():
            if container in USER_MOUNTS:
                continue  # the admin's own config and logs, not shipped
            assert tracked(host), f"{name} mounts {host} at {container}: not in git"


def test_analyzer_build_context_sends_what_the_dockerfile_copies() -> None:
    ignore = (REPO / "analyzer" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    allowed = [line[1:].rstrip("/") for line in ignore.splitlines() if line.startswith("!")]
    for copy in dockerfile_copies(DOCKERFILES["analyzer"]):
        for source in copy.sources if copy.from_stage is None else ():
            source = source.rstrip("/")
            # Sent when it lies in an allowed path, or holds one (a folder partly sent).
            assert any(source.startswith(a) or a.startswith(f"{source}/") for a in allowed), source


def test_every_container_command_is_run_natively_by_the_tests() -> None:
    services = set(built_services())
    assert services == set(test_entrypoints.SERVICES_RUN_NATIVELY)
    mounts = compose(placeholder_env())["services"]["timescaledb"]["volumes"]
    init = {v.split(":")[0] for v in mounts if "/docker-entrypoint-initdb.d/" in v}
    assert init == {f"./{p.relative_to(REPO)}" for p in test_entrypoints.INIT_SCRIPTS}


@pytest.mark.parametrize("service", ["migrate", "analyzer", "superset-init", "superset"])
def test_container_command_resolves_to_a_repository_script_or_analyzer_command(
    service: str,
) -> None:
    words = container_command(service)
    program = Path(to_host(words[0], image_paths(service)))
    if words[0] == "analyzer":
        build_parser().parse_args(words[1:])  # exits on an unknown command or option
    else:
        assert program.is_file() and program.stat().st_mode & 0o111, f"{service}: {words[0]}"
        assert tracked(program)


def test_images_run_their_process_as_an_unprivileged_user() -> None:
    for dockerfile in DOCKERFILES.values():
        users = [i.arguments for i in dockerfile_instructions(dockerfile) if i.keyword == "USER"]
        assert users and users[-1] not in ("root", "0", "0:0"), dockerfile
    analyzer_user = [
        i.arguments for i in dockerfile_instructions(DOCKERFILES["analyzer"]) if i.keyword == "USER"
    ][-1]
    assert int(analyzer_user.split(":")[0]) >= 1000


def test_analyzer_image_default_command_is_the_compose_one() -> None:
    cmd = [i for i in dockerfile_instructions(DOCKERFILES["analyzer"]) if i.keyword == "CMD"]
    assert json.loads(cmd[-1].arguments) == compose()["services"]["analyzer"]["command"]


def test_superset_driver_is_the_version_the_native_stack_installs() -> None:
    run = " ".join(
        i.arguments for i in dockerfile_instructions(DOCKERFILES["superset"]) if i.keyword == "RUN"
    )
    pinned = next(word for word in run.split() if word.startswith("psycopg2-binary=="))
    version = pinned.partition("==")[2]
    requirements = (REPO / "superset" / "requirements.txt").read_text(encoding="utf-8")
    spec = next(
        Requirement(line)
        for line in requirements.splitlines()
        if line.startswith("psycopg2-binary")
    )
    assert spec.specifier.contains(version), f"{pinned} is outside {spec}"
    superset = next(
        line for line in requirements.splitlines() if line.startswith("apache-superset")
    )
    base = next(
        i.arguments for i in dockerfile_instructions(DOCKERFILES["superset"]) if i.keyword == "FROM"
    )
    assert base == f"apache/superset:{superset.partition('==')[2]}"


def native_sources() -> str:
    """The native stack's scripts and the tests outside tests/docker, as one text."""
    files = [*(REPO / "scripts" / "stack").glob("*.sh"), REPO / "stack"]
    files += [p for p in (REPO / "tests").rglob("*.py") if "docker" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.mark.parametrize("service", ["migrate", "analyzer", "superset-init", "superset"])
def test_container_command_is_also_run_by_the_native_stack_or_tests(service: str) -> None:
    words = [w for w in container_command(service) if not w.endswith("-entrypoint")]
    if words[0] == "analyzer":
        # Invoked as a Python argument list ("db", "migrate") or in shell (analyzer db migrate).
        as_list = ", ".join(f'"{word}"' for word in words[1:3])
        as_shell = 'analyzer"? ' + re.escape(" ".join(words[1:3]))
        found = as_list in native_sources() or re.search(as_shell, native_sources())
        assert found, f"nothing native runs analyzer {' '.join(words[1:3])}"
    else:
        script = Path(to_host(words[0], image_paths(service))).relative_to(REPO)
        assert str(script) in native_sources(), f"nothing native runs {script}"
