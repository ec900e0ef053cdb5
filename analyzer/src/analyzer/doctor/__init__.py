"""`analyzer doctor`: how far each site's logs are from the log policy (logpolicy/README.md).

    findings = examine(settings, account=Account.current(), config="analyzer.yaml")

For each log, yesterday's file is checked (there, plain, one day, parsed without rejects,
with the fields the dashboards need, its clock consistent with the site's zone) and every
file the nightly job would read must be readable by the account running it; with a
database, the ledger is checked for missing days and TimescaleDB's jobs for failures. Each
`Finding` says what is wrong and the fix; an ``ERROR`` one means the nightly job would miss
or miscount data.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import psycopg

from analyzer.config import chosen_sites
from analyzer.db import connect
from analyzer.db.discover import rotated_files
from analyzer.doctor.access import Account
from analyzer.doctor.files import check_access, check_layout
from analyzer.doctor.findings import Finding, Severity
from analyzer.doctor.jobs import check_jobs
from analyzer.doctor.ledger import check_ledger, covered_days
from analyzer.doctor.lines import check_sample
from analyzer.doctor.sample import log_format, sample_file
from analyzer.errors import DatabaseError, InputError
from analyzer.settings import LogSource, Settings, SiteConfig

__all__ = ["Account", "Finding", "Severity", "examine"]

log = logging.getLogger(__name__)


def examine(
    settings: Settings,
    *,
    account: Account,
    config: str,
    site: str | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Every deviation of the chosen sites (all by default); ``today`` in each site's zone."""
    sites = chosen_sites(settings, site, config)
    findings = []
    for chosen in sites:
        zone = ZoneInfo(chosen.timezone)
        day = today or datetime.now(zone).date()
        for source in chosen.logs:
            findings += examine_log(chosen.name, source, zone, account, day)
    return findings + _database(settings, sites, today, config)


def examine_log(
    site: str, source: LogSource, zone: tzinfo, account: Account, today: date
) -> list[Finding]:
    files = rotated_files(source)
    rotated = [path for path in files if path != source.path]
    findings = check_layout(site, source, rotated) + check_access(site, account, files)
    if not rotated:
        return findings
    newest = rotated[-1]
    try:
        fmt = log_format(source, newest, zone)
        sample = sample_file(newest, fmt)
    except InputError as exc:  # unreadable even here, or no preset reads it
        fix = "give the log's `format` (a preset, or the server's log_format / LogFormat string)"
        return [*findings, Finding(site, str(newest), str(exc), fix)]
    return findings + check_sample(site, sample, fmt, zone, today)


def _database(
    settings: Settings, sites: tuple[SiteConfig, ...], today: date | None, config: str
) -> list[Finding]:
    """The ledger's missing days, then the failures of the server's background jobs."""
    if not settings.database_url:
        log.info("no database configured (database_url, ANALYZER_DATABASE_URL): ledger not checked")
        return []
    zone = ZoneInfo(settings.timezone)  # the dashboards' days
    day = today or datetime.now(zone).date()
    try:
        with connect.connect(settings.database_url) as conn:
            findings = [
                finding
                for site in sites
                for finding in check_ledger(
                    site.name, covered_days(conn, site.name, zone), day, config
                )
            ]
            return findings + check_jobs(conn, datetime.now(zone))
    except (DatabaseError, psycopg.Error) as exc:  # the file checks still stand
        fix = "check database_url / ANALYZER_DATABASE_URL and that the server runs"
        return [Finding(site.name, "database", f"ledger not checked: {exc}", fix) for site in sites]
