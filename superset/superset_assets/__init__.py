"""Superset assets as code: render the templates of superset/assets/ and import them.

``python -m superset_assets provision`` renders the bundle for this platform (analytics
connection, time zone, sites) and imports it through Superset's assets API, which
overwrites what exists, so a second run updates changed charts and datasets in place.
"""

from __future__ import annotations


class AssetsError(Exception):
    """A problem with the templates, the environment or the Superset API, with context."""
