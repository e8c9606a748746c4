"""Many partitions per run: consecutive provinces are one Dagster run per job, each partition keeps its own
materialization and metadata, and a province that fails inside a range never stops the others."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.runner import RunFailed, province_ranges, run
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.terms import Term

PROVINCES = ("10", "11", "12")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    out = tmp_path_factory.mktemp("ranges")
    generate(GeneratorConfig(PROVINCES, (Term.parse("2567-1"),), 150, seed=5, forms="csv"), out)
    return out / "inbox"


def _rows(warehouse, table: str) -> dict[str, int]:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return dict(con.execute(f"SELECT province_code, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall())
    finally:
        con.close()


def test_province_ranges_follow_the_partition_order():
    assert province_ranges(["12", "10", "11", "40", "55", "56"]) == [["10", "11", "12"], ["40"], ["55", "56"]]
    assert province_ranges(["27", "30"]) == [["27", "30"]]  # no province 28 or 29: consecutive partitions


def test_consecutive_provinces_are_one_run_per_job_with_metadata_per_partition(tmp_path, inbox):
    lines: list[str] = []
    with dg.DagsterInstance.ephemeral() as instance:
        run(inbox, tmp_path, pseudonym_key="k", progress=lines.append, instance=instance)
        runs = instance.get_runs()
        # registry, MOE, the term's partitions, the histories, the load, the reports: one run each
        assert sorted(r.job_name for r in runs) == sorted(["registry_job", "moe_job", "province_term_job", "province_job",
                                                           "warehouse_job", "report_job"])
        for prov in PROVINCES:
            event = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("registry_people"), asset_partitions=[prov]), limit=1).records
            assert event, prov
            rows = event[0].asset_materialization.metadata["rows_accepted"].value
            con = duckdb.connect(str(tmp_path / "restricted.duckdb"), read_only=True)
            try:
                staged = con.execute("SELECT count(*) FROM registry_people WHERE province_code = ?", [prov]).fetchone()[0]
            finally:
                con.close()
            assert rows == staged  # each partition's own count, not the run's
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("registry_people"), "rows_accounted_for"), limit=5)
        assert checks and checks[0].status.value == "SUCCEEDED"
    assert any("province_term_job provinces 10-12 (3 partitions) term=2567-1 done" in line for line in lines)
    assert set(_rows(tmp_path, "partition_summary")) == set(PROVINCES)


def test_a_province_failing_inside_a_range_leaves_the_others_published(tmp_path, inbox):
    broken = tmp_path / "inbox"
    shutil.copytree(inbox, broken)
    for f in (broken / "registry" / "11").iterdir():
        f.write_bytes(b"\x00\x01 not a registry extract")
    lines: list[str] = []
    with pytest.raises(RunFailed) as failed:
        run(broken, tmp_path / "w", pseudonym_key="k", progress=lines.append)
    assert "registry_job province=11 failed" in str(failed.value)
    assert "province 11 has no published version yet" in str(failed.value)
    assert any("registry_job provinces 10-12 (3 partitions) FAILED" in line and "one at a time" in line for line in lines)
    # 10 and 12 go on, each on its own (11 lies between them)
    assert set(_rows(tmp_path / "w", "partition_summary")) == {"10", "12"}


def test_a_partition_lists_only_its_own_folder_and_finds_what_a_whole_scan_finds(inbox):
    from zero_dropout import inbox as inbox_mod

    whole = inbox_mod.scan(inbox)
    for source, province, term in [("registry", "11", None), ("moe", None, "2567-1"), ("survey", "12", "2567-1"),
                                   ("aid", None, "2567-1"), ("justice", "10", None), ("survey", "99", "2567-1")]:
        expected = [f for f in whole if f.source == source and f.problem is None
                    and province in (None, f.province) and term in (None, f.term)]
        assert inbox_mod.files_for(inbox, source, province, term) == expected, (source, province, term)


def test_the_progress_bar_gives_rate_and_time_left():
    from pipelines.runner import bar

    assert bar(38, 76, 9.5) == "[##########----------] 38/76 partitions, 4.0/s, about 10 s left"
    assert bar(76, 76, 19.0).endswith("76/76 partitions, 4.0/s, done")
    assert "about 2.5 min left" in bar(10, 100, 16.7)


def test_a_range_of_every_province_reports_each_partition_without_a_query_per_pair_of_keys(tmp_path, monkeypatch):
    """Each partition's metadata lands on its own materialization. Dagster's check that a key is targeted lists the
    run's whole key range (storage queries for the dynamic term dimension, and every key of the range built):
    made once per asset here, not once per partition, which was quadratic in the partitions of a run."""
    from assets.partitions import each_partition, province_partitions, province_term, province_term_partitions, ranged_asset

    @ranged_asset(partitions_def=province_term_partitions)
    def counted(context):
        yield from each_partition(context, lambda key: [dg.MaterializeResult(metadata={"province": province_term(key)[0]})])

    provinces = province_partitions.get_partition_keys()
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:  # a SQLite instance, as $DAGSTER_HOME gives
        instance.add_dynamic_partitions("term", ["2567-1"])
        queries = []
        asked = dg.DagsterInstance.has_dynamic_partition
        monkeypatch.setattr(dg.DagsterInstance, "has_dynamic_partition",
                            lambda *a, **k: queries.append(1) or asked(*a, **k))
        result = dg.materialize([counted], instance=instance, tags={
            "dagster/asset_partition_range_start": f"{provinces[0]}|2567-1",
            "dagster/asset_partition_range_end": f"{provinces[-1]}|2567-1"})
        assert result.success
        assert len(queries) < len(provinces) / 2  # once per asset, not once (twice) per partition
        records = instance.fetch_materializations(dg.AssetKey("counted"), limit=1000).records
        assert len(records) == len(provinces)
        for record in records:
            key = record.asset_materialization.partition
            assert record.asset_materialization.metadata["province"].value == province_term(key)[0]
