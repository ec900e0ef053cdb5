"""Application modules: which geOrchestra application served a request, and what it asked.

Contract used by the pipeline (implemented by this package):

    router = Router(site.app_routes)          # per-site overrides of the default routes
    found = router.classify(method, path, query)
    found.app, found.ogc, found.catalog       # str, OgcInfo | None, CatalogInfo | None

One module per application (``apps/geoserver.py`` holds the ``geoserver`` module), all
registered explicitly in ``apps/registry.py``; adding an application is one new file plus
one line there.
"""

from analyzer.apps.base import AppMatch
from analyzer.apps.router import Router, default_routes

__all__ = ["AppMatch", "Router", "default_routes"]
