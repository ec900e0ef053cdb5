"""A small GeoIP database (MMDB) placing the generated clients, for the demo and the tests.

It has the layout of DB-IP Lite and GeoLite2 City (``country.iso_code`` and
``subdivisions[0].names.en``), which is all `analyzer.geoip` reads. Written with
mmdb-writer, installed with the analyzer's ``demo`` and ``test`` extras: without it,
`analyzer generate` writes the logs and leaves the configuration without a database.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path

from analyzer.generator import data

DEMO_DATABASE = "geoip-demo.mmdb"
Network = tuple[str, str, str | None]  # (CIDR, country code, region)


def generated_networks() -> list[Network]:
    """The networks the generator draws client addresses from (`data`), as CIDR."""
    networks: list[Network] = [
        (f"{prefix}.0.0/16", country, region) for prefix, country, region in data.IPV4_NETWORKS
    ]
    for prefix, country, region in data.IPV6_NETWORKS:
        network = ipaddress.IPv6Network(f"{prefix}::/32")
        networks.append((str(network), country, region))
    return networks


def available() -> bool:
    try:
        import mmdb_writer  # noqa: F401
    except ImportError:
        return False
    return True


def write_mmdb(path: Path, networks: Iterable[Network]) -> Path:
    """An MMDB file at `path` placing each network in its country and region."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,  # IPv4 addresses looked up in an IPv6 tree, as in DB-IP's
        database_type="DBIP-City-Lite",
        languages=["en"],
        description="geOrchestra Analytics: generated clients (not real data)",
    )
    for cidr, country, region in networks:
        record: dict[str, object] = {"country": {"iso_code": country}}
        if region is not None:
            record["subdivisions"] = [{"names": {"en": region}}]
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path
