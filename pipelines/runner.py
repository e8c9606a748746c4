"""Run every asset for chosen partitions in this process, in dependency order, with progress lines.

Used by `zero-dropout run` and by the tests. Order: registry per province, then per term the MOE index and
each province's term partition, then each province's history (every loaded term read together, published
only when its blocking checks pass), then the single warehouse writer, then each published partition's
report. Progress: a line when each job starts and ends, and one per asset step.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import logging
import re
import os
import time
from pathlib import Path
from typing import Callable

import dagster as dg
from dagster._utils import interrupts as _dagster_interrupts  # see _StickyInterrupt

from assets.sources import NOTICE
from pipelines.definitions import build_definitions
from assets.partitions import partition_key, term_partitions
from pipelines.preflight import Plan, check
from zero_dropout import inbox as inbox_mod
from zero_dropout import leftovers
from zero_dropout.errors import masked
from pipelines.resources import PipelinePaths, PseudonymKey
from zero_dropout.staging import Staging


class RunFailed(Exception):
    pass


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


@contextlib.contextmanager
def _file_lock(path: Path, waiting: str | None = None, progress: Callable[[str], None] | None = None):
    """An exclusive inter-process lock on ``path`` (released when the process dies, whatever kills it); says
    ``waiting`` once when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting and progress:
                progress(waiting)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def _instance_lock():
    """One process at a time creates or migrates the instance's storage and registers partitions: runs
    started together on a fresh DAGSTER_HOME would otherwise race on the same SQLite tables."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        yield
        return
    with _file_lock(Path(home) / ".zero-dropout.lock"):
        yield


LOCKS = "locks"  # under the warehouse folder: one lock per province, one for the load


@contextlib.contextmanager
def _province_locks(warehouse: Path, provinces: list[str], progress: Callable[[str], None]):
    """Runs of the same province on one warehouse take turns (their term steps share working files and step
    markers); runs of different provinces go on together. Taken in code order, so no two runs wait on each other."""
    with contextlib.ExitStack() as stack:
        for prov in sorted(provinces):
            stack.enter_context(_file_lock(warehouse / LOCKS / f"province={prov}.lock",
                                           f"waiting for another run of province {prov} on this warehouse to finish",
                                           progress))
        yield


def _instance() -> dg.DagsterInstance:
    if not os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.ephemeral()
    with _instance_lock():
        return dg.DagsterInstance.get()


def add_terms(instance: dg.DagsterInstance, terms: list[str]) -> None:
    """Register term partitions; one another process registered meanwhile is not an error."""
    with _instance_lock():
        known = set(instance.get_dynamic_partitions(term_partitions.name))
        missing = [t for t in terms if t not in known]
        if missing:
            instance.add_dynamic_partitions(term_partitions.name, missing)


def _cause(error) -> str:
    """The innermost cause of a step's error (Dagster wraps it), on one masked line."""
    while error.cause is not None:
        error = error.cause
    first = error.message.strip().splitlines()[0] if error.message.strip() else ""
    name = (error.cls_name or "Error").rsplit(".", 1)[-1]
    first = re.sub(rf"^[\w.]*{re.escape(name)}: ", "", first)  # the message often repeats the class
    return first if name == "Failure" else f"{name}: {masked(first)}"


def _failure_reasons(result) -> list[str]:
    reasons = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            if "DagsterAssetCheckFailedError" not in (error.cls_name or ""):
                reasons.append(f"{event.step_key}: {_cause(error)}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            data = event.event_specific_data
            where = data.metadata.get("terms_failing") or data.metadata.get("terms_incomplete")
            reasons.append(f"check {data.check_name} failed" + (f" (term {where.value})" if where is not None else ""))
    return reasons


RUNNER_PID = "zero_dropout/runner_pid"


def fail_abandoned_runs(instance: dg.DagsterInstance) -> int:
    """Runs of this runner left STARTED (or STARTING) by a process that is gone are marked failed."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]))
    gone = [r for r in runs if RUNNER_PID in r.tags and not leftovers.alive(int(r.tags[RUNNER_PID]))]
    for r in gone:
        instance.report_run_failed(r)
    return len(gone)


def kept_version(staging: Staging, province: str) -> str:
    """What the warehouse load uses for a province whose new version was not published."""
    current = staging.current(province)
    if current is None:
        return f"province {province} has no published version yet"
    return (f"province {province} kept its last good version (terms {', '.join(current['terms'])}, "
            f"published {current['published_at']})")


class _StickyInterrupt(dict):
    """Dagster defers SIGINT/SIGTERM while it executes a job and forgets them when the job ends (in process, no
    step checks them): remember one here, so that the runner stops between jobs."""

    def __setitem__(self, key, value):
        if key == "received" and value:
            STOP.set()
        super().__setitem__(key, value)


STOP = threading.Event()
_dagster_interrupts._received_interrupt = _StickyInterrupt(_dagster_interrupts._received_interrupt)


MAX_WAIT_FACTOR = 10  # a file still changing after ten settle times is left to the next run (ingest_files says so)


def wait_for_arriving_files(inbox: Path, progress: Callable[[str], None], sleep=time.sleep) -> None:
    """Wait, before any work, until no file of the inbox changed within the settle time: a file still being
    copied is not read half-way. A file that keeps changing is left out (its partition records it as still
    arriving) once ten settle times have passed."""
    settle = inbox_mod.settle_seconds()
    deadline = time.monotonic() + MAX_WAIT_FACTOR * settle
    told = False
    while True:
        waiting = inbox_mod.arriving(inbox)
        if not waiting or time.monotonic() >= deadline:
            if waiting:
                progress(f"{len(waiting)} inbox files are still changing after {MAX_WAIT_FACTOR * settle:.0f} s: "
                         "they are left for the next run (ingest_files: still arriving)")
            return
        if not told:
            progress(f"waiting for {len(waiting)} inbox files still being copied (read once unchanged for "
                     f"{settle:.0f} s)")
            told = True
        sleep(max(0.2, min(settle - age for _, age in waiting)))


def run(inbox: Path, warehouse: Path, provinces: list[str] | None = None, terms: list[str] | None = None,
        pseudonym_key: str | None = None, progress: Callable[[str], None] = print,
        instance: dg.DagsterInstance | None = None, log_level: str = "CRITICAL") -> Plan:
    """Run the chosen partitions; a partition that fails does not stop the others: the warehouse is loaded
    with every province's last good version and RunFailed lists what failed and what was kept."""
    inbox, warehouse = Path(inbox).resolve(), Path(warehouse).resolve()
    p, key = check(inbox, warehouse, provinces, terms, pseudonym_key)
    wait_for_arriving_files(inbox, progress)
    removed = leftovers.remove(warehouse)
    if any(removed.values()):
        progress(f"removed what a killed run left: {removed['temporary_files']} temporary files, "
                 f"{removed['unfinished_drafts']} unfinished drafts")
    staging = Staging(warehouse)
    # a term loaded earlier stays part of the province (a late file for an earlier term changes later ones)
    report_terms = {prov: sorted(set(p.terms) | set(staging.terms_of("target", "population", prov))) for prov in p.provinces}
    defs = build_definitions({
        "paths": PipelinePaths(inbox_dir=str(inbox), warehouse_dir=str(warehouse)),
        "pseudonym": PseudonymKey(key=key),
    }, automation=False, loggers={"console": dg.colored_console_logger, "progress": _progress_logger(progress)})
    instance = instance or _instance()
    abandoned = fail_abandoned_runs(instance)
    if abandoned:
        progress(f"marked {abandoned} runs failed that a killed zero-dropout run left STARTED")
    add_terms(instance, sorted({t for ts in report_terms.values() for t in ts}))
    total = len(p.provinces) * 2 + len(p.terms) * (1 + len(p.provinces)) + 1 + sum(len(t) for t in report_terms.values())
    step, failures = 0, []

    def execute(job: str, key=None, label: str = "") -> bool:
        nonlocal step
        if STOP.is_set():  # SIGTERM or Ctrl-C during the last job: stop between jobs, every step whole
            raise KeyboardInterrupt
        step += 1
        started = time.perf_counter()
        progress(f"[{step}/{total}] {job} {label}".rstrip() + " ...")
        result = defs.resolve_job_def(job).execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False, tags={RUNNER_PID: str(os.getpid())},
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}, "progress": {}}},
        )
        if not result.success:
            reasons = _failure_reasons(result)
            failures.append(f"{job} {label} failed: " + ("; ".join(reasons) or "see the Dagster event log"))
            progress(f"[{step}/{total}] {job} {label} FAILED: " + ("; ".join(reasons) or "see the Dagster event log"))
            return False
        for event in result.all_events:
            if event.is_step_materialization:
                notice = event.step_materialization_data.materialization.metadata.get(NOTICE)
                if notice is not None:
                    progress(f"      NOTE {notice.value}")
        progress(f"[{step}/{total}] {job} {label} done in {time.perf_counter() - started:.1f} s")
        return True

    with _province_locks(warehouse, p.provinces, progress):
        ready = {prov: execute("registry_job", prov, f"province={prov}") for prov in p.provinces}
        for term in p.terms:
            term_ok = execute("moe_job", term, f"term={term}")
            for prov in p.provinces:
                if ready[prov] and term_ok:
                    ready[prov] = execute("province_term_job", partition_key(prov, term), f"province={prov} term={term}")
                else:
                    ready[prov] = False
        kept = []
        for prov in p.provinces:
            if not (ready[prov] and execute("province_job", prov, f"province={prov}")):
                kept.append(kept_version(staging, prov))
        with _file_lock(warehouse / LOCKS / "load.lock"):  # one load at a time: the last one sees every version
            loaded = execute("warehouse_job", None, "")
        for prov in p.provinces if loaded else []:
            for term in report_terms[prov]:
                if staging.current(prov) and term in staging.current(prov)["terms"]:
                    execute("report_job", partition_key(prov, term), f"province={prov} term={term}")
    for line in kept:
        progress(line)
    if failures:
        raise RunFailed("; ".join(failures + kept))
    return p
