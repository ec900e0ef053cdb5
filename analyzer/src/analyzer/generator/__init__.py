"""A realistic geOrchestra access-log generator for the demo, the tests and the benchmarks.

``layout.generate_tree`` writes several sites and days in logrotate's layout with a
matching config.yaml; ``layout.generate_single`` writes one big file. The same seed gives
the same bytes. What the traffic looks like is in ``data``; how each server writes it is
in ``render``.
"""
