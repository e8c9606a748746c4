"""Ingestion as a data officer meets it in Dagster: a bad file does not stop the run, counts (never values)
in the metadata, and the row-balance check on every source asset."""

from __future__ import annotations

import re
import shutil

import dagster as dg
import duckdb
import polars as pl

from inbox_builder import REGISTRY_HEADER, csv_text, registry_row
from pipelines.runner import run


def test_bad_files_and_rows_are_accounted_for_and_never_leak_into_dagster_metadata(tmp_path, samples):
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    (inbox / "moe" / "2567-1" / "broken_export.csv").write_bytes(bytes(range(256)) * 10)
    (inbox / "moe" / "2567-1" / "moe_2567-1_obec (1).xlsx").write_bytes(
        (inbox / "moe" / "2567-1" / "moe_2567-1_obec.xlsx").read_bytes())
    # a later Nan extract with a bad row: it wins over the earlier one
    people = pl.read_parquet(samples / "truth" / "people.parquet").filter(pl.col("province_code") == "55")
    newer = inbox / "registry" / "55" / "registry_55_20240611.csv"
    rows = [registry_row(1, pid=p) for p in people["citizen_id"].head(50)] + [registry_row(2, dob="31/02/2560")]
    newer.write_text(csv_text(REGISTRY_HEADER, rows), encoding="utf-8")

    instance = dg.DagsterInstance.ephemeral()
    warehouse = tmp_path / "wh"
    run(inbox, warehouse, terms=["2567-1"], instance=instance, pseudonym_key="test-key", progress=lambda _: None)

    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    files = con.sql("SELECT * FROM ingest_files").pl()
    quarantine = con.sql("SELECT * FROM quarantine").pl()
    summary = con.sql("SELECT * FROM partition_summary WHERE province_code = '55'").pl()
    con.close()
    outcome = dict(zip(files["source_file"], files["outcome"]))
    assert outcome["moe/2567-1/broken_export.csv"] == "refused"
    assert outcome["moe/2567-1/moe_2567-1_obec (1).xlsx"] == "duplicate"
    assert "superseded" in files.filter(pl.col("source_file") == "registry/55/registry_55_20240610.csv")["message"][0]
    assert quarantine.filter(pl.col("source_file") == "registry/55/registry_55_20240611.csv")["source_row"].to_list() == [51]
    assert summary["target_population"][0] < 51  # the newer, smaller extract is the one in force

    text = []
    for record in instance.get_runs():
        for entry in instance.all_logs(record.run_id):
            text.append(str(entry.user_message))
            if entry.dagster_event is not None:
                text.append(repr(entry.dagster_event.event_specific_data))
    blob = "\n".join(text)
    assert "rows_quarantined" in blob and "rows_accounted_for" in blob
    assert not re.search(r"(?<![0-9A-Za-z.])[0-9]{13}(?![0-9A-Za-z.])", blob)
    for name in people["first_name"].head(200).to_list() + people["last_name"].head(200).to_list():
        assert name not in blob
    checks = [e for r in instance.get_runs() for e in instance.all_logs(r.run_id)
              if e.dagster_event is not None and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert checks and all(c.dagster_event.event_specific_data.passed for c in checks)


def test_linkage_reads_the_staged_people_features_only_while_they_are_current(tmp_path):
    """registry_people stages the people, then their matching features; a linkage step takes the features only
    when they are at least as new as the people (a step killed between the two writes, or a warehouse staged
    before the features were, leaves the people, which the linker prepares itself)."""
    import os

    from assets.resources import PipelinePaths
    from assets.sources import PEOPLE_FEATURES, people_for_linkage

    paths = PipelinePaths(inbox_dir=str(tmp_path / "inbox"), warehouse_dir=str(tmp_path / "wh"))
    people = paths.staging.write(pl.DataFrame({"citizen_id": ["1"]}), "registry", "people", "55")
    assert people_for_linkage(paths, "55").collect().columns == ["citizen_id"]
    prepared = paths.staging.write(pl.DataFrame({"citizen_id": ["1"], "first_name_freq": [1.0]}), "registry",
                                   PEOPLE_FEATURES, "55")
    assert "first_name_freq" in people_for_linkage(paths, "55").collect().columns
    os.utime(prepared, ns=(people.stat().st_mtime_ns - 10**9,) * 2)
    assert people_for_linkage(paths, "55").collect().columns == ["citizen_id"]
