"""Where the local stack's services are: `.local/stack.env`, written by `./stack up`."""

from __future__ import annotations

import os
import shlex
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STACK_ENV = REPO / ".local" / "stack.env"


@cache
def stack_env() -> dict[str, str]:
    """The stack's settings; the process environment wins over the file."""
    values: dict[str, str] = {}
    if STACK_ENV.exists():
        for line in STACK_ENV.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, raw = line.partition("=")
                values[key] = shlex.split(raw)[0] if raw else ""
    for key in list(values):
        values[key] = os.environ.get(key, values[key])
    return values


def require(key: str) -> str:
    value = stack_env().get(key)
    if not value:
        raise RuntimeError(f"{key} is not set: start the local stack first with ./stack up")
    return value
