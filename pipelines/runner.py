"""Run every asset for chosen partitions in this process, in dependency order, with progress lines.

Used by `zero-dropout run` and by the tests. Order: registry per province, then
per term (ascending, so earlier terms are loaded first) the MOE index and each
province's partition, then the single warehouse writer, then each partition's
report. Progress: a line when each job starts and ends, and one per asset step.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.partitions import partition_key, term_partitions
from pipelines.resources import KEY_ENV, PipelinePaths, PseudonymKey
from zero_dropout import inbox as inbox_mod


class RunFailed(Exception):
    pass


@dataclass
class Plan:
    provinces: list[str]
    terms: list[str]

    @property
    def steps(self) -> int:
        return len(self.provinces) + len(self.terms) * (1 + 2 * len(self.provinces)) + 1


def plan(inbox: Path, provinces: list[str] | None = None, terms: list[str] | None = None) -> Plan:
    found_p, found_t = inbox_mod.provinces_and_terms(inbox)
    registry_provinces = sorted({f.province for f in inbox_mod.files_for(inbox, "registry")})
    chosen_p = sorted(provinces) if provinces else registry_provinces
    chosen_t = sorted(terms) if terms else found_t
    missing = [p for p in chosen_p if p not in registry_provinces]
    if missing:
        raise RunFailed(f"no registry extract under inbox/registry/ for province(s) {', '.join(missing)}")
    if not chosen_p or not chosen_t:
        raise RunFailed(f"nothing to run: provinces {chosen_p or 'none'} and terms {chosen_t or 'none'} found in {inbox}")
    return Plan(chosen_p, chosen_t)


class _StepProgress(logging.Handler):
    """Turns Dagster's step events into progress lines (step names and timings only)."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__(logging.DEBUG)
        self.progress, self.started = progress, {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None or not event.step_key:
            return
        if event.event_type_value == "STEP_START":
            self.started[event.step_key] = time.perf_counter()
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            took = time.perf_counter() - self.started.pop(event.step_key, time.perf_counter())
            word = "done" if event.event_type_value == "STEP_SUCCESS" else "FAILED"
            self.progress(f"      {event.step_key} {word} in {took:.1f} s")


def _progress_logger(progress: Callable[[str], None]) -> dg.LoggerDefinition:
    @dg.logger(description="progress lines of `zero-dropout run`")
    def step_progress(_init_context):
        log = logging.Logger("zero_dropout.progress", logging.DEBUG)
        log.addHandler(_StepProgress(progress))
        return log

    return step_progress


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run(inbox: Path, warehouse: Path, provinces: list[str] | None = None, terms: list[str] | None = None,
        pseudonym_key: str | None = None, progress: Callable[[str], None] = print,
        instance: dg.DagsterInstance | None = None, log_level: str = "CRITICAL") -> Plan:
    inbox, warehouse = Path(inbox).resolve(), Path(warehouse).resolve()
    p = plan(inbox, provinces, terms)
    key = pseudonym_key if pseudonym_key is not None else os.environ.get(KEY_ENV, "")
    defs = build_definitions({
        "paths": PipelinePaths(inbox_dir=str(inbox), warehouse_dir=str(warehouse)),
        "pseudonym": PseudonymKey(key=key),
    }, automation=False, loggers={"console": dg.colored_console_logger, "progress": _progress_logger(progress)})
    instance = instance or _instance()
    instance.add_dynamic_partitions(term_partitions.name, p.terms)
    step = 0

    def execute(job: str, key=None, label: str = "") -> None:
        nonlocal step
        step += 1
        started = time.perf_counter()
        progress(f"[{step}/{p.steps}] {job} {label}".rstrip() + " ...")
        result = defs.resolve_job_def(job).execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}, "progress": {}}},
        )
        if not result.success:
            reasons = []
            for event in result.all_events:
                if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                    reasons.append(f"{event.step_key}: {event.step_failure_data.error.message.strip()}")
                elif event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
                    kept = event.event_specific_data.metadata.get("published")
                    reasons.append(f"check {event.event_specific_data.check_name} failed"
                                   + ("; the partition kept its last good version" if kept is not None and not kept.value else ""))
            raise RunFailed(f"{job} {label} failed: " + ("; ".join(reasons) or "see the Dagster event log"))
        progress(f"[{step}/{p.steps}] {job} {label} done in {time.perf_counter() - started:.1f} s")

    for province in p.provinces:
        execute("registry_job", province, f"province={province}")
    for term in p.terms:
        execute("moe_job", term, f"term={term}")
        for province in p.provinces:
            execute("province_term_job", partition_key(province, term), f"province={province} term={term}")
    execute("warehouse_job", None, "")
    for term in p.terms:
        for province in p.provinces:
            execute("report_job", partition_key(province, term), f"province={province} term={term}")
    return p
