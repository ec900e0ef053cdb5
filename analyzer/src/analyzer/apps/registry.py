"""Every application module, registered explicitly: adding one is a new file plus a line here.

The order is irrelevant to routing (the longest prefix wins); it is the order in which
documentation and ``check-config`` list the applications.
"""

from __future__ import annotations

from analyzer.apps import (
    cadastrapp,
    console,
    datahub,
    extractorapp,
    geonetwork,
    geoserver,
    geowebcache,
    import_,
    login,
    mapstore,
    mviewer,
    other,
)
from analyzer.apps.base import AppModule

_ALL: tuple[AppModule, ...] = (
    geoserver,
    geowebcache,
    geonetwork,
    datahub,
    mapstore,
    console,
    cadastrapp,
    mviewer,
    extractorapp,
    import_,
    login,
    other,
)

MODULES: dict[str, AppModule] = {module.NAME: module for module in _ALL}
FALLBACK = other.NAME  # the module of paths no prefix matches
