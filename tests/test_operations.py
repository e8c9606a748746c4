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
    cmd = [sys.executable, "-m", "zero_dropout.cli", "run", "--inbox", str(samples / "inbox"), "--warehouse", str(tmp_path)]
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


def _province_rows(warehouse, province: str) -> dict[str, str]:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return {t: con.sql(f"SELECT * FROM {t} WHERE province_code = '{province}' ORDER BY ALL").pl().write_csv()
                for t in ("out_of_school", "record_links", "review_queue", "partition_summary", "linkage_model")}
    finally:
        con.close()


def test_a_partition_whose_blocking_check_fails_keeps_its_last_good_version(tmp_path, samples):
    import shutil

    from pipelines.runner import RunFailed

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    warehouse = tmp_path / "w"
    args = dict(pseudonym_key="k", progress=lambda _: None)
    run(inbox, warehouse, **args)
    good = _province_rows(warehouse, "40")
    staged = sorted((p, p.stat().st_mtime_ns) for p in (warehouse / "staging" / "links").rglob("province=40/term=2567-1/moe_*"))
    assert len(staged) == 4  # links, review, model, link rate
    other = next((inbox / "moe" / "2567-1").glob("*other_affiliations*"))
    moved = tmp_path / other.name
    other.rename(moved)  # an incomplete national export: thousands of children look out of school
    lines: list[str] = []
    with pytest.raises(RunFailed, match="moe_link_rate_stable failed; the partition kept its last good version"):
        run(inbox, warehouse, pseudonym_key="k", progress=lines.append)
    assert sorted((p, p.stat().st_mtime_ns) for p in (warehouse / "staging" / "links").rglob("province=40/term=2567-1/moe_*")) == staged
    moved.rename(other)
    run(inbox, warehouse, provinces=["55"], **args)  # another province's run loads the warehouse again
    assert _province_rows(warehouse, "40") == good
