"""Checks on a log's files: rotated the recommended way, and readable by the analyzer."""

from __future__ import annotations

from pathlib import Path

from analyzer.doctor.access import Account, describe_mode
from analyzer.doctor.findings import Finding, Severity
from analyzer.settings import LogSource

RULES = "logpolicy/logrotate/<server>.conf"


def check_layout(site: str, source: LogSource, rotated: list[Path]) -> list[Finding]:
    """A rotated file exists and the newest one, yesterday's, is left uncompressed."""
    if not source.path.parent.is_dir():
        return [
            Finding(
                site,
                str(source.path),
                f"its folder {source.path.parent} does not exist: the nightly job finds nothing",
                "correct the log's `path` in the configuration, or mount the logs there",
            )
        ]
    if not rotated:
        return [
            Finding(
                site,
                str(source.path),
                "no rotated file beside it: the nightly job reads rotated files only "
                "(access.log.1, access.log.2.gz, ...), so it loads nothing from this log",
                f"rotate it daily with logrotate, yesterday's file left uncompressed: {RULES}",
            )
        ]
    newest = rotated[-1]
    if newest.suffix != ".gz":
        return []
    return [
        Finding(
            site,
            str(newest),
            "yesterday's file is already compressed: logrotate compresses at rotation, "
            "possibly before the server has stopped writing to the file",
            "add `delaycompress` to the logrotate rule: yesterday's file then stays plain "
            f"(access.log.1) and is compressed the night after ({RULES})",
            Severity.WARNING,
        )
    ]


def check_access(site: str, account: Account, files: list[Path]) -> list[Finding]:
    """Every file the nightly job would read is readable by the account that runs it."""
    return [
        Finding(
            site,
            str(path),
            f"not readable by {account.name}, the account that runs the nightly job "
            f"(file {describe_mode(path)}, folder {describe_mode(path.parent)}): "
            "the nightly job fails on it",
            f"let {account.name} read the logs: add it to the file's group (adm on Debian) "
            "and keep `create 0640 <owner> adm` in the logrotate rule",
        )
        for path in files
        if not account.can_read(path)
    ]
