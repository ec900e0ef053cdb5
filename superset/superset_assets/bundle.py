"""Render superset/assets/**.yaml.j2 into an import bundle (a ZIP in Superset's format).

Templates are Superset export files with three conveniences, filled in here:
- ``{{ own_uuid }}`` and ``{{ uuid_of('datasets/analytics/requests_daily') }}``: UUIDs
  derived from file paths, stable across renders, so an import updates in place;
- charts get their ``query_context`` (what ``/api/v1/chart/<id>/data/`` runs) from
  their ``params`` (see query_context.py);
- dashboards give ``layout`` and ``filters`` in short form, expanded into ``position``
  and ``native_filter_configuration`` (see dashboards.py).
Templates whose name starts with ``_`` are macros, not assets.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from superset_assets import AssetsError, dashboards, query_context
from superset_assets.settings import AssetSettings

TEMPLATES = Path(__file__).resolve().parents[1] / "assets"
KINDS = ("databases", "datasets", "charts", "dashboards")
# Never change: every asset's UUID derives from it, and Superset matches assets by UUID.
NAMESPACE = uuid.UUID("5d1f6f0e-6c2e-4a59-9a43-7c1b0e9a4b21")
BUNDLE_ROOT = "georchestra_analytics"
VERSION = "1.0.0"


def asset_uuid(key: str) -> str:
    """The UUID of the asset at ``key`` ("charts/overview_requests_by_site")."""
    return str(uuid.uuid5(NAMESPACE, key))


@dataclass
class Bundle:
    """Rendered assets by bundle path ("charts/x.yaml"), and the database passwords."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return {path: cfg for path, cfg in self.files.items() if path.startswith(f"{kind}/")}

    def by_uuid(self) -> dict[str, dict[str, Any]]:
        return {cfg["uuid"]: cfg for cfg in self.files.values()}

    def to_zip(self) -> bytes:
        buffer = io.BytesIO()
        metadata = {"version": VERSION, "type": "assets", "timestamp": "1970-01-01T00:00:00"}
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{BUNDLE_ROOT}/metadata.yaml", yaml.safe_dump(metadata))
            for path, config in sorted(self.files.items()):
                archive.writestr(f"{BUNDLE_ROOT}/{path}", yaml.safe_dump(config, sort_keys=False))
        return buffer.getvalue()

    def import_passwords(self) -> dict[str, str]:
        """The ``passwords`` form field of the import API: path in the bundle -> password."""
        return dict(self.passwords)


def render(settings: AssetSettings, templates: Path = TEMPLATES) -> Bundle:
    """Render every template for this platform and complete charts and dashboards."""
    env = _environment(settings, templates)
    bundle = Bundle()
    for kind in KINDS:
        for template in sorted((templates / kind).rglob("*.yaml.j2")):
            if not template.name.startswith("_"):
                path = template.relative_to(templates).as_posix().removesuffix(".j2")
                bundle.files[path] = _render_one(env, path)
    for path in bundle.of_kind("databases"):
        bundle.passwords[path] = settings.connection.password
    _complete(bundle)
    return bundle


def _environment(settings: AssetSettings, templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML
    )
    env.globals.update(
        connection=settings.connection,
        timezone=settings.timezone,
        sites=settings.sites,
        base_map_url=settings.base_map_url,
        uuid_of=asset_uuid,
    )
    return env


def _render_one(env: jinja2.Environment, path: str) -> dict[str, Any]:
    key = path.removesuffix(".yaml")
    try:
        text = env.get_template(f"{path}.j2").render(own_uuid=asset_uuid(key))
        config = yaml.safe_load(text)
    except (jinja2.TemplateError, yaml.YAMLError) as exc:
        raise AssetsError(f"superset/assets/{path}.j2: {exc}") from exc
    if not isinstance(config, dict) or config.get("uuid") != asset_uuid(key):
        raise AssetsError(f"superset/assets/{path}.j2: a mapping with 'uuid: {{{{ own_uuid }}}}'")
    config.setdefault("version", VERSION)
    return config


def _complete(bundle: Bundle) -> None:
    datasets = {cfg["uuid"]: cfg for cfg in bundle.of_kind("datasets").values()}
    charts = bundle.of_kind("charts")
    for path, chart in charts.items():
        dataset = datasets.get(chart.get("dataset_uuid", ""))
        if dataset is None:
            raise AssetsError(f"superset/assets/{path}.j2: dataset_uuid names no dataset")
        try:
            query_context.complete(chart, dataset)
        except AssetsError as exc:
            raise AssetsError(f"superset/assets/{path}.j2: {exc}") from exc
    by_name = {Path(path).stem: cfg for path, cfg in charts.items()}
    for path, dashboard in bundle.of_kind("dashboards").items():
        try:
            dashboards.expand(dashboard, by_name, datasets)
        except AssetsError as exc:
            raise AssetsError(f"superset/assets/{path}.j2: {exc}") from exc
