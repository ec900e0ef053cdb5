"""What the doctor reports: one `Finding` per deviation, with the fix in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    # The nightly job would miss or miscount data: `analyzer doctor` exits non-zero.
    ERROR = "error"
    # Nothing is lost, but some dashboards stay empty or poorer.
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    site: str
    subject: str  # the file or log concerned, as the admin knows it
    problem: str  # what is wrong and why it matters
    fix: str  # what to change, pointing to logpolicy/ where it helps
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.severity}: {self.site}: {self.subject}: {self.problem}\n  fix: {self.fix}"
