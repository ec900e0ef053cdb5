"""geOrchestra Analytics analyzer: access logs in, TimescaleDB rows out."""

__version__ = "0.1.0"
