"""The nightly schedule: at 01:00 Asia/Bangkok, link and classify the current term of every province.

Run keys come from the content hashes of the files a partition reads (the province's registry
extract, the term's MOE exports and the province's surveys of the term), so a night with nothing new
starts no run at all (Dagster skips a run key it has seen), and therefore does no linkage work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

import dagster as dg

from pipelines.jobs import province_term_job
from assets.partitions import partition_key, term_partitions
from pipelines.resources import PipelinePaths
from zero_dropout import inbox as inbox_mod
from zero_dropout.terms import current_term

BANGKOK = "Asia/Bangkok"


def nightly_requests(paths: PipelinePaths, today: dt.date) -> tuple[str, list[dg.RunRequest]]:
    """One run of the province-term job per province, keyed by the hashes of every file it reads."""
    term = str(current_term(today))
    files = [f for f in inbox_mod.scan(paths.inbox) if f.problem is None]
    moe = [f for f in files if f.source == "moe" and f.term == term]
    requests = []
    for p in sorted({f.province for f in files if f.source == "registry"}):
        members = moe + [f for f in files if f.province == p and (f.source == "registry" or f.term == term)]
        if not moe:
            continue
        fingerprint = hashlib.sha256("|".join(sorted(inbox_mod.content_hash(f.path) for f in members)).encode()).hexdigest()[:16]
        requests.append(dg.RunRequest(run_key=f"nightly:{p}|{term}:{fingerprint}", partition_key=partition_key(p, term),
                                      tags={"zero_dropout/trigger": "nightly"}))
    return term, requests


@dg.schedule(job=province_term_job, cron_schedule="0 1 * * *", execution_timezone=BANGKOK,
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="01:00 Bangkok: link and classify the current term of every province whose inputs changed.")
def nightly_schedule(context: dg.ScheduleEvaluationContext, paths: PipelinePaths):
    when = context.scheduled_execution_time or dt.datetime.now(zoneinfo.ZoneInfo(BANGKOK))
    term, requests = nightly_requests(paths, when.astimezone(zoneinfo.ZoneInfo(BANGKOK)).date())
    if term not in set(context.instance.get_dynamic_partitions(term_partitions.name)):
        context.instance.add_dynamic_partitions(term_partitions.name, [term])
    return requests or dg.SkipReason(f"no MOE export for the current term {term} in the inbox")
