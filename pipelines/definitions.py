"""The Dagster code location: `dagster dev -w workspace.yaml` (or `dagster dev` in the project root) loads this."""

import dagster as dg

from assets import history, linkage, reports, sources, warehouse
from pipelines.jobs import ALL_JOBS
from pipelines.resources import default_resources
from pipelines.schedules import nightly_schedule
from pipelines.sensors import inbox_sensor

ASSET_MODULES = [sources, linkage, history, warehouse, reports]


def build_definitions(resources: dict, automation: bool = True, loggers: dict | None = None) -> dg.Definitions:
    """``automation=False`` leaves out the schedule and the sensor (the in-process runner needs neither);
    ``loggers`` adds loggers to every job (the runner's progress lines)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=ALL_JOBS,
        schedules=[nightly_schedule] if automation else [],
        sensors=[inbox_sensor] if automation else [],
        resources=resources,
        loggers=loggers,
    )


defs = build_definitions(default_resources())
