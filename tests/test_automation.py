"""The nightly schedule and the inbox sensor, evaluated with Dagster's test contexts."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import zoneinfo
from pathlib import Path

import dagster as dg

from pipelines.resources import PipelinePaths, PseudonymKey
from pipelines.schedules import nightly_schedule
from pipelines.sensors import inbox_sensor


def _resources(inbox, tmp_path):
    return {"paths": PipelinePaths(inbox_dir=str(inbox), warehouse_dir=str(tmp_path / "wh")), "pseudonym": PseudonymKey(key="k")}


def test_sensor_requests_each_touched_partition_once_and_adds_terms(tmp_path, samples):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance, resources=_resources(inbox, tmp_path))
    first = inbox_sensor(ctx)
    jobs = sorted((r.job_name, str(r.partition_key)) for r in first.run_requests)
    assert jobs == sorted([("registry_job", "40"), ("registry_job", "55"), ("moe_job", "2566-2"), ("moe_job", "2567-1")]
                          + [(f"{src}_job", f"{p}|{t}") for src in ("survey", "aid", "justice")
                             for p in ("40", "55") for t in ("2566-2", "2567-1")])
    assert first.dynamic_partitions_requests[0].partition_keys == ["2566-2", "2567-1"]

    # nothing new: no run; a copy of a file with the same bytes under another name: same run key
    again = inbox_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=_resources(inbox, tmp_path)))
    assert again.run_requests == []
    src = inbox / "survey" / "55" / "2567-1" / "survey_55_2567-1.csv"
    new = inbox / "survey" / "55" / "2567-1" / "survey_55_2567-1_b.csv"
    new.write_bytes(src.read_bytes().replace(b"S25671-000001", b"S25671-999999"))
    third = inbox_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=_resources(inbox, tmp_path)))
    assert [(r.job_name, str(r.partition_key)) for r in third.run_requests] == [("survey_job", "55|2567-1")]
    assert third.run_requests[0].run_key not in {r.run_key for r in first.run_requests}


def test_nightly_schedule_runs_the_current_term_and_nothing_new_means_the_same_run_keys(tmp_path, samples):
    _in_own_process("check_nightly_schedule", samples, tmp_path)


def _in_own_process(check: str, samples: Path, tmp_path: Path) -> None:
    """Run ``check`` of this module in a fresh interpreter: a schedule context with resources needs a
    persistent test instance, whose teardown leaves Dagster state that later in-process runs trip over."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_automation as t; " \
           f"t.{check}(Path({str(samples)!r}), Path({str(tmp_path)!r}))"
    proc = subprocess.run([sys.executable, "-c", "from pathlib import Path; " + code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def check_nightly_schedule(samples, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    with dg.instance_for_test() as instance:  # a schedule context with resources needs an instance with a ref
        _nightly(inbox, tmp_path, instance)


def _nightly(inbox, tmp_path, instance):
    when = dt.datetime(2024, 7, 1, 1, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Bangkok"))  # during semester 1/2567

    def evaluate():
        ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=when, resources=_resources(inbox, tmp_path))
        return list(nightly_schedule(ctx))

    first = evaluate()
    assert sorted(str(r.partition_key) for r in first) == ["40|2567-1", "55|2567-1"]
    assert "2567-1" in instance.get_dynamic_partitions("term")
    assert [r.run_key for r in evaluate()] == [r.run_key for r in first]  # Dagster skips keys it has run
    (inbox / "moe" / "2567-1" / "late_export.csv").write_bytes(
        (inbox / "moe" / "2567-1" / "moe_2567-1_other_affiliations.csv").read_bytes()[:2000])
    assert not ({r.run_key for r in evaluate()} & {r.run_key for r in first})
    later = dg.build_schedule_context(instance=instance, resources=_resources(inbox, tmp_path),
                                      scheduled_execution_time=dt.datetime(2026, 6, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Bangkok")))
    assert isinstance(nightly_schedule(later), dg.SkipReason)  # no export for 1/2569 yet
    assert nightly_schedule.cron_schedule == "0 1 * * *" and nightly_schedule.execution_timezone == "Asia/Bangkok"


def test_a_source_run_makes_the_partitions_it_feeds_follow(tmp_path, samples):
    # after the sensor's source runs, Dagster's automation sensor requests exactly the province-term partitions
    # whose inputs were updated; once they ran, the province's history and its publication; then the load
    _in_own_process("check_follow", samples, tmp_path)


def test_a_late_file_for_an_earlier_term_makes_the_province_follow(tmp_path, samples):
    _in_own_process("check_late_term_follows", samples, tmp_path)


from assets.history import HISTORY_ASSETS  # noqa: E402
from assets.linkage import TERM_ASSETS  # noqa: E402

PROVINCE_ASSETS = (*HISTORY_ASSETS, "published_province")


def _automation(samples, tmp_path):
    from pipelines.definitions import build_definitions

    defs = build_definitions(_resources(samples / "inbox", tmp_path))
    keys = [dg.AssetKey(k) for k in (*TERM_ASSETS, *PROVINCE_ASSETS, "restricted_warehouse")]

    def requested(instance, cursor=None):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        asked = {k.path[0]: sorted(str(p) for p in result.get_requested_partitions(k)) for k in keys}
        return result, {k: v for k, v in asked.items() if v}

    return defs, requested


def check_follow(samples, tmp_path):
    from assets.partitions import partition_key

    defs, requested = _automation(samples, tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("term", ["2567-1"])
        result, asked = requested(instance)
        assert asked == {}  # nothing materialised yet: nothing to follow
        for job, key in (("registry_job", "55"), ("moe_job", "2567-1"), ("survey_job", partition_key("55", "2567-1")),
                         ("aid_job", partition_key("55", "2567-1")), ("justice_job", partition_key("55", "2567-1"))):
            assert defs.resolve_job_def(job).execute_in_process(partition_key=key, instance=instance).success
        result, asked = requested(instance, result.cursor)
        # exactly the partition the five source runs feed, the whole term chain planned in one tick; province 40
        # (no registry run yet) and every other term stay untouched; the province waits for its term to run
        # (the load follows the sources at once: their ingest_files and quarantine are data health)
        assert asked == {**{k: ["55|2567-1"] for k in TERM_ASSETS}, "restricted_warehouse": ["None"]}
        result, asked = requested(instance, result.cursor)
        assert asked == {}  # requested once, not again on the next tick
        assert defs.resolve_job_def("province_term_job").execute_in_process(
            partition_key=partition_key("55", "2567-1"), instance=instance).success
        result, asked = requested(instance, result.cursor)
        # the history, once its term ran (and the load for the survey file's data health)
        assert asked == {**{k: ["55"] for k in PROVINCE_ASSETS[:-1]}, "restricted_warehouse": ["None"]}
        history = defs.resolve_job_def("province_job").get_subset(asset_selection={dg.AssetKey(k) for k in PROVINCE_ASSETS[:-1]})
        assert history.execute_in_process(partition_key="55", instance=instance).success
        result, asked = requested(instance, result.cursor)
        assert asked == {"published_province": ["55"]}  # its blocking checks passed: publish
        publish = defs.resolve_job_def("province_job").get_subset(asset_selection={dg.AssetKey("published_province")})
        assert publish.execute_in_process(partition_key="55", instance=instance).success
        result, asked = requested(instance, result.cursor)
        assert asked == {"restricted_warehouse": ["None"]}  # the new version is loaded


def check_late_term_follows(samples, tmp_path):
    from assets.partitions import partition_key

    defs, requested = _automation(samples, tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("term", ["2566-2", "2567-1"])
        for job, key in (("registry_job", "55"), ("moe_job", "2567-1"), ("province_term_job", partition_key("55", "2567-1")),
                         ("province_job", "55")):
            assert defs.resolve_job_def(job).execute_in_process(partition_key=key, instance=instance).success
        result, _ = requested(instance)
        # 2566-2's exports arrive after 2567-1 was published
        for job, key in (("moe_job", "2566-2"), ("province_term_job", partition_key("55", "2566-2"))):
            assert defs.resolve_job_def(job).execute_in_process(partition_key=key, instance=instance).success
        result, asked = requested(instance, result.cursor)
        # the province's history reads every term again (2567-1's categories and transitions change) and, in the
        # same run, publishes when its blocking checks pass
        assert {k: v for k, v in asked.items() if k in PROVINCE_ASSETS} == {k: ["55"] for k in PROVINCE_ASSETS}
