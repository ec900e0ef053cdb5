"""One module per `analyzer` subcommand; what several of them share."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_and_site(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``--site NAME``, for the commands that work on configured sites."""
    parser.add_argument("--config", required=True, type=Path, help="configuration file")
    parser.add_argument("--site", help="only this site (default: every site)")
