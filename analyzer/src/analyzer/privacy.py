"""Per-site privacy of client addresses and user names.

Contract used by `interpret.to_request`:

    privacy = Privacy(ip_mode, user_mode, key)   # key: bytes from the environment
    privacy.ip("192.168.1.70") -> "192.168.1.0" | "192.168.1.70" | None
    privacy.user("m.lagadec") -> "m.lagadec" | "<keyed hash>" | None

Anonymized addresses keep what network-level statistics need: an IPv4 address loses
its last octet, an IPv6 address everything after its /48 prefix (a site's network).
Pseudonyms are keyed (HMAC-SHA256) so that nobody without the key can rebuild them from
a list of user names, yet the same user keeps the same pseudonym across runs and sites.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Mapping
from functools import lru_cache

from analyzer.errors import ConfigError
from analyzer.settings import IP_MODES, USER_MODES

KEY_VARIABLE = "ANALYZER_PSEUDONYM_KEY"
PSEUDONYM_PREFIX = "u_"
PSEUDONYM_HEX_DIGITS = 16  # 64 bits: no collision in any realistic user base


def key_from_env(environ: Mapping[str, str]) -> bytes | None:
    """The pseudonymization key, or None when the variable is unset or empty."""
    value = environ.get(KEY_VARIABLE, "")
    return value.encode() if value else None


class Privacy:
    def __init__(
        self, ip_mode: str = "anonymize", user_mode: str = "keep", key: bytes | None = None
    ):
        if ip_mode not in IP_MODES:
            raise ConfigError(f"ip_mode {ip_mode!r}: expected one of {', '.join(IP_MODES)}")
        if user_mode not in USER_MODES:
            raise ConfigError(f"user_mode {user_mode!r}: expected one of {', '.join(USER_MODES)}")
        if user_mode == "pseudonymize" and not key:
            raise ConfigError(f"user_mode pseudonymize needs a key in {KEY_VARIABLE}")
        self.ip: Callable[[str | None], str | None] = _IP_FUNCTIONS[ip_mode]
        self.user: Callable[[str | None], str | None] = (
            _pseudonymizer(key)
            if key and user_mode == "pseudonymize"
            else _USER_FUNCTIONS[user_mode]
        )


def _keep(value: str | None) -> str | None:
    return value


def _drop(value: str | None) -> None:
    return None


@lru_cache(maxsize=4096)
def anonymize_ip(address: str | None) -> str | None:
    """The address with its host part zeroed; None if it is not an IP address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None  # a host name or a socket path could identify the client
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:192.0.2.7 is an IPv4 client
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network((ip, prefix), strict=False).network_address)


def _pseudonymizer(key: bytes) -> Callable[[str | None], str | None]:
    @lru_cache(maxsize=16384)
    def pseudonymize(user: str | None) -> str | None:
        if user is None:
            return None
        digest = hmac.new(key, user.encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_DIGITS]

    return pseudonymize


Anonymizer = Callable[[str | None], str | None]
_IP_FUNCTIONS: dict[str, Anonymizer] = {"anonymize": anonymize_ip, "keep": _keep, "drop": _drop}
_USER_FUNCTIONS: dict[str, Anonymizer] = {"keep": _keep, "drop": _drop}
