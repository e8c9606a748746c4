"""The Dagster code location: `dagster dev -w workspace.yaml` (or `dagster dev` in the project root) loads this."""

import os

import dagster as dg

from assets import history, linkage, reports, sources, warehouse
from pipelines.jobs import ALL_JOBS
from pipelines.resources import default_resources
from pipelines.schedules import nightly_schedule
from pipelines.sensors import inbox_sensor

ASSET_MODULES = [sources, linkage, history, warehouse, reports]


EXECUTOR_ENV = "ZERO_DROPOUT_EXECUTOR"


def executor() -> dg.ExecutorDefinition | None:
    """Where a launched run's steps execute: Dagster's multiprocess executor (every core of the machine) unless
    ``ZERO_DROPOUT_EXECUTOR=celery`` sends them to Celery workers (deploy/celery.yaml: broker and result backend
    from ``ZERO_DROPOUT_CELERY_BROKER`` and ``ZERO_DROPOUT_CELERY_BACKEND``). `zero-dropout run` executes in
    process whatever this says."""
    if os.environ.get(EXECUTOR_ENV, "multiprocess") == "multiprocess":
        return dg.multiprocess_executor
    if os.environ[EXECUTOR_ENV] != "celery":
        raise ValueError(f"{EXECUTOR_ENV} must be multiprocess or celery")
    from dagster_celery import celery_executor

    return celery_executor.configured({"broker": {"env": "ZERO_DROPOUT_CELERY_BROKER"},
                                       "backend": {"env": "ZERO_DROPOUT_CELERY_BACKEND"},
                                       "config_source": {"worker_prefetch_multiplier": 1, "task_acks_late": True}},
                                      name="celery")


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
        executor=executor(),
    )


defs = build_definitions(default_resources())
