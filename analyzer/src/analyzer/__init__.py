"""geOrchestra Analytics analyzer: access logs in, TimescaleDB rows out."""

from importlib.util import find_spec

__version__ = "0.1.0"


def build() -> str:
    """How the per-line hot path runs: compiled by mypyc (setup.py) or interpreted."""
    spec = find_spec("analyzer.fastpath")
    compiled = spec is not None and (spec.origin or "").endswith((".so", ".pyd"))
    return "hot path compiled with mypyc" if compiled else "hot path in pure Python (slower)"
