"""The generator's value types, shared by the request builders and the renderers."""

from __future__ import annotations

import math
from bisect import bisect
from collections.abc import Callable, Sequence
from itertools import accumulate
from random import Random
from statistics import NormalDist
from typing import Generic, NamedTuple, TypeVar

from analyzer.generator import data

T = TypeVar("T")


class Req(NamedTuple):
    """A request as the client sends it and how the platform classifies it."""

    method: str
    target: str  # path and query as sent
    app: str  # key of data.UPSTREAMS
    profile: str  # key of data.PROFILES
    slowness: float = 1.0  # times the profile's median duration (a layer heavy to draw)


class Client(NamedTuple):
    """One visitor of a site: an address, a user agent and maybe a logged-in user."""

    ip: str
    agent: data.Agent
    user: data.User | None
    upper: bool  # writes OGC parameter names in upper case (OpenLayers, QGIS)


class Hit(NamedTuple):
    """One request and its response: everything a log line can say."""

    ts: float  # epoch seconds
    client: Client
    req: Req
    status: int
    size: int  # response body bytes
    duration_ms: float
    referer: str | None


Builder = Callable[[Random, Client], Req]


class Weighted(Generic[T]):
    """Weighted random choice with the cumulative weights computed once."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]

    def pick(self, rng: Random) -> T:
        return self.items[bisect(self._cumulative, rng.random() * self._total)]


# Standard normal quantiles at the middle of 8192 equal-probability bins: one lookup per
# draw is several times cheaper than Random.gauss, and 8192 levels are finer than any
# latency or size a log shows.
_NORMAL_LEVELS = 8192
_NORMAL_QUANTILES = [
    NormalDist().inv_cdf((i + 0.5) / _NORMAL_LEVELS) for i in range(_NORMAL_LEVELS)
]


def choose(rng: Random, items: Sequence[T]) -> T:
    """Like Random.choice, three times cheaper: the generator makes millions of choices."""
    return items[int(rng.random() * len(items))]


def lognormal(rng: Random, mu: float, sigma: float) -> float:
    """A log-normal draw: exp of a normal(mu, sigma)."""
    return math.exp(mu + sigma * _NORMAL_QUANTILES[int(rng.random() * _NORMAL_LEVELS)])
