"""Compile a format description (nginx ``log_format``, Apache ``LogFormat``) into a regex.

A description is a list of literal text and `Field` items. A field either has its own
pattern (a status is three digits) or matches anything up to the next literal character;
a field between double quotes matches a quoted string with backslash escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.formats.regex import QUOTED


@dataclass(frozen=True, slots=True)
class Field:
    group: str | None  # a `RegexFormat` group name; None when the value is not used
    pattern: str | None = None  # None: anything up to the next literal character


Part = str | Field


def _generic(before: str | None, after: str | None) -> str:
    """What a field without its own pattern matches, from the literals around it."""
    before = before or ""
    if before.endswith('"') and after is not None and after.startswith('"'):
        return QUOTED
    if after:
        return f"[^{re.escape(after[0])}]*"
    return ".*" if after is None else r"\S*?"


def compile_parts(parts: list[Part]) -> str:
    """The regex source for `parts`; a group used twice is captured the first time only."""
    merged = _merge_literals(parts)
    pieces: list[str] = []
    used: set[str] = set()
    for index, part in enumerate(merged):
        if isinstance(part, str):
            pieces.append(re.escape(part))
            continue
        body = part.pattern or _generic(_literal(merged, index - 1), _literal(merged, index + 1))
        if part.group and part.group not in used:
            used.add(part.group)
            pieces.append(f"(?P<{part.group}>{body})")
        else:
            pieces.append(f"(?:{body})")
    return "".join(pieces) + "$"


def _literal(parts: list[Part], index: int) -> str | None:
    """The literal at `index`: "" when a field is there, None past the end."""
    if index < 0:
        return ""
    if index >= len(parts):
        return None
    part = parts[index]
    return part if isinstance(part, str) else ""


def _merge_literals(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged
