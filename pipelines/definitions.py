"""The Dagster code location: `dagster dev -w workspace.yaml` (or `dagster dev` in the project root) loads this."""

import dagster as dg

import zero_dropout  # noqa: F401  (environment defaults)
from assets import linkage, sources, warehouse
from pipelines.jobs import ALL_JOBS
from pipelines.resources import default_resources

ASSET_MODULES = [sources, linkage, warehouse]


def build_definitions(resources: dict) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=ALL_JOBS,
        resources=resources,
    )


defs = build_definitions(default_resources())
