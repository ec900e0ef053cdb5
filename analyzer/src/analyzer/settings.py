"""Typed settings, read once at the edge (``config.load``) and passed down.

The YAML layout mirrors these classes; ``docs/`` documents every key and a test keeps the
two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analyzer.levels import Retention

IP_MODES = ("anonymize", "keep", "drop")
USER_MODES = ("keep", "pseudonymize", "drop")


@dataclass(frozen=True, slots=True)
class LogSource:
    path: Path  # the live file; rotated siblings are path.1, path.2.gz, ...
    format: str = "auto"  # a preset name, "auto", or an nginx/Apache format string
    include_live: bool = False  # also read the live file (tests, one-off imports)


@dataclass(frozen=True, slots=True)
class Probes:
    """A site's own monitoring probes (`probes`), besides the ones `clients` knows by their
    user agent: a request matching any rule is a probe, left out of the usage figures."""

    user_agents: tuple[str, ...] = ()  # regular expressions, searched without regard to case
    addresses: tuple[str, ...] = ()  # IP addresses or networks, as logged (not anonymized)
    paths: tuple[str, ...] = ()  # path prefixes, whole segments, query excluded


@dataclass(frozen=True, slots=True)
class SiteConfig:
    name: str
    logs: tuple[LogSource, ...] = ()
    timezone: str = "UTC"  # zone of timestamps written without an offset
    ip_mode: str = "anonymize"
    user_mode: str = "keep"
    app_routes: dict[str, str] = field(default_factory=dict)  # "/prefix" -> app module
    # The site's GeoNetwork (4.x), whose API gives the titles of the records viewed.
    catalog: str | None = None
    # The MMDB file clients are located with (`geoip`): the top-level `geoip_database`,
    # the same for every site. None: no country or region.
    geoip_database: Path | None = None
    probes: Probes = field(default_factory=Probes)


@dataclass(frozen=True, slots=True)
class Settings:
    sites: tuple[SiteConfig, ...]
    database_url: str | None = None  # from ANALYZER_DATABASE_URL when not in the file
    timezone: str = "Europe/Paris"  # zone of daily and monthly buckets
    schedule: str = "30 2 * * *"  # cron expression for `analyzer schedule`
    state_dir: Path = Path("/var/lib/analyzer")  # lock file and rejects
    retention: Retention = field(default_factory=Retention)
    # Above this share of a file's lines rejected, the file is not loaded but failed: its
    # format is most likely wrong, and a file recorded as loaded would never load again.
    max_reject_share: float = 0.5
    # Raw chunks that ended this long ago go to the columnstore (Timescale licence); None:
    # never. Past the days a late file still rebuilds (levels: rebuild_window).
    columnstore_after: str | None = "3 days"
