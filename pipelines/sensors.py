"""The inbox sensor: runs for exactly the partitions a newly dropped file touches, never twice for a file.

It keeps (modification time, size, content hash) per file in its cursor so that only new or changed
files are hashed. New term folders become term partitions. Each run's key is made from the content
hashes of the files of its partition, so re-dropping a file with the same bytes starts nothing.
Downstream assets (linkage, out-of-school, warehouse, report) follow by their automation conditions
(eager: Dagster's automation sensor starts them when their inputs are updated).
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipelines.jobs import SOURCE_JOBS
from assets.partitions import partition_key, term_partitions
from pipelines.resources import PipelinePaths
from zero_dropout import inbox as inbox_mod

SOURCE_JOB = {source: job.name for source, job in SOURCE_JOBS.items()}


def _partition(f: inbox_mod.InboxFile):
    if f.source == "registry":
        return f.province
    if f.source == "moe":
        return f.term
    return partition_key(f.province, f.term)


def plan_runs(paths: PipelinePaths, cursor: dict) -> tuple[list[dg.RunRequest], list[str], dict, int, int]:
    """Run requests for the partitions whose files changed, new terms, and the next cursor."""
    placed = [f for f in inbox_mod.scan(paths.inbox) if f.problem is None]
    # a file still being copied in is left for a later tick (kept out of the cursor, so it is new then)
    settle = inbox_mod.settle_seconds()
    files = [f for f in placed if inbox_mod.arriving_for(f.path, settle) is None]
    arriving = len(placed) - len(files)
    new_cursor, changed = {}, []
    for f in files:
        stat = f.path.stat()
        seen = cursor.get(f.rel)
        if seen and seen[0] == stat.st_mtime_ns and seen[1] == stat.st_size:
            new_cursor[f.rel] = seen
            continue
        digest = inbox_mod.content_hash(f.path)
        new_cursor[f.rel] = [stat.st_mtime_ns, stat.st_size, digest]
        if not seen or seen[2] != digest:
            changed.append(f)
    touched = {(f.source, str(_partition(f))) for f in changed}
    requests = []
    for source, key in sorted(touched):
        members = sorted(new_cursor[f.rel][2] for f in files if f.source == source and str(_partition(f)) == key)
        fingerprint = hashlib.sha256("|".join(members).encode()).hexdigest()[:16]
        pk = partition_key(*key.split("|")) if "|" in key else key
        requests.append(dg.RunRequest(run_key=f"{source}:{key}:{fingerprint}", job_name=SOURCE_JOB[source],
                                      partition_key=pk, tags={"zero_dropout/trigger": "inbox"}))
    terms = sorted({f.term for f in files if f.term})
    return requests, terms, new_cursor, len(changed), arriving


@dg.sensor(jobs=list(SOURCE_JOBS.values()), minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts runs for the partitions a new or changed inbox file touches; adds new terms.")
def inbox_sensor(context: dg.SensorEvaluationContext, paths: PipelinePaths) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    requests, terms, new_cursor, n_changed, arriving = plan_runs(paths, cursor)
    known = set(context.instance.get_dynamic_partitions(term_partitions.name))
    new_terms = [t for t in terms if t not in known]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[term_partitions.build_add_request(new_terms)] if new_terms else [],
        cursor=json.dumps(new_cursor),
        skip_reason=None if requests or new_terms else dg.SkipReason(
            f"no new file ({len(new_cursor)} known" + (f"; {arriving} still arriving, taken once unchanged for "
                                                        f"{inbox_mod.settle_seconds():.0f} s)" if arriving else ")")),
    )
