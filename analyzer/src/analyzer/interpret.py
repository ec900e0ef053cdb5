"""From what a log format read (`RawRequest`) to the output contract (`Request`).

This runs once per log line: everything that repeats is looked up once (user agents,
addresses and pseudonyms are cached; routes are a dict lookup by first path segment)
and the query string is only parsed by the application modules that need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.apps import Router
from analyzer.clients import PROBE, ProbeRules, classify_agent
from analyzer.errors import ConfigError
from analyzer.formats.base import RawRequest
from analyzer.geoip import Place, locator
from analyzer.privacy import Privacy
from analyzer.record import Request
from analyzer.settings import SiteConfig


@dataclass(frozen=True, slots=True)
class SiteContext:
    """What turning a site's lines into requests needs, built once per site."""

    name: str
    router: Router
    privacy: Privacy
    locate: Callable[[str | None], Place]  # the raw address's country and region (`geoip`)
    probes: ProbeRules  # the site's own monitoring probes (`settings.Probes`)

    @classmethod
    def for_site(cls, site: SiteConfig, key: bytes | None = None) -> SiteContext:
        """`key` is the pseudonymization key (``privacy.key_from_env``)."""
        try:
            privacy = Privacy(site.ip_mode, site.user_mode, key)
            locate = locator(site.geoip_database)
            rules = site.probes
            probes = ProbeRules(rules.user_agents, rules.addresses, rules.paths)
            return cls(site.name, Router(site.app_routes), privacy, locate, probes)
        except ConfigError as exc:
            raise ConfigError(f"site {site.name!r}: {exc}") from exc


def split_target(target: str) -> tuple[str, str | None]:
    """``(path, query)`` of a request-line target; a full URL loses its scheme and host.

    The path stays as sent (percent-encoding kept); an empty query is None.
    """
    if not target.startswith("/"):
        target = _strip_origin(target)
    path, _, query = target.partition("?")
    return path, query or None


def _strip_origin(target: str) -> str:
    """``/geonetwork/x?y`` from ``http://geonetwork:8080/geonetwork/x?y`` (the
    security-proxy logs backend URLs); other forms (``*``, ``host:443``) stay."""
    scheme_end = target.find("://")
    if scheme_end < 0:
        return target
    path_start = target.find("/", scheme_end + 3)
    if path_start >= 0:
        return target[path_start:]
    query_start = target.find("?", scheme_end + 3)
    return "/" + target[query_start:] if query_start >= 0 else "/"


def to_request(raw: RawRequest, line_no: int, ctx: SiteContext) -> Request:
    path, query = split_target(raw.target)
    found = ctx.router.classify(raw.method, path, query)
    agent_class, agent_name = classify_agent(raw.user_agent)
    # The site's rules read the address as logged, before it is anonymized.
    if agent_class != PROBE and ctx.probes.matches(raw.user_agent, raw.client_ip, path):
        agent_class, agent_name = PROBE, agent_name or PROBE
    country, region = ctx.locate(raw.client_ip)  # before the address is anonymized
    privacy = ctx.privacy
    # Positional: keyword binding of 21 arguments costs twice the whole construction.
    return Request(
        line_no,
        raw.ts,
        ctx.name,
        privacy.ip(raw.client_ip),
        privacy.user(raw.user),
        raw.org,
        raw.roles,
        raw.method,
        path,
        query,
        raw.status,
        raw.bytes,
        raw.duration_ms,
        raw.referer,
        raw.user_agent,
        found.app,
        agent_class,
        agent_name,
        found.ogc,
        found.catalog,
        found.action,
        country,
        region,
    )
