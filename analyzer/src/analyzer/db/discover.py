"""Which log files a run should read, and how each file is recognised later.

logrotate (with or without ``delaycompress``) leaves ``access.log`` (live), ``access.log.1``,
``access.log.2.gz``, ``access.log.3.gz``... The number grows with age, so oldest first
means the highest number first. A file is identified by its content, never by its name:
``access.log.1`` gzipped into ``access.log.2.gz`` the next night keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import InputError
from analyzer.reader import open_log
from analyzer.settings import LogSource

FINGERPRINT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to consider for loading, with its content fingerprint."""

    path: Path
    source: LogSource  # the configured log it rotates from
    fingerprint: str


def rotated_files(source: LogSource) -> list[Path]:
    """The rotated siblings of ``source.path``, oldest first; the live file last if asked.

    Both logrotate namings: ``access.log.3.gz`` (a higher number is older) and, with
    ``dateext``, ``access.log-20261126.gz`` (``-%Y%m%d``, a later date is newer).
    """
    live = source.path
    pattern = re.compile(re.escape(live.name) + r"(?:\.(\d+)|-(\d{8}))(?:\.gz)?")
    ages: list[tuple[tuple[int, int], Path]] = []
    if live.parent.is_dir():
        for entry in live.parent.iterdir():
            match = pattern.fullmatch(entry.name)
            if match and entry.is_file():
                number, date = match.groups()
                # Sort key: dated files by date, then numbered ones by decreasing number.
                age = (0, int(date)) if date else (1, -int(number))
                ages.append((age, entry))
    files = [path for _, path in sorted(ages)]
    if source.include_live and live.is_file():
        files.append(live)
    return files


def candidate_of(sources: tuple[LogSource, ...], path: Path) -> Candidate | None:
    """``path`` as a candidate of the configured log it belongs to (one of its rotated
    files, or the live one), or None when it belongs to none of ``sources``."""
    wanted = path.resolve()
    for source in sources:
        siblings = [*rotated_files(source), source.path]
        if any(sibling.resolve() == wanted for sibling in siblings):
            digest = fingerprint(path)
            return Candidate(path, source, digest) if digest else None
    return None


def source_problem(source: LogSource) -> str | None:
    """Why ``source`` names nothing the analyzer can read, or None. A configured log that
    is not there is a mistake (a typo, a missing mount), never an empty night."""
    folder = source.path.parent
    if not folder.is_dir():
        return f"no folder {folder}: check `path` (and, in a container, the mount)"
    if not source.path.exists() and not rotated_files(source):
        name = source.path.name
        return f"no {name} and no rotated {name}.1, {name}.2.gz... in {folder}: check `path`"
    return None


def fingerprint(path: Path) -> str | None:
    """sha256 of the first 64 KiB of decompressed content, or None for an empty file.

    Leading NUL bytes are skipped: after ``copytruncate`` a writer that did not open its
    log with O_APPEND keeps writing at its old offset, leaving a hole of zeros at the
    start of every later file, which would otherwise give all of them the same head.
    """
    try:
        with open_log(path) as stream:
            head = _head_after_nuls(stream)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read the start of the file: {exc}") from exc
    return hashlib.sha256(head).hexdigest() if head else None


def _head_after_nuls(stream: BinaryIO) -> bytes:
    head = b""
    while len(head) < FINGERPRINT_BYTES:
        chunk = stream.read(FINGERPRINT_BYTES)
        if not chunk:
            break
        head += chunk if head else chunk.lstrip(b"\0")
    return head[:FINGERPRINT_BYTES]


def candidates(source: LogSource) -> list[Candidate]:
    """Every non-empty file of ``source`` with its fingerprint, oldest first."""
    found = []
    for path in rotated_files(source):
        digest = fingerprint(path)
        if digest is not None:
            found.append(Candidate(path=path, source=source, fingerprint=digest))
    return found


def content_size(path: Path) -> int:
    """Decompressed size for progress: gzip's trailer holds it modulo 4 GiB."""
    with path.open("rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            return path.stat().st_size
        raw.seek(-4, 2)
        return int.from_bytes(raw.read(4), "little")
