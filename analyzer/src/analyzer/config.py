"""The configuration file: YAML in, `Settings` out, or a ConfigError saying what is wrong.

Messages name the file, the key path, what is wrong and what is allowed:
``analyzer.yaml: sites[1].privacy.ip: 'hide' is not allowed (use anonymize, keep, drop)``.
analyzer/README.md documents every key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter

from analyzer import levels
from analyzer.apps.registry import MODULES
from analyzer.errors import AnalyzerError, ConfigError
from analyzer.formats import AUTO, build_format
from analyzer.geoip import GEOIP_ENV, open_database
from analyzer.privacy import KEY_VARIABLE
from analyzer.settings import (
    IP_MODES,
    USER_MODES,
    LogSource,
    Probes,
    Retention,
    Settings,
    SiteConfig,
)

DATABASE_URL_ENV = "ANALYZER_DATABASE_URL"
# The Docker distribution sets the buckets' zone once, in .env, for every service.
TIMEZONE_ENV = "ANALYTICS_TIMEZONE"
# Every key of the file, by where it sits (analyzer/README.md documents each; a test checks).
TOP_KEYS = (
    "database_url",
    "timezone",
    "schedule",
    "state_dir",
    "retention",
    "max_reject_share",
    "columnstore_after",
    "geoip_database",
    "sites",
)
RETENTION_KEYS = levels.NAMES
SITE_KEYS = ("name", "timezone", "privacy", "apps", "catalog", "probes", "logs")
PRIVACY_KEYS = ("ip", "user")
PROBE_KEYS = ("user_agents", "addresses", "paths")
LOG_KEYS = ("path", "format", "include_live")
_INTERVAL = re.compile(r"^\d+ (second|minute|hour|day|week|month|year)s?$")
_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HTTP_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")


def _default(cls: type, name: str) -> Any:
    """A dataclass field's default (slots dataclasses hide it from the class attribute)."""
    return next(f.default for f in fields(cls) if f.name == name)


class Node:
    """A value of the YAML document and where it sits, for messages."""

    def __init__(self, value: Any, file: str, path: str = "") -> None:
        self.value, self.file, self.path = value, file, path

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.path or '(top level)'}: {message}")

    def mapping(self, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Node:
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping with keys {', '.join(allowed)}")
        for key in self.value:
            if key not in allowed:
                raise self.error(f"unknown key {key!r} (allowed: {', '.join(allowed)})")
        for key in required:
            if self.value.get(key) is None:
                raise self.error(f"missing required key {key!r}")
        return self

    def get(self, key: str) -> Node:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(value, self.file, f"{self.path}.{key}" if self.path else key)

    def items(self) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise self.error("expected a list")
        for index, value in enumerate(self.value):
            yield Node(value, self.file, f"{self.path}[{index}]")

    def text(self, default: str | None = None, pattern: re.Pattern[str] | None = None) -> Any:
        if self.value is None:
            return default
        if not isinstance(self.value, str | int | float) or isinstance(self.value, bool):
            raise self.error(f"expected a string, got {type(self.value).__name__}")
        value = str(self.value)
        if pattern is not None and not pattern.match(value):
            raise self.error(f"{value!r} does not match {pattern.pattern}")
        return value

    def choice(self, options: tuple[str, ...], default: str) -> str:
        value = self.text(default)
        if value not in options:
            raise self.error(f"{value!r} is not allowed (use {', '.join(options)})")
        return value

    def boolean(self, default: bool) -> bool:
        if self.value is None:
            return default
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {self.value!r}")
        return self.value

    def zone(self, default: str) -> str:
        value = self.text(default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.error(f"unknown time zone {value!r} (use a name like Europe/Paris)") from exc
        return value


def load(path: str | Path) -> Settings:
    """Read and validate the configuration file."""
    file = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except PermissionError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}; {unreadable_hint(path)}") from exc
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    return settings_from(Node(document, file))


def unreadable_hint(path: str | Path) -> str:
    """Who tried to read ``path`` and what its mode allows: the usual causes, in a container,
    are a checkout made under umask 077 and SELinux labels."""
    who = f"this process runs as uid {os.getuid()}, groups {sorted(os.getgroups())}"
    try:
        st = Path(path).stat()
    except OSError:
        return f"{who}; the folders above it must be searchable too"
    return (
        f"{who}; the file is uid {st.st_uid}, gid {st.st_gid}, mode {st.st_mode & 0o777:04o}. "
        "Make it readable by them (chmod a+r), and the folders above it searchable; on an "
        "SELinux host, mount it with the `z` option (docs/docker.md, 'File permissions')"
    )


def chosen_sites(settings: Settings, name: str | None, path: str | Path) -> tuple[SiteConfig, ...]:
    """Every site, or the one named `name` (``--site``); a ConfigError lists the known ones."""
    if name is None:
        return settings.sites
    chosen = tuple(site for site in settings.sites if site.name == name)
    if not chosen:
        known = ", ".join(site.name for site in settings.sites)
        raise ConfigError(f"{path}: no site named {name!r} (sites: {known})")
    return chosen


def settings_from(root: Node) -> Settings:
    root.mapping(TOP_KEYS, required=("sites",))
    geoip = _geoip_database(root.get("geoip_database"))
    sites = tuple(_site(node, geoip) for node in root.get("sites").items())
    if not sites:
        raise root.get("sites").error("at least one site is needed")
    _check_unique_names(root.get("sites"), sites)
    _check_pseudonym_key(root, sites)
    schedule = root.get("schedule").text(_default(Settings, "schedule"))
    if not croniter.is_valid(schedule):
        raise root.get("schedule").error(f"{schedule!r} is not a cron expression (e.g. 30 2 * * *)")
    return Settings(
        sites=sites,
        database_url=root.get("database_url").text() or os.environ.get(DATABASE_URL_ENV),
        timezone=_timezone(root.get("timezone")),
        schedule=schedule,
        state_dir=Path(root.get("state_dir").text(str(_default(Settings, "state_dir")))),
        max_reject_share=_share(root.get("max_reject_share")),
        retention=_retention(root.get("retention")),
        columnstore_after=_interval_or_never(
            root.get("columnstore_after"), _default(Settings, "columnstore_after")
        ),
    )


def _share(node: Node) -> float:
    """A share between 0 and 1 (`max_reject_share`)."""
    if node.value is None:
        return float(_default(Settings, "max_reject_share"))
    if isinstance(node.value, bool) or not isinstance(node.value, int | float):
        raise node.error(f"{node.value!r} is not a number between 0 and 1 (e.g. 0.5)")
    if not 0 <= node.value <= 1:
        raise node.error(f"{node.value!r} is not between 0 and 1 (e.g. 0.5)")
    return float(node.value)


def _timezone(node: Node) -> str:
    """`timezone`, else ANALYTICS_TIMEZONE, else the default; the two may not disagree."""
    from_env = os.environ.get(TIMEZONE_ENV) or None
    zone = node.zone(from_env or _default(Settings, "timezone"))
    if from_env and node.value is not None and zone != from_env:
        raise node.error(
            f"{zone!r} differs from {TIMEZONE_ENV}={from_env!r}: the buckets have one zone; "
            f"remove `timezone` here, or set the same in both"
        )
    return zone


def _interval_or_never(node: Node, default: str | None) -> str | None:
    """An interval like '3 days', or 'never' (None)."""
    if node.value == "never":
        return None
    value = node.text(default)
    if value is not None and not _INTERVAL.match(value):
        raise node.error(f"{value!r} is not an interval like '3 days' or 'never'")
    return value


def _geoip_database(node: Node) -> Path | None:
    """`geoip_database`, else ANALYZER_GEOIP_DATABASE; a file that cannot serve is refused
    now rather than at the first line of the night."""
    value = node.text() or os.environ.get(GEOIP_ENV) or None
    if value is None:
        return None
    path = Path(value)
    try:
        open_database(path)
    except ConfigError as exc:
        raise node.error(str(exc)) from exc
    return path


def _retention(node: Node) -> Retention:
    if node.value is None:
        return Retention()
    node.mapping(RETENTION_KEYS)
    defaults = Retention()
    values: dict[str, str | None] = {}
    for level in RETENTION_KEYS:
        child = node.get(level)
        if level in node.value and child.value in (None, "forever"):
            values[level] = None  # kept forever
            continue
        value = values[level] = child.text(defaults[level])
        if value is not None and not _INTERVAL.match(value):
            raise child.error(f"{value!r} is not an interval like '13 months' or 'forever'")
    return Retention(**values)


def _site(node: Node, geoip_database: Path | None = None) -> SiteConfig:
    node.mapping(SITE_KEYS, required=("name", "logs"))
    privacy = node.get("privacy")
    if privacy.value is not None:
        privacy.mapping(PRIVACY_KEYS)
    return SiteConfig(
        name=node.get("name").text(pattern=_SITE_NAME),
        logs=tuple(_log_source(log) for log in node.get("logs").items()),
        timezone=node.get("timezone").zone(_default(SiteConfig, "timezone")),
        ip_mode=privacy.get("ip").choice(IP_MODES, _default(SiteConfig, "ip_mode")),
        user_mode=privacy.get("user").choice(USER_MODES, _default(SiteConfig, "user_mode")),
        app_routes=_app_routes(node.get("apps")),
        catalog=(node.get("catalog").text(pattern=_HTTP_URL) or "").rstrip("/") or None,
        geoip_database=geoip_database,
        probes=_probes(node.get("probes")),
    )


def _probes(node: Node) -> Probes:
    """The site's own monitoring probes: every rule is checked now, not at the first line."""
    if node.value is None:
        return Probes()
    node.mapping(PROBE_KEYS)
    return Probes(
        user_agents=_rules(node.get("user_agents"), _user_agent_rule),
        addresses=_rules(node.get("addresses"), _address_rule),
        paths=_rules(node.get("paths"), _path_rule),
    )


def _rules(node: Node, check: Callable[[Node, str], str]) -> tuple[str, ...]:
    if node.value is None:
        return ()
    rules = []
    for item in node.items():
        value = item.text()
        if not value:
            raise item.error("expected a string, got nothing")
        rules.append(check(item, value))
    return tuple(rules)


def _user_agent_rule(node: Node, pattern: str) -> str:
    try:
        re.compile(pattern, re.I)
    except re.error as exc:
        raise node.error(f"{pattern!r} is not a regular expression: {exc}") from exc
    return pattern


def _address_rule(node: Node, address: str) -> str:
    """The address or network, written as `ipaddress` writes it (192.0.2.10/32)."""
    value = address.strip("[]")
    try:
        return str(ipaddress.ip_network(value))
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(value, strict=False)
            raise node.error(f"{address!r} has host bits set (the network is {network})") from exc
        raise node.error(
            f"{address!r} is not an IP address or network (e.g. 192.0.2.10, 192.0.2.0/24, "
            "2001:db8::/32)"
        ) from exc


def _path_rule(node: Node, path: str) -> str:
    if not path.startswith("/"):
        raise node.error(f"{path!r}: a path prefix starts with '/' (e.g. /health)")
    if "?" in path:
        raise node.error(f"{path!r}: give the path alone; the query is not matched")
    if path.rstrip("/") == "":
        raise node.error("'/' would make every request a probe")
    return path


def _log_source(node: Node) -> LogSource:
    node.mapping(LOG_KEYS, required=("path",))
    spec = node.get("format").text(_default(LogSource, "format"))
    if spec != AUTO:
        try:
            build_format(spec, ZoneInfo("UTC"))
        except AnalyzerError as exc:
            raise node.get("format").error(str(exc)) from exc
    return LogSource(
        path=Path(node.get("path").text()),
        format=spec,
        include_live=node.get("include_live").boolean(_default(LogSource, "include_live")),
    )


def _app_routes(node: Node) -> dict[str, str]:
    if node.value is None:
        return {}
    if not isinstance(node.value, dict):
        raise node.error('expected a mapping of path prefixes to applications ("/carto": mviewer)')
    routes: dict[str, str] = {}
    for prefix in node.value:
        child = node.get(str(prefix))
        if not str(prefix).startswith("/"):
            raise child.error("a path prefix starts with '/'")
        routes[str(prefix)] = child.choice(tuple(MODULES), "")
    return routes


def _check_unique_names(node: Node, sites: tuple[SiteConfig, ...]) -> None:
    seen: set[str] = set()
    for index, site in enumerate(sites):
        if site.name in seen:
            raise Node(None, node.file, f"{node.path}[{index}].name").error(
                f"site name {site.name!r} is used twice"
            )
        seen.add(site.name)


def _check_pseudonym_key(root: Node, sites: tuple[SiteConfig, ...]) -> None:
    users = [site.name for site in sites if site.user_mode == "pseudonymize"]
    if users and not os.environ.get(KEY_VARIABLE):
        raise root.error(
            f"sites {', '.join(users)} pseudonymize user names: set the key in the "
            f"environment variable {KEY_VARIABLE}"
        )
