"""Checks on what yesterday's file holds: its days, its lines, its fields, its clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from analyzer.doctor.findings import Finding, Severity
from analyzer.doctor.sample import FileSample
from analyzer.formats import LogFormat

# A day, plus the drift of the rotation time (Debian's logrotate.timer: AccuracySec=1h).
MAX_DAY_SPAN = timedelta(hours=26)
# Below this share of rejected lines, junk (scanners, TLS on the HTTP port) is the usual
# cause; above it, the format does not fit part of the traffic and counts are wrong.
REJECT_ERROR_SHARE = 0.01
# A last line dated this far from the file's last write is a zone or clock error; time
# zones are at most 14 hours apart, so a larger gap means the file was copied.
CLOCK_GAP = (timedelta(minutes=50), timedelta(hours=15))
USER_GROUPS = frozenset({"user", "secuser", "secname"})
POLICY = "logpolicy/README.md"


def check_sample(
    site: str, sample: FileSample, fmt: LogFormat, zone: tzinfo, today: date
) -> list[Finding]:
    subject = str(sample.path)
    return [
        Finding(site, subject, problem, fix, severity)
        for problem, fix, severity in (
            *_yesterday(sample, zone, today),
            *_span(sample),
            *_rejects(sample),
            *_fields(sample, fmt),
            *_clock(sample),
        )
    ]


Issue = tuple[str, str, Severity]  # problem, fix, severity


def _yesterday(sample: FileSample, zone: tzinfo, today: date) -> list[Issue]:
    yesterday = today - timedelta(days=1)
    if sample.last_ts is None or sample.last_ts.astimezone(zone).date() >= yesterday:
        return []
    ends = sample.last_ts.astimezone(zone).date()
    return [
        (
            f"the newest rotated file ends on {ends}: there is no file for yesterday "
            f"({yesterday}), so the nightly job has nothing new to load",
            "check that logrotate runs every night (systemctl status logrotate.timer) and "
            "that the rule for this log rotates `daily`",
            Severity.ERROR,
        )
    ]


def _span(sample: FileSample) -> list[Issue]:
    first, last = sample.first_ts, sample.last_ts
    if first is None or last is None or last - first <= MAX_DAY_SPAN:
        return []
    days = -(-(last - first) // timedelta(days=1))  # rounded up
    return [
        (
            f"it holds {days} days of requests ({first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M}): rotation is not daily, so days reach the dashboards "
            "only when their file is rotated",
            "rotate daily: `daily` in the logrotate rule, not weekly, monthly or by size",
            Severity.ERROR,
        )
    ]


def _rejects(sample: FileSample) -> list[Issue]:
    if not sample.rejects:
        return []
    share = sample.rejects / sample.lines
    severity = Severity.ERROR if share >= REJECT_ERROR_SHARE else Severity.WARNING
    return [
        (
            f"{sample.rejects} of its first {sample.lines} lines ({share:.1%}) are not read "
            f"by the {sample.format_name} format and are not counted; first: "
            f"{sample.first_reject}",
            "set the log's `format` to what the server writes (a preset, or the server's "
            "own log_format / LogFormat string), or make the server write a recommended "
            "format (logpolicy/); then `analyzer reload` loads again the files already "
            "loaded with the wrong one",
            severity,
        )
    ]


def _fields(sample: FileSample, fmt: LogFormat) -> list[Issue]:
    issues = []
    parsed = sample.lines - sample.rejects
    if parsed and not sample.with_duration:
        issues.append(
            (
                "no line has a response time: the response-time charts stay empty",
                "log it: $request_time (nginx), %D (Apache), %Ta (HAProxy); "
                "logpolicy/ has the recommended formats",
                Severity.WARNING,
            )
        )
    if parsed and not sample.with_agent:
        issues.append(
            (
                "no line has a user agent: every client is of class unknown (no browser, "
                "GIS software or bot)",
                "log the User-Agent header: $http_user_agent (nginx), %{User-Agent}i "
                "(Apache), a request header capture (logpolicy/haproxy/haproxy.cfg)",
                Severity.WARNING,
            )
        )
    groups = getattr(getattr(fmt, "pattern", None), "groupindex", None)
    if groups is not None and not USER_GROUPS & set(groups):
        issues.append(
            (
                f"the {fmt.name} format has no user field: every request is anonymous on "
                "the dashboards",
                "also read the security-proxy's or gateway's log (presets secproxy, "
                "gateway-json), which names the user, organisation and roles; or log "
                "$remote_user (nginx) or %u (Apache)",
                Severity.WARNING,
            )
        )
    return issues


def _clock(sample: FileSample) -> list[Issue]:
    """The last line's time against the file's last write (plain files keep it)."""
    if sample.last_ts is None or sample.path.suffix == ".gz":
        return []
    written = datetime.fromtimestamp(sample.path.stat().st_mtime, UTC)
    gap = written - sample.last_ts
    if not CLOCK_GAP[0] <= abs(gap) <= CLOCK_GAP[1]:
        return []
    hours = abs(gap) / timedelta(hours=1)
    direction = "after" if gap > timedelta(0) else "before"
    return [
        (
            f"its last line is dated {sample.last_ts:%Y-%m-%d %H:%M %z} but the file was "
            f"last written {hours:.1f} hours {direction} ({written:%Y-%m-%d %H:%M} UTC): "
            "requests land in the wrong hours, and near midnight in the wrong days",
            "for a format without UTC offset (HAProxy's default), set the site's `timezone` "
            "to the zone of the server's clock; otherwise set the server's clock and zone "
            "right (timedatectl, NTP)",
            Severity.ERROR,
        )
    ]
