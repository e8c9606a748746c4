"""The shape of the code: the asset graph declares every cross-term dependency, imports run one way, importing
has no side effect, and a built wheel runs on its bundled samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import dagster as dg
from dagster._core.definitions.partitions.context import partition_loading_context

import zero_dropout
from pipelines.definitions import build_definitions
from pipelines.resources import PipelinePaths, PseudonymKey

ROOT = zero_dropout.PROJECT_ROOT
TERM_ASSETS = ("target_population", "moe_links", "moe_review_queue", "survey_links", "survey_review_queue")


def _graph(tmp_path):
    defs = build_definitions({"paths": PipelinePaths(inbox_dir=str(tmp_path), warehouse_dir=str(tmp_path / "w")),
                              "pseudonym": PseudonymKey(key="k")})
    return defs.resolve_asset_graph()


def test_what_a_term_reads_of_other_terms_is_a_declared_dependency(tmp_path):
    graph = _graph(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("term", ["2566-2", "2567-1"])
        for history in ("moe_link_rates", "cohort_status", "out_of_school_children"):
            node = graph.get(dg.AssetKey(history))
            assert {k.path[0] for k in node.parent_keys} >= {"target_population", "moe_links"}
            # province 55's history depends on every term of 55, and on no other province
            with partition_loading_context(dynamic_partitions_store=instance):
                upstream = graph.get_parent_partition_keys_for_child(
                    "55", dg.AssetKey("moe_links"), dg.AssetKey(history)).partitions_subset.get_partition_keys()
            assert sorted(str(k) for k in upstream) == ["55|2566-2", "55|2567-1"]
        # no term asset reads another term: each depends on its own partition only
        for term_asset in TERM_ASSETS:
            parents = graph.get(dg.AssetKey(term_asset)).parent_keys
            assert not ({k.path[0] for k in parents} & {"out_of_school_children", "cohort_status", "moe_link_rates"})
        # the load reads published versions only; the report of a term follows its province's publication
        assert {k.path[0] for k in graph.get(dg.AssetKey("restricted_warehouse")).parent_keys} == {
            "published_province", "registry_people", "moe_students", "survey_responses"}
        assert "published_province" in {k.path[0] for k in graph.get(dg.AssetKey("province_report")).parent_keys}


def test_the_national_exact_id_pass_of_a_term_reads_every_province_and_feeds_each_province_of_that_term(tmp_path):
    graph = _graph(tmp_path)
    with dg.instance_for_test() as instance, partition_loading_context(dynamic_partitions_store=instance):
        instance.add_dynamic_partitions("term", ["2566-2", "2567-1"])
        registries = graph.get_parent_partition_keys_for_child(
            "2567-1", dg.AssetKey("registry_people"), dg.AssetKey("moe_exact_ids")).partitions_subset.get_partition_keys()
        assert len(list(registries)) == 77
        for child in ("moe_links", "moe_review_queue"):
            passes = graph.get_parent_partition_keys_for_child(
                dg.MultiPartitionKey({"province": "55", "term": "2567-1"}), dg.AssetKey("moe_exact_ids"),
                dg.AssetKey(child)).partitions_subset.get_partition_keys()
            assert [str(k) for k in passes] == ["2567-1"]


def test_every_blocking_check_stands_before_the_publication(tmp_path):
    graph = _graph(tmp_path)
    checks = {(c.asset_key.path[0], c.name): c.blocking for c in
              (graph.get_check_spec(k) for k in graph.asset_check_keys)}
    assert checks[("moe_link_rates", "moe_link_rate_stable")] and checks[("out_of_school_children", "one_row_per_child")]
    assert checks[("cohort_status", "every_term_complete")]
    published = graph.get(dg.AssetKey("published_province"))
    assert {k.path[0] for k in published.parent_keys} >= {"moe_link_rates", "out_of_school_children", "cohort_status"}


def test_imports_run_one_way():
    proc = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") == 3


def test_importing_the_code_location_changes_no_environment_variable():
    code = ("import os; before = dict(os.environ); import pipelines.definitions, pipelines.cli, matching.linker; "
            "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)); "
            "changed = [k for k in changed if not k.startswith('_RJEM')]; "  # polars' own allocator setting
            "assert not changed, changed")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHAINLP_DATA", "DAGSTER_DISABLE_TELEMETRY")}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def _uv() -> list[str]:
    found = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV
    return [found] if found else ["python3", "-m", "uv"]


def test_a_wheel_installed_elsewhere_runs_on_its_bundled_samples(tmp_path):
    uv = _uv()
    dist = tmp_path / "dist"
    subprocess.run([*uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("zero_dropout/data_samples/inbox/registry/") for n in names)
    assert "zero_dropout/config/sources.toml" in names
    venv = tmp_path / "venv"
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    # the project's own locked versions, installed offline from the local cache, then the wheel
    subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV", "DAGSTER_HOME"))}
    env["HOME"] = str(tmp_path / "home")
    done = subprocess.run([str(venv / "bin" / "zero-dropout"), "run", "--warehouse", str(work / "w")], cwd=work,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "finished in" in done.stdout and (work / "w" / "analyst.duckdb").exists()
    assert not (tmp_path / "home" / "pythainlp-data").exists()  # pythainlp's folder is not put in $HOME
