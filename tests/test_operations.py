"""Operating the pipeline: re-runs are idempotent, parallel runs do not collide, the UI serves the graph."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from pipelines.runner import run
from dagster_dev import DAGSTER, dagster_dev

TABLES = ["out_of_school", "record_links", "review_queue", "quarantine", "ingest_files", "partition_summary"]


def _dump(warehouse) -> dict[str, str]:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl().write_csv() for t in TABLES}
    finally:
        con.close()


def test_rerunning_a_partition_leaves_identical_tables(tmp_path, samples):
    args = dict(provinces=["55"], terms=["2567-1"], pseudonym_key="k", progress=lambda _: None)
    run(samples / "inbox", tmp_path, **args)
    first = _dump(tmp_path)
    run(samples / "inbox", tmp_path, **args)
    assert _dump(tmp_path) == first


def test_two_processes_materialising_different_partitions_at_once_both_succeed(tmp_path, samples):
    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "k", "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DAGSTER_HOME", None)
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(samples / "inbox"), "--warehouse", str(tmp_path)]
    procs = [subprocess.Popen([*cmd, "--province", p], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in ("55", "40")]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-2000:]
    run(samples / "inbox", tmp_path, pseudonym_key="k", progress=lambda _: None)  # the single writer after both
    con = duckdb.connect(str(tmp_path / "restricted.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT province_code) FROM partition_summary").fetchone()[0] == 2
    finally:
        con.close()


@pytest.mark.skipif(not os.path.exists(DAGSTER), reason="dagster CLI not installed")
def test_dagster_dev_serves_the_asset_graph_on_loopback_and_stops_cleanly(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path), "ZERO_DROPOUT_WAREHOUSE": str(tmp_path / "wh")}
    with dagster_dev(env) as (port, nodes, stopped):
        keys = {n["assetKey"]["path"][0] for n in nodes}
        assert {"registry_people", "moe_students", "survey_responses", "target_population", "moe_links", "survey_links",
                "out_of_school_children", "restricted_warehouse", "analyst_warehouse", "province_report"} <= keys
    assert stopped.cleanly, "dagster dev did not stop on SIGTERM"


PROVINCE_TABLES = ("out_of_school", "record_links", "review_queue", "partition_summary", "linkage_model", "cohort_status",
                   "transitions", "link_rates")


def _province_rows(warehouse, province: str) -> dict[str, str]:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return {t: con.sql(f"SELECT * FROM {t} WHERE province_code = '{province}' ORDER BY ALL").pl().write_csv()
                for t in PROVINCE_TABLES}
    finally:
        con.close()


def _status(warehouse, province: str) -> dict:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(f"SELECT * FROM publication_status WHERE province_code = '{province}'").pl().row(0, named=True)
    finally:
        con.close()


def test_a_province_whose_blocking_check_fails_keeps_its_last_good_version(tmp_path, samples):
    import shutil

    from pipelines.runner import RunFailed

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    warehouse = tmp_path / "w"
    args = dict(pseudonym_key="k", progress=lambda _: None)
    run(inbox, warehouse, **args)
    good = _province_rows(warehouse, "40")
    other = next((inbox / "moe" / "2567-1").glob("*other_affiliations*"))
    moved = tmp_path / other.name
    other.rename(moved)  # an incomplete national export: thousands of children look out of school
    lines: list[str] = []
    with pytest.raises(RunFailed, match="moe_link_rate_stable failed \\(term 2567-1\\)"):
        run(inbox, warehouse, pseudonym_key="k", progress=lines.append)
    assert any(line.startswith("province 40 kept its last good version (terms 2566-2, 2567-1") for line in lines)
    assert _province_rows(warehouse, "40") == good  # the load of the failed run still holds the last good version
    status = _status(warehouse, "40")
    assert status["refused_checks"] == "moe_link_rate_stable" and status["refused_terms"] == "2567-1"
    moved.rename(other)
    run(inbox, warehouse, provinces=["55"], **args)  # another province's run loads the warehouse again
    assert _province_rows(warehouse, "40") == good
    run(inbox, warehouse, provinces=["40"], **args)  # the export is whole again: 40 publishes, the refusal is cleared
    assert _province_rows(warehouse, "40") == good and _status(warehouse, "40")["refused_checks"] is None


def test_a_run_killed_inside_a_partition_leaves_the_last_good_version(tmp_path, samples):
    import shutil
    import signal

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    warehouse = tmp_path / "w"
    run(inbox, warehouse, pseudonym_key="k", progress=lambda _: None)
    good = _province_rows(warehouse, "40")
    # the registry of 40 changes (a newer extract with fewer people), and the run is killed inside province 40
    registry = next((inbox / "registry" / "40").iterdir())
    import polars as pl
    newer = inbox / "registry" / "40" / "registry_40_20991231.csv"
    pl.read_excel(registry, infer_schema_length=0).head(500).write_csv(newer)
    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "k", "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--warehouse",
                             str(warehouse), "--province", "40"], env=env, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:  # killed once the first term of 40 has been relinked on the newer extract
        if line.strip().startswith("moe_linkage done"):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    run(inbox, warehouse, provinces=["55"], pseudonym_key="k", progress=lambda _: None)  # the next load
    assert _province_rows(warehouse, "40") == good


def _all_tables(warehouse) -> dict[str, str]:
    out = {}
    for name in ("restricted", "analyst"):
        con = duckdb.connect(str(warehouse / f"{name}.duckdb"), read_only=True)
        try:
            tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
            out |= {f"{name}.{t}": con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl().write_csv()
                    for t in tables if t != "publication_status"}  # (publication times differ)
        finally:
            con.close()
    return out


def test_late_files_for_an_earlier_term_give_the_tables_of_a_clean_run(tmp_path, samples):
    import shutil

    clean = tmp_path / "clean"
    run(samples / "inbox", clean, pseudonym_key="k", progress=lambda _: None)
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    shutil.copy(samples / "provinces.toml", tmp_path)  # the province file beside the inbox, as the samples keep it
    late = tmp_path / "late"
    for folder in [inbox / "moe" / "2566-2", *(inbox / "survey").glob("*/2566-2"), *(inbox / "aid").glob("*/2566-2"),
                   *(inbox / "justice").glob("*/2566-2")]:
        shutil.move(folder, late / folder.relative_to(inbox))
    warehouse = tmp_path / "w"
    run(inbox, warehouse, pseudonym_key="k", progress=lambda _: None)  # 2567-1 alone: no earlier term
    shutil.copytree(late, inbox, dirs_exist_ok=True)
    lines: list[str] = []
    run(inbox, warehouse, terms=["2566-2"], pseudonym_key="k", progress=lines.append)  # only the late term is linked
    assert not any("province_term_job" in line and "2567-1" in line for line in lines)
    assert any("report_job province=40 term=2567-1 done" in line for line in lines)  # its report is rebuilt
    assert _all_tables(warehouse) == _all_tables(clean)


def test_eight_first_runs_at_once_on_a_fresh_instance_all_succeed(tmp_path):
    # a fresh DAGSTER_HOME: creating its storage and registering the term happen once, under a lock
    from zero_dropout.generator import GeneratorConfig, generate
    from zero_dropout.terms import Term

    provinces = ("10", "11", "12", "13", "40", "50", "55", "65")
    generate(GeneratorConfig(provinces, (Term.parse("2567-1"),), 150, seed=3, forms="csv"), tmp_path / "g")
    inbox = tmp_path / "g" / "inbox"
    (tmp_path / "home").mkdir()  # an empty instance folder: its SQLite storage is created by the first run
    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "k", "DAGSTER_DISABLE_TELEMETRY": "1",
           "DAGSTER_HOME": str(tmp_path / "home")}
    warehouse = tmp_path / "w"
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--warehouse", str(warehouse)]
    procs = [subprocess.Popen([*cmd, "--province", p], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in provinces]
    outcomes = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    assert [code for code, _ in outcomes] == [0] * len(provinces), [err[-500:] for code, err in outcomes if code]
    run(inbox, warehouse, provinces=["10"], pseudonym_key="k", progress=lambda _: None)  # one more load after all
    serial = tmp_path / "serial"
    run(inbox, serial, pseudonym_key="k", progress=lambda _: None)
    for table in ("out_of_school", "record_links", "partition_summary", "transitions", "link_rates"):
        together = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
        alone = duckdb.connect(str(serial / "restricted.duckdb"), read_only=True)
        try:
            assert together.sql(f"SELECT * FROM {table} ORDER BY ALL").pl().equals(alone.sql(f"SELECT * FROM {table} ORDER BY ALL").pl()), table
        finally:
            together.close()
            alone.close()


def test_a_term_step_killed_half_way_stops_the_province_until_it_runs_again(tmp_path, samples):
    from pipelines.runner import RunFailed
    from zero_dropout.staging import Staging

    warehouse = tmp_path / "w"
    args = dict(pseudonym_key="k", progress=lambda _: None)
    run(samples / "inbox", warehouse, provinces=["40"], **args)
    good = _province_rows(warehouse, "40")
    # what a kill -9 inside survey_linkage of 2566-2 leaves: its marker removed, its files half rewritten
    Staging(warehouse).step_started("survey_linkage", "40", "2566-2")
    with pytest.raises(RunFailed, match=r"every_term_complete failed \(term 2566-2\)"):
        run(samples / "inbox", warehouse, provinces=["40"], terms=["2567-1"], **args)  # another term of 40
    assert _province_rows(warehouse, "40") == good
    run(samples / "inbox", warehouse, provinces=["40"], terms=["2566-2"], **args)  # the term runs again: whole
    assert _province_rows(warehouse, "40") == good


def test_runs_of_the_same_province_at_once_take_turns_and_equal_a_serial_run(tmp_path):
    # the schedule, an officer and a manual run overlap: two runs of 55, one of 40 and one of both, one warehouse
    from zero_dropout.generator import GeneratorConfig, generate
    from zero_dropout.terms import Term

    generate(GeneratorConfig(("40", "55"), (Term.parse("2567-1"),), 200, seed=4, forms="csv"), tmp_path / "g")
    inbox = tmp_path / "g" / "inbox"
    (tmp_path / "home").mkdir()
    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "k", "DAGSTER_DISABLE_TELEMETRY": "1",
           "DAGSTER_HOME": str(tmp_path / "home")}
    warehouse = tmp_path / "w"
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--warehouse", str(warehouse)]
    which = [["--province", "55"], ["--province", "55"], ["--province", "40"], []]
    procs = [subprocess.Popen([*cmd, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in which]
    outcomes = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [code for code, _, _ in outcomes] == [0] * len(which), [err[-500:] for code, _, err in outcomes if code]
    assert any("waiting for another run of province 55" in out for _, out, _ in outcomes)
    serial = tmp_path / "serial"
    run(inbox, serial, pseudonym_key="k", progress=lambda _: None)
    assert _all_tables(warehouse) == _all_tables(serial)
    drafts = list((warehouse / "staging" / "drafts").glob("province=*/*"))
    assert drafts == []  # every run's draft published or superseded, none left half-written
