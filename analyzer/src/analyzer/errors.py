"""Exit codes and the error type that carries them; the CLI turns errors into exits."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # the run did something but not everything (a file failed)
    USAGE = 2  # bad arguments
    CONFIG = 3  # configuration file missing or invalid
    INPUT = 4  # unreadable or unparseable input
    DATABASE = 5  # database unreachable or refusing
    BUSY = 6  # another run holds the lock
    INTERRUPTED = 130  # Ctrl-C or SIGINT: 128 + the signal, as shells report it


class AnalyzerError(Exception):
    """An error with context for the user (``access.log.1:4521: ...``) and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(AnalyzerError):
    exit_code = ExitCode.USAGE


class ConfigError(AnalyzerError):
    exit_code = ExitCode.CONFIG


class InputError(AnalyzerError):
    exit_code = ExitCode.INPUT


class DatabaseError(AnalyzerError):
    exit_code = ExitCode.DATABASE
