"""``python -m superset_assets render|provision``: the bundle, for this platform.

render     write the bundle ZIP (for review, or an import through Superset's UI)
provision  import it into a running Superset through the assets API
Settings come from the environment (see settings.py and superset/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from superset_assets import AssetsError, bundle, settings
from superset_assets.client import SupersetClient


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="superset_assets", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="write the bundle ZIP")
    render.add_argument("--out", type=Path, required=True)
    provision = commands.add_parser("provision", help="import the bundle into Superset")
    provision.add_argument("--url", default=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"))
    args = parser.parse_args(argv)
    try:
        rendered = bundle.render(settings.from_env())
        if args.command == "render":
            args.out.write_bytes(rendered.to_zip())
            print(f"wrote {args.out} ({len(rendered.files)} assets)")
        else:
            provision_bundle(rendered, args.url)
            print(f"provisioned {len(rendered.files)} assets into {args.url}")
    except AssetsError as exc:
        print(f"superset_assets: error: {exc}", file=sys.stderr)
        return 1
    return 0


def provision_bundle(rendered: bundle.Bundle, url: str) -> None:
    user = os.environ.get("SUPERSET_ADMIN_USER")
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD")
    if not (user and password):
        raise AssetsError("SUPERSET_ADMIN_USER and SUPERSET_ADMIN_PASSWORD are required")
    client = SupersetClient(url).login(user, password)
    client.import_assets(rendered.to_zip(), rendered.import_passwords())


if __name__ == "__main__":
    sys.exit(main())
