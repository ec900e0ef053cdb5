"""Where a client is: its country and region, from an MMDB file the admin provides.

Contract used by `interpret.SiteContext`:

    locate = locator(path)            # path: None when no file is configured
    locate("90.12.4.7") -> ("FR", "Brittany") | ("FR", None) | (None, None)

The lookup reads the client's address as logged, before `privacy` anonymizes it: a /24
network can straddle two countries. Only the country (ISO 3166-1 alpha-2) and the first
subdivision's English name are kept, never a city or coordinates. Both DB-IP Lite
(country or city) and MaxMind GeoLite2 (Country or City) have this layout. A log repeats
a few thousand addresses all day, hence the cache.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.errors import ConfigError

if TYPE_CHECKING:  # imported when a database is opened: 20 ms a start otherwise
    import maxminddb

GEOIP_ENV = "ANALYZER_GEOIP_DATABASE"
Place = tuple[str | None, str | None]  # (country code, region name)
NOWHERE: Place = (None, None)


def nowhere(address: str | None) -> Place:
    """The locator without a database: every row keeps NULL country and region."""
    return NOWHERE


def open_database(path: Path) -> maxminddb.Reader:
    """The file's reader, or a ConfigError saying what is wrong with it. A file replaced
    by a newer one (the monthly refresh) is opened again, even by a long-running
    `analyzer schedule`."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise ConfigError(f"GeoIP database {path}: no such file") from exc
    except OSError as exc:
        raise ConfigError(f"GeoIP database {path}: cannot read: {exc.strerror}") from exc
    return _open(path, stat.st_ino, stat.st_mtime_ns)


@cache  # one reader per file version, shared by every site and inherited by forked workers
def _open(path: Path, inode: int, mtime_ns: int) -> maxminddb.Reader:
    import maxminddb

    try:
        reader = maxminddb.open_database(str(path))
    except PermissionError as exc:
        raise ConfigError(f"GeoIP database {path}: cannot read: permission denied") from exc
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(
            f"GeoIP database {path}: not an MMDB file ({exc}); use DB-IP Lite or "
            "MaxMind GeoLite2 in MMDB format (docs/geoip.en.md)"
        ) from exc
    if "country" not in reader.metadata().database_type.lower() and not _has_countries(reader):
        raise ConfigError(
            f"GeoIP database {path}: a {reader.metadata().database_type} database has no "
            "countries; use a country or city database (docs/geoip.en.md)"
        )
    return reader


def _has_countries(reader: maxminddb.Reader) -> bool:
    """DB-IP names its city database 'DBIP-City-Lite': look at a record to be sure."""
    for probe in ("8.8.8.8", "1.1.1.1", "90.12.4.7", "2a01:cb00::1"):
        try:
            record = reader.get(probe)
        except ValueError:  # an IPv4-only database asked for an IPv6 address
            continue
        if isinstance(record, dict):
            return "country" in record or "registered_country" in record
    return True  # an empty or tiny database: nothing says otherwise


def locator(path: Path | None) -> Callable[[str | None], Place]:
    """`nowhere` without a file, else a cached lookup in it."""
    if path is None:
        return nowhere
    reader = open_database(path)

    @lru_cache(maxsize=16384)
    def locate(address: str | None) -> Place:
        if not address or address == "-":
            return NOWHERE
        try:
            record = reader.get(_bare(address))
        except ValueError:  # not an address (a host name, a socket), or IPv6 in an IPv4 file
            return NOWHERE
        return place_of(record)

    return locate


def _bare(address: str) -> str:
    """``2001:db8::1`` from ``[2001:db8::1]``; an IPv4-mapped IPv6 address as IPv4."""
    address = address.strip("[]")
    if address.startswith("::ffff:"):
        try:
            mapped = ipaddress.IPv6Address(address).ipv4_mapped
        except ValueError:
            return address
        return str(mapped) if mapped else address
    return address


def place_of(record: Any) -> Place:
    """(country code, region) of an MMDB record; the registered country when the record
    has no country (an anycast or satellite network)."""
    if not isinstance(record, dict):
        return NOWHERE
    country = record.get("country") or record.get("registered_country") or {}
    code = country.get("iso_code") if isinstance(country, dict) else None
    subdivisions = record.get("subdivisions")
    region = None
    if isinstance(subdivisions, list) and subdivisions and isinstance(subdivisions[0], dict):
        names = subdivisions[0].get("names") or {}
        region = names.get("en") if isinstance(names, dict) else None
    return (code if isinstance(code, str) else None, region if isinstance(region, str) else None)
