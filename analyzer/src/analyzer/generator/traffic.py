"""A site's traffic: its population of clients and the requests they make over a day.

``SiteTraffic`` is built once per site from the seed (same seed, same clients) and turns
a day's timestamps into ``Hit``s. A few clients make most requests (Pareto weights), as on
real platforms where one QGIS user or crawler can outweigh hundreds of visitors. Some
instants are monitoring checks instead (`data.PROBES`, placed by `writer.day_slices`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from ipaddress import IPv6Address
from random import Random
from typing import NamedTuple

from analyzer.generator import data, ogc, webapps
from analyzer.generator.model import Builder, Client, Hit, Req, Weighted, choose, lognormal

# Names used in data.REQUEST_MIX -> builder.
BUILDERS: dict[str, Builder] = {
    "wms_getmap": ogc.wms_getmap,
    "wms_getcapabilities": ogc.wms_getcapabilities,
    "wms_getfeatureinfo": ogc.wms_getfeatureinfo,
    "wms_getlegendgraphic": ogc.wms_getlegendgraphic,
    "wfs_getcapabilities": ogc.wfs_getcapabilities,
    "wfs_getfeature": ogc.wfs_getfeature,
    "wfs_post": ogc.wfs_post,
    "wcs_getcoverage": ogc.wcs_getcoverage,
    "wmts_tile": ogc.wmts_tile,
    "tms_tile": ogc.tms_tile,
    "ogcapi_items": ogc.ogcapi_items,
    "gn_record": webapps.gn_record,
    "gn_export": webapps.gn_export,
    "gn_attachment": webapps.gn_attachment,
    "gn_search": webapps.gn_search,
    "gn_page": webapps.gn_page,
    "csw": webapps.csw,
    "datahub_page": webapps.datahub_page,
    "datahub_dataset": webapps.datahub_dataset,
    "mapstore_page": webapps.mapstore_page,
    "mapstore_api": webapps.mapstore_api,
    "console_account": webapps.console_account,
    "login": webapps.login,
    "cas": webapps.cas,
    "cadastrapp": webapps.cadastrapp,
    "mviewer": webapps.mviewer,
    "extractorapp": webapps.extractorapp,
    "import": webapps.import_,
    "static": webapps.static,
    "robots": webapps.robots,
    "sitemap": webapps.sitemap,
    "scan": webapps.scan,
}


_AGENTS = Weighted(data.AGENTS, [agent.weight for agent in data.AGENTS])
_MIXES = {
    kind: Weighted([BUILDERS[name] for name in mix], list(mix.values()))
    for kind, mix in data.REQUEST_MIX.items()
}


class _Answer(NamedTuple):
    """A response profile ready for drawing: status picker and log-normal parameters."""

    statuses: Weighted[int]
    log_ms: float
    sigma: float
    log_bytes: float


_ANSWERS = {
    name: _Answer(
        Weighted(*zip(*profile.statuses, strict=True)),
        math.log(profile.median_ms),
        profile.sigma,
        math.log(profile.median_bytes),
    )
    for name, profile in data.PROFILES.items()
}


def make_client(rng: Random) -> Client:
    agent = _AGENTS.pick(rng)
    user = None
    if rng.random() < data.LOGGED_IN_SHARE.get(agent.kind, 0.0):
        user = choose(rng, data.USERS)
    ua = agent.user_agent or ""
    upper = agent.kind == "browser" or "QGIS" in ua or "ArcGIS" in ua
    return Client(_address(rng), agent, user, upper)


def _address(rng: Random) -> str:
    if rng.random() < data.IPV6_SHARE:
        network = int(IPv6Address(choose(rng, data.IPV6_PREFIXES) + "::"))
        # a host part with a zero run half of the time, so that some addresses hold "::"
        host = rng.getrandbits(64) if rng.random() < 0.5 else rng.getrandbits(16)
        return str(IPv6Address(network | rng.getrandbits(32) << 64 | host))
    prefix = choose(rng, data.IPV4_PREFIXES)
    return f"{prefix}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


class SiteTraffic:
    """The clients of one site and how they turn instants into requests."""

    def __init__(self, site: str, seed: int) -> None:
        rng = Random(f"{seed}:{site}:clients")
        clients = [make_client(rng) for _ in range(data.CLIENTS_PER_SITE)]
        activity = [rng.paretovariate(data.ACTIVITY_ALPHA) for _ in clients]
        self.clients = Weighted(clients, [min(a, data.ACTIVITY_CAP) for a in activity])
        host = data.SITE_HOST.format(site=site)
        self.host = host
        self._referers = [referer.format(host=host) for referer in data.SITE_REFERERS]
        self._probes = [
            (Client(probe.address, data.Agent("probe", probe.user_agent, 0), None, True),
             Req("GET", probe.target, probe.app, probe.profile))
            for probe in data.PROBES
        ]  # fmt: skip

    def hits(
        self, rng: Random, stamps: Sequence[float], checks: Mapping[int, int] | None = None
    ) -> Iterator[Hit]:
        """The requests at `stamps`; `checks` says which of them (by position) are which
        monitoring check (index in data.PROBES)."""
        client, left = self.clients.items[0], 0
        for position, ts in enumerate(stamps):
            if checks and position in checks:
                yield self._check(rng, ts, checks[position])
                continue
            if not left:  # a new visit: a map's tiles, a crawl, a script's loop
                client = self.clients.pick(rng)
                left = _visit_length(rng, client)
            left -= 1
            req = _MIXES[client.agent.kind].pick(rng)(rng, client)
            answer = _ANSWERS[req.profile]
            status = answer.statuses.pick(rng)
            yield Hit(
                ts,
                client,
                req,
                status,
                _size(rng, status, answer.log_bytes),
                lognormal(rng, answer.log_ms + math.log(req.slowness), answer.sigma),
                self._referer(rng, client),
            )

    def _check(self, rng: Random, ts: float, probe: int) -> Hit:
        client, req = self._probes[probe]
        answer = _ANSWERS[req.profile]
        status = answer.statuses.pick(rng)
        duration = lognormal(rng, answer.log_ms, answer.sigma)
        return Hit(ts, client, req, status, _size(rng, status, answer.log_bytes), duration, None)

    def _referer(self, rng: Random, client: Client) -> str | None:
        if client.agent.kind != "browser":
            return None
        draw = rng.random()
        if draw < data.SITE_REFERER_SHARE:
            return choose(rng, self._referers)
        if draw < data.SITE_REFERER_SHARE + data.EXTERNAL_REFERER_SHARE:
            return choose(rng, data.EXTERNAL_REFERERS)
        return None  # typed URL, bookmark, or a privacy setting


def _visit_length(rng: Random, client: Client) -> int:
    """Consecutive requests of one visit: geometric-like around the kind's mean."""
    mean = data.VISIT_REQUESTS[client.agent.kind]
    return 1 + int(-(mean - 1) * math.log(1.0 - rng.random()))


def _size(rng: Random, status: int, log_bytes: float) -> int:
    """Body size: log-normal around the profile's median for a 200, small otherwise."""
    if status == 200:
        return int(lognormal(rng, log_bytes, 0.8))
    if status in (302, 304):
        return 0  # redirects and revalidations carry no body
    return 150 + rng.randrange(1500)
