"""The command line as a person uses it: one-line errors with exit codes, checks before any work, the last
good registry extract, crash leftovers, and personal data at rest readable by its owner only."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from pipelines.runner import RUNNER_PID, fail_abandoned_runs, run

CLI = [sys.executable, "-m", "pipelines.cli"]


def _cli(*args, env_extra=None, drop=("ZERO_DROPOUT_PSEUDONYM_KEY",), cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "DAGSTER_HOME"}
    env.update(env_extra or {})
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("args, says", [
    (["run", "--term", "abc"], "'abc' is not a term"),
    (["run", "--term", "2567-3"], "'2567-3' is not a term"),
    (["run", "--province", "99"], "'99' is not a DOPA province code"),
    (["run", "--province", "10"], "no registry extract for province 10"),
    (["run", "--term", "2568-1"], "no MOE export for term 2568-1"),
    (["report", "--province", "55", "--term", "2567-1", "--warehouse", "/nonexistent"], "does not exist: run"),
    (["worklist", "--province", "55", "--term", "abc"], "'abc' is not a term"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_is_one_line_and_exit_2(args, says):
    done = _cli(*args)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_run_without_the_key_stops_within_seconds_having_written_nothing(tmp_path, samples):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    started = time.perf_counter()
    done = _cli("run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w"))
    assert time.perf_counter() - started < 5
    assert done.returncode == 2 and "ZERO_DROPOUT_PSEUDONYM_KEY is not set" in done.stderr
    assert not (tmp_path / "w").exists()


def test_a_held_duckdb_lock_is_found_before_any_work(tmp_path, samples):
    warehouse = tmp_path / "w"
    warehouse.mkdir()
    holder = duckdb.connect(str(warehouse / "analyst.duckdb"))  # an analyst opened it read-write
    try:
        for args in (["run", "--warehouse", str(warehouse)],
                     ["report", "--province", "55", "--term", "2567-1", "--warehouse", str(warehouse)]):
            done = _cli(*args)
            assert done.returncode == 2 and "is open in another program" in done.stderr
            assert "duckdb -readonly" in done.stderr and done.stderr.count("\n") == 1
    finally:
        holder.close()
    assert not (warehouse / "staging").exists()


def test_debug_shows_the_traceback():
    done = _cli("run", "--term", "2568-1", "--debug")
    assert done.returncode != 0 and "Traceback" in done.stderr and "UsageError" in done.stderr


def test_a_newer_registry_extract_without_a_usable_row_leaves_the_last_good_one_in_use(tmp_path, samples):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    clean = tmp_path / "clean"
    run(samples / "inbox", clean, provinces=["40"], pseudonym_key="k", progress=lambda _: None)
    (inbox / "registry" / "40" / "registry_40_20991231.csv").write_bytes(b"")  # newer, empty
    lines: list[str] = []
    warehouse = tmp_path / "w"
    run(inbox, warehouse, provinces=["40"], pseudonym_key="k", progress=lines.append)
    assert any("newer registry extract registry/40/registry_40_20991231.csv has no usable row" in line
               and "registry_40_20240610.xlsx stays in use" in line for line in lines)
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    files = dict(con.sql("SELECT source_file, message FROM ingest_files WHERE source = 'registry'").fetchall())
    out = con.execute("SELECT count(*) FROM out_of_school").fetchone()
    con.close()
    assert "in use because the newer extract" in files["registry/40/registry_40_20240610.xlsx"]
    assert files["registry/40/registry_40_20991231.csv"] == "empty file (0 bytes)"
    with duckdb.connect(str(clean / "restricted.duckdb"), read_only=True) as c:
        assert c.execute("SELECT count(*) FROM out_of_school").fetchone() == out


def test_crash_leftovers_are_removed_and_abandoned_runs_marked_failed(tmp_path, samples):
    warehouse = tmp_path / "w"
    run(samples / "inbox", warehouse, provinces=["55"], terms=["2567-1"], pseudonym_key="k", progress=lambda _: None)
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    (warehouse / f".restricted.duckdb.{dead}.building").write_text("half a load")
    (warehouse / f".restricted.duckdb.{dead}.building.wal").write_text("its log")
    draft = warehouse / "staging" / "drafts" / "province=55" / "killed-run"
    draft.mkdir(parents=True)
    (draft / ".owner").write_text(str(dead))
    mine = warehouse / "staging" / f".kept.parquet.{os.getpid()}.tmp"  # a live process's file stays
    mine.write_text("")
    with dg.instance_for_test() as instance:
        job = dg.define_asset_job("noop")
        abandoned = instance.create_run_for_job(
            dg.Definitions(assets=[dg.AssetSpec("x")], jobs=[job]).resolve_job_def("noop"),
            tags={RUNNER_PID: str(dead)})
        instance.handle_run_event(abandoned.run_id, dg.DagsterEvent(
            event_type_value="PIPELINE_START", job_name="noop"))
        assert instance.get_run_by_id(abandoned.run_id).status == dg.DagsterRunStatus.STARTED
        assert fail_abandoned_runs(instance) == 1
        assert instance.get_run_by_id(abandoned.run_id).status == dg.DagsterRunStatus.FAILURE
    lines: list[str] = []
    run(samples / "inbox", warehouse, provinces=["55"], terms=["2567-1"], pseudonym_key="k", progress=lines.append)
    assert any("removed what a killed run left: 2 temporary files, 1 unfinished drafts" in line for line in lines)
    assert not list(warehouse.glob(f".*{dead}*")) and not draft.exists() and mine.exists()


def test_personal_data_at_rest_is_readable_by_its_owner_only(sample_warehouse):
    loose = [p for p in sample_warehouse.rglob("*") if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []


def test_purge_removes_the_rows_of_files_no_longer_in_the_inbox(tmp_path, samples):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    warehouse = tmp_path / "w"
    run(inbox, warehouse, provinces=["55"], pseudonym_key="k", progress=lambda _: None)
    cache = warehouse / "staging" / "ingest_cache"
    entries = len(list(cache.glob("*.json")))
    (inbox / "survey" / "55" / "2567-1" / "survey_55_2567-1.csv").unlink()  # the office deleted it
    done = _cli("purge", "--inbox", str(inbox), "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert "removed 1 ingest cache entries and 1 source staging partitions" in done.stdout
    assert len(list(cache.glob("*.json"))) == entries - 1
    assert not (warehouse / "staging" / "survey" / "province=55" / "term=2567-1").exists()
    run(inbox, warehouse, provinces=["55"], pseudonym_key="k", progress=lambda _: None)
    with duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM record_links WHERE source = 'survey' AND term = '2567-1'").fetchone() == (0,)


def test_a_failed_step_names_its_cause_and_the_other_terms_go_on(tmp_path, samples):
    from pipelines.runner import RunFailed

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    for f in (inbox / "moe" / "2566-2").iterdir():  # every MOE export of a term unusable
        f.write_bytes(b"\x00garbage")
    lines: list[str] = []
    with pytest.raises(RunFailed) as failed:
        run(inbox, tmp_path / "w", provinces=["55"], pseudonym_key="k", progress=lines.append)
    message = str(failed.value)
    assert "moe_job term=2566-2 failed: moe_students: no usable moe file in inbox/moe/2566-2/" in message
    assert "Error occurred while executing" not in message
    assert "province 55 has no published version yet" in message  # its history needs every term it has
