"""Days missing from the ledger (``analytics.ingested_files``): data the dashboards lack."""

from __future__ import annotations

from datetime import date, timedelta, tzinfo

import psycopg

from analyzer.doctor.findings import Finding, Severity

SUBJECT = "ledger (analytics.ingested_files)"
# Yesterday's file is loaded by tonight's run: the ledger may lag that far behind.
ALLOWED_LAG = timedelta(days=2)


def covered_days(conn: psycopg.Connection, site: str, zone: tzinfo) -> set[date]:
    """The local days that loaded files of ``site`` hold requests of."""
    rows = conn.execute(
        "SELECT first_ts, last_ts FROM analytics.ingested_files"
        " WHERE site = %s AND first_ts IS NOT NULL",
        (site,),
    ).fetchall()
    days: set[date] = set()
    for first, last in rows:
        days.update(_days(first.astimezone(zone).date(), last.astimezone(zone).date()))
    return days


def check_ledger(site: str, days: set[date], today: date, config: str) -> list[Finding]:
    """Holes between the first and last loaded day, and a ledger that stopped growing."""
    if not days:
        return []  # nothing loaded yet: not a gap
    missing = sorted(set(_days(min(days), max(days))) - days)
    findings = []
    if missing:
        findings.append(
            Finding(
                site,
                SUBJECT,
                f"no loaded file covers {_ranges(missing)} ({_count(missing)}): those days are "
                "missing from the dashboards",
                f"if their rotated files are still on the platform, `analyzer run --config "
                f"{config} --site {site}` loads them; otherwise keep rotated logs longer "
                "(logpolicy/README.md)",
            )
        )
    if max(days) < today - ALLOWED_LAG:
        findings.append(
            Finding(
                site,
                SUBJECT,
                f"nothing loaded after {max(days)}: the nightly job has not run, or found "
                "no new file, since then",
                "read the nightly job's log (journalctl -u georchestra-analytics-collector) "
                "and the findings on this site's files",
                Severity.ERROR,
            )
        )
    return findings


def _count(days: list[date]) -> str:
    return "1 day" if len(days) == 1 else f"{len(days)} days"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _ranges(days: list[date]) -> str:
    """[d1, d2, d3, d5] -> "d1 to d3, d5"."""
    runs: list[list[date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{run[0]} to {run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
