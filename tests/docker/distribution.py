"""The Docker distribution read as data: the compose file, .env.example and the Dockerfiles.

No Docker engine runs here, so the tests read what the containers would run and where each
container path comes from in the repository, then check it statically or run it natively.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support.stack import REPO

COMPOSE = REPO / "docker-compose.yml"
OVERRIDE_EXAMPLE = REPO / "docker-compose.override.example.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKER_DOC = REPO / "docs" / "docker.md"
# Our images: the compose services built from the repository, and their Dockerfiles.
DOCKERFILES = {
    "analyzer": REPO / "analyzer" / "Dockerfile",
    "superset": REPO / "superset" / "Dockerfile",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """A ${NAME:?message} whose variable is unset or empty: compose refuses to start."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one string (the forms docker-compose.yml uses)."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op and op.endswith("?") and empty:
            raise MissingVariable(f"{name}: {arg}")
        if op and op.endswith("-") and empty:
            return arg
        return value or ""

    return VARIABLE.sub(replace, text)


def interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


@cache
def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file with anchors merged; interpolated when `env` is given."""
    document = yaml.safe_load(compose_text())
    return document if env is None else interpolate_tree(document, env)


def compose_variables() -> dict[str, list[str | None]]:
    """Every variable the compose file names, with the operators it is used with."""
    found: dict[str, list[str | None]] = {}
    for match in VARIABLE.finditer(compose_text()):
        found.setdefault(match["name"], []).append(match["op"])
    return found


@dataclass(frozen=True)
class EnvEntry:
    name: str
    value: str
    comment: str  # the comment lines right above it


def env_example() -> dict[str, EnvEntry]:
    entries: dict[str, EnvEntry] = {}
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment.append(line.lstrip("# "))
        elif "=" in line:
            name, _, value = line.partition("=")
            entries[name] = EnvEntry(name, value, " ".join(comment).strip())
            comment = []
        else:
            comment = []
    return entries


def placeholder_env() -> dict[str, str]:
    """.env.example with a placeholder in every empty entry: enough to interpolate."""
    return {name: entry.value or f"test-{name.lower()}" for name, entry in env_example().items()}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def dockerfile_instructions(path: Path) -> list[Instruction]:
    """Instructions with their continuation lines joined; comments dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        start = start or number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        keyword, _, arguments = (pending + raw).strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending, start = "", 0
    return instructions


def dockerfile_env(path: Path) -> dict[str, str]:
    """The ENV of the final stage (`ENV NAME=value ...` form)."""
    env: dict[str, str] = {}
    for instruction in dockerfile_instructions(path):
        if instruction.keyword == "FROM":
            env = {}
        elif instruction.keyword == "ENV":
            for word in shlex.split(instruction.arguments):
                name, _, value = word.partition("=")
                env[name] = value
    return env


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]  # relative to the build context
    target: str
    from_stage: str | None


def dockerfile_copies(path: Path) -> list[Copy]:
    copies = []
    for instruction in dockerfile_instructions(path):
        if instruction.keyword != "COPY":
            continue
        words = shlex.split(instruction.arguments)
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
        paths = [w for w in words if not w.startswith("--")]
        copies.append(Copy(tuple(paths[:-1]), paths[-1], flags.get("from")))
    return copies


def builders(image: str) -> list[str]:
    """The services that build ``image`` (exactly one, in a sound compose file)."""
    services = compose()["services"]
    return [name for name, s in services.items() if s.get("image") == image and "build" in s]


def built(service: str) -> bool:
    """Whether the service runs one of our images, built from the repository."""
    return bool(builders(compose()["services"][service].get("image", "")))


def _build(service: str) -> dict[str, Any]:
    (builder,) = builders(compose()["services"][service]["image"])
    return compose()["services"][builder]["build"]


def build_context(service: str) -> Path:
    return (REPO / _build(service)["context"]).resolve()


def dockerfile_of(service: str) -> Path:
    return build_context(service) / _build(service).get("dockerfile", "Dockerfile")


def image_paths(service: str) -> dict[str, Path]:
    """Container path -> repository path, for what the service's Dockerfile copies in.

    A folder copied under the same name also maps its parent (`COPY timescaledb/migrations/
    /usr/share/x/timescaledb/migrations/` maps /usr/share/x/timescaledb to timescaledb/).
    """
    context = build_context(service)
    mapping: dict[str, Path] = {}
    for copy in dockerfile_copies(dockerfile_of(service)):
        for source in copy.sources if copy.from_stage is None else ():
            target = copy.target
            if target.endswith("/") and not source.endswith("/"):
                target += Path(source).name
            target, host = target.rstrip("/"), context / source.rstrip("/")
            mapping[target] = host
            if Path(target).name == host.name:
                mapping.setdefault(str(Path(target).parent), host.parent)
    return mapping


def container_command(service: str) -> list[str]:
    """What the service's container runs: the image's ENTRYPOINT, then the compose command."""
    entrypoint: list[str] = []
    for instruction in dockerfile_instructions(dockerfile_of(service)):
        if instruction.keyword == "FROM":
            entrypoint = []
        elif instruction.keyword == "ENTRYPOINT":
            entrypoint = json.loads(instruction.arguments)
    paths = image_paths(service)
    # A bare program name is found on PATH: the images install theirs in /usr/local/bin.
    entrypoint = [
        f"/usr/local/bin/{word}" if f"/usr/local/bin/{word}" in paths else word
        for word in entrypoint
    ]
    return entrypoint + list(compose(placeholder_env())["services"][service]["command"])


def bind_mounts(service: str, env: dict[str, str]) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts, as compose resolves them."""
    mapping = {}
    for volume in compose(env)["services"][service].get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        if source.startswith(("/", ".")):
            mapping[target] = (REPO / source).resolve()
    return mapping


def to_host(word: str, mapping: dict[str, Path]) -> str:
    """A container path rewritten through `mapping` (longest prefix first); else unchanged."""
    for container in sorted(mapping, key=len, reverse=True):
        if word == container or word.startswith(container + "/"):
            return str(mapping[container]) + word[len(container) :]
    return word
