"""A log file parsed into COPY-ready batches, in worker processes.

The loading process only forwards bytes to PostgreSQL, so parsing (the expensive part)
runs on the other cores (`workers`):

    with parse_batches(job, size) as batches:
        for batch in batches:  # in file order
            ...

The loader reads the file (plain or gzip) and deals its chunks to the workers, which
parse each into a `Batch`; a thread takes the batches ahead, in file order, so that the
workers go on while the loader waits on the server. A damaged file or a failed worker
raises InputError, so the file's transaction rolls back; if the loader dies (kill -9),
the workers' pipes close and they exit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from analyzer.db.discover import Candidate
from analyzer.fastpath import FastParser
from analyzer.formats import AUTO, LogFormat, resolve_format
from analyzer.interpret import SiteContext
from analyzer.outputs import CopyOutput
from analyzer.parsing import LineParser, Tally
from analyzer.privacy import key_from_env
from analyzer.reader import open_log, read_blocks
from analyzer.row import Source
from analyzer.settings import SiteConfig
from analyzer.workers import CHUNK_SIZE, ChunkParser, parse_chunks

log = logging.getLogger(__name__)
READ_AHEAD = 64  # batches (about 128 KiB of log lines each) taken ahead of the loader


@dataclass(frozen=True, slots=True)
class ParseJob:
    site: SiteConfig
    candidate: Candidate
    file_id: int
    workers: int = 1  # parsing processes; fewer for a small file


@dataclass(slots=True)
class Batch:
    """One chunk of lines, parsed and encoded."""

    requests: bytes  # COPY text rows for analytics.requests
    layers: bytes  # COPY text rows for analytics.request_layers
    rejects: str  # rejects-file lines ("access.log.1:12: no match: ...")
    tally: Tally
    first_ts: datetime | None
    last_ts: datetime | None
    size: int  # bytes of decompressed input


def worker_count(job: ParseJob, size: int) -> int:
    """Up to ``job.workers``, but at least two chunks for each."""
    return max(1, min(job.workers, size // (2 * CHUNK_SIZE)))


@contextmanager
def parse_batches(job: ParseJob, size: int) -> Iterator[Iterator[Batch]]:
    """The batches of the file of ``job`` (``size`` bytes decompressed), in file order."""
    path = str(job.candidate.path)
    with (
        open_log(path) as stream,
        parse_chunks(
            path,
            read_blocks(stream, path),
            partial(_batch_parser, job),
            worker_count(job, size),
            ahead=READ_AHEAD,
        ) as batches,
    ):
        yield batches


def _batch_parser(job: ParseJob, head: bytes) -> ChunkParser[Batch]:
    blocks = block_parser(job, _log_format(job, head))

    def parse(chunk: bytes, line_no: int) -> Batch:
        blocks.lines.line_no = line_no
        encoded = blocks.parse_block(chunk)
        return Batch(
            encoded.rows,
            encoded.layers,
            "".join([f"{reject}\n" for reject in encoded.rejects]),
            encoded.tally,
            encoded.first_ts,
            encoded.last_ts,
            len(chunk),
        )

    return parse


def block_parser(job: ParseJob, fmt: LogFormat) -> FastParser:
    """Parses the blocks of the file of ``job`` into COPY rows."""
    context = SiteContext.for_site(job.site, key_from_env(os.environ))
    lines = LineParser(fmt, context, str(job.candidate.path))
    return FastParser(lines, CopyOutput(Source(job.site.name, job.file_id)))


def _log_format(job: ParseJob, head: bytes) -> LogFormat:
    spec, zone = job.candidate.source.format, ZoneInfo(job.site.timezone)
    fmt = resolve_format(spec, zone, head, str(job.candidate.path))
    if spec == AUTO:
        log.info("%s: format detected: %s", job.candidate.path, fmt.name)
    return fmt
