"""Run every asset for chosen partitions in this process, in dependency order, with progress lines.

Used by `zero-dropout run` and by the tests. Order: the registry of every province, then per term the MOE index
and the term partitions of every province, then every province's history (every loaded term read together,
published only when its blocking checks pass), then the single warehouse writer, then each published
partition's report. Each job runs once for a whole range of consecutive partitions (76 provinces are one run,
not 76); a range that fails is run again one partition at a time, so that one province's failure never stops
the others. Progress: a line when each job starts and ends, one per asset step, and a bar with rate and time
left while a step works through many partitions.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import logging
import re
import os
import sys
import time
from pathlib import Path
from typing import Callable

import dagster as dg
from dagster._utils import interrupts as _dagster_interrupts  # see _StickyInterrupt

from assets.sources import NOTICE
from pipelines.definitions import build_definitions
from assets.partitions import partition_key, province_partitions, read_progress_line, term_partitions
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.preflight import Plan, check
from zero_dropout import inbox as inbox_mod
from zero_dropout import leftovers, polars_engine, privacy
from zero_dropout.errors import masked
from pipelines.resources import PipelinePaths, PseudonymKey
from zero_dropout.staging import Staging


class RunFailed(Exception):
    pass


def bar(done: int, total: int, elapsed: float, unit: str = "partitions", width: int = 20) -> str:
    """``[#########-----------] 38/76 partitions, 4.1/s, about 9 s left``"""
    filled = int(width * done / total) if total else width
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate else 0.0
    when = f"about {left:.0f} s left" if left < 120 else f"about {left / 60:.1f} min left"
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {unit}, {rate:.1f}/s, " + (when if done < total else "done")


class _StepProgress(logging.Handler):
    """Turns Dagster's step events into progress lines (step names and timings only), and the partition progress
    an asset logs into a bar (counts only): redrawn in place on a terminal, else a line at each tenth."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__(logging.DEBUG)
        self.progress, self.started, self.shown = progress, {}, {}
        self.tty = progress is print and sys.stdout.isatty()

    def _partition_progress(self, step: str, done: int, total: int, elapsed: float) -> None:
        line = f"      {step} " + bar(done, total, elapsed)
        if self.tty:
            sys.stdout.write("\r" + line + ("\n" if done == total else ""))
            sys.stdout.flush()
        elif total >= 10 and (done * 10 // total > self.shown.get(step, 0) or done == total):
            self.shown[step] = done * 10 // total
            self.progress(line)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        counts = read_progress_line(str(meta.get("orig_message") or "")) if event is None else None
        if counts and meta.get("step_key"):
            self._partition_progress(meta["step_key"], *counts)
            return
        if event is None or not event.step_key:
            return
        if event.event_type_value == "STEP_START":
            self.started[event.step_key] = time.perf_counter()
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.shown.pop(event.step_key, None)
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


def _failure_reasons(events) -> list[str]:
    reasons = []
    for event in events:
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


class _InProcess:
    """Each job run executed in this process (``execute_in_process``), steps one after the other."""

    def __init__(self, inbox: Path, warehouse: Path, key: str, progress: Callable[[str], None], log_level: str):
        self.defs = build_definitions({
            "paths": PipelinePaths(inbox_dir=str(inbox), warehouse_dir=str(warehouse)),
            "pseudonym": PseudonymKey(key=key),
        }, automation=False, loggers={"console": dg.colored_console_logger, "progress": _progress_logger(progress)})
        self.log_level = log_level

    def __call__(self, job: str, keys: list, tags: dict, instance: dg.DagsterInstance) -> tuple[bool, list]:
        result = self.defs.resolve_job_def(job).execute_in_process(
            partition_key=keys[0] if len(keys) == 1 else None, instance=instance, raise_on_error=False, tags=tags,
            run_config={"loggers": {"console": {"config": {"log_level": self.log_level}}, "progress": {}}},
        )
        return result.success, result.all_events


def run(inbox: Path, warehouse: Path, provinces: list[str] | None = None, terms: list[str] | None = None,
        pseudonym_key: str | None = None, progress: Callable[[str], None] = print,
        instance: dg.DagsterInstance | None = None, log_level: str = "CRITICAL", deployment: str | None = None) -> Plan:
    """Run the chosen partitions; a partition that fails does not stop the others: the warehouse is loaded
    with every province's last good version and RunFailed lists what failed and what was kept.

    ``deployment`` (the URL of a deployment's Dagster webserver): each job run is submitted to the deployment's
    run queue instead, its steps run where the deployment's executor sends them (Celery workers), and the
    next run starts when it ended; the instance is the deployment's ($DAGSTER_HOME)."""
    privacy.owner_only()  # whoever calls it (the command, a test, a benchmark): what a run writes is 0600 / 0700
    polars_engine.use_in_memory()
    inbox, warehouse = Path(inbox).resolve(), Path(warehouse).resolve()
    p, key = check(inbox, warehouse, provinces, terms, pseudonym_key)
    wait_for_arriving_files(inbox, progress)
    if deployment is None:  # on a deployment, a worker elsewhere may be writing: its own runs clean up after it
        removed = leftovers.remove(warehouse)
        if any(removed.values()):
            progress(f"removed what a killed run left: {removed['temporary_files']} temporary files, "
                     f"{removed['unfinished_drafts']} unfinished drafts")
    staging = Staging(warehouse)
    # a term loaded earlier stays part of the province (a late file for an earlier term changes later ones)
    report_terms = {prov: sorted(set(p.terms) | set(staging.terms_of("target", "population", prov))) for prov in p.provinces}
    if deployment is None:
        launch = _InProcess(inbox, warehouse, key, progress, log_level)
        instance = instance or _instance()
    else:
        from pipelines.deployment import Submitted

        launch = Submitted(deployment, progress)
        instance = instance or dg.DagsterInstance.get()
    abandoned = fail_abandoned_runs(instance) if deployment is None else 0  # a deployment's runs are its own
    if abandoned:
        progress(f"marked {abandoned} runs failed that a killed zero-dropout run left STARTED")
    add_terms(instance, sorted({t for ts in report_terms.values() for t in ts}))
    failures: list[str] = []
    groups = len(province_ranges(p.provinces))
    jobs = [0, groups * (2 + len(p.terms)) + len(p.terms) + 1 + groups * len({t for ts in report_terms.values() for t in ts})]

    def execute(job: str, keys: list, label: str) -> bool:
        """One run of ``job`` for ``keys`` (one partition, or a range of consecutive ones; none: unpartitioned)."""
        if STOP.is_set():  # SIGTERM or Ctrl-C during the last job: stop between jobs, every step whole
            raise KeyboardInterrupt
        jobs[0] += 1
        jobs[1] = max(jobs)  # a failed range run again one partition at a time adds runs
        step = f"[{jobs[0]}/{jobs[1]}]"
        started = time.perf_counter()
        progress(f"{step} {job} {label}".rstrip() + " ...")
        tags = {RUNNER_PID: str(os.getpid())} if deployment is None else {}
        if len(keys) > 1 or (deployment and keys[0] is not None):  # a submitted run names its partitions by tags
            tags.update({ASSET_PARTITION_RANGE_START_TAG: str(keys[0]), ASSET_PARTITION_RANGE_END_TAG: str(keys[-1])})
        success, events = launch(job, keys, tags, instance)
        if not success:
            reasons = "; ".join(_failure_reasons(events)) or "see the Dagster event log"
            if len(keys) > 1:
                progress(f"{step} {job} {label} FAILED ({reasons}): running its partitions one at a time")
            else:
                failures.append(f"{job} {label} failed: {reasons}")
                progress(f"{step} {job} {label} FAILED: {reasons}")
            return False
        for event in events:
            if event.is_step_materialization:
                notice = event.step_materialization_data.materialization.metadata.get(NOTICE)
                if notice is not None:
                    progress(f"      NOTE {notice.value}")
        progress(f"{step} {job} {label} done in {time.perf_counter() - started:.1f} s")
        return True

    def each_range(job: str, provinces: list[str], term: str | None = None) -> set[str]:
        """``job`` for ``provinces`` (of ``term``), a run per range of consecutive provinces; the provinces that
        succeeded. A failed range is run again one province at a time."""
        key = (lambda prov: partition_key(prov, term)) if term else (lambda prov: prov)
        where = f" term={term}" if term else ""
        ok: set[str] = set()
        for group in province_ranges(provinces):
            label = (f"province={group[0]}" if len(group) == 1 else
                     f"provinces {group[0]}-{group[-1]} ({len(group)} partitions)") + where
            if execute(job, [key(prov) for prov in group], label):
                ok.update(group)
            elif len(group) > 1:
                ok.update(prov for prov in group if execute(job, [key(prov)], f"province={prov}{where}"))
        return ok

    with _province_locks(warehouse, p.provinces, progress):
        ready = each_range("registry_job", p.provinces)
        for term in p.terms:
            term_ok = execute("moe_job", [term], f"term={term}")
            ready = each_range("province_term_job", sorted(ready), term) if term_ok else set()
        published = each_range("province_job", sorted(ready))
        kept = [kept_version(staging, prov) for prov in p.provinces if prov not in published]
        with _file_lock(warehouse / LOCKS / "load.lock"):  # one load at a time: the last one sees every version
            loaded = execute("warehouse_job", [None], "")
        for term in sorted({t for ts in report_terms.values() for t in ts}) if loaded else []:
            current = {prov: staging.current(prov) for prov in p.provinces}
            each_range("report_job", [prov for prov in p.provinces
                                      if term in report_terms[prov] and current[prov] and term in current[prov]["terms"]],
                       term)
    for line in kept:
        progress(line)
    if failures:
        raise RunFailed("; ".join(failures + kept))
    return p


def province_ranges(provinces: list[str]) -> list[list[str]]:
    """The provinces as runs of consecutive partition keys (one Dagster key range each), in code order."""
    order = {key: i for i, key in enumerate(province_partitions.get_partition_keys())}
    ranges: list[list[str]] = []
    for prov in sorted(provinces, key=order.__getitem__):
        if ranges and order[ranges[-1][-1]] == order[prov] - 1:
            ranges[-1].append(prov)
        else:
            ranges.append([prov])
    return ranges
