"""What provinces follow beyond the default cohort, at scale and on worlds the project did not tune on:
target groups, aid payments, juvenile justice records and stages of risk against the generator's truth, and
what the new steps cost.

    uv run python benchmarks/bench_beyond.py [--children 100000] [--profiles harsh,other_tools] [--out DIR]

Per profile: generate Rayong (21, early childhood and youth groups configured) and Khon Kaen (40, default
cohort only) over two terms, run `zero-dropout run` in a child process (wall time, its peak memory, seconds
per step summed over partitions), then score the published tables against the truth.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from _measure import cli_run
from zero_dropout import target_groups
from zero_dropout.generator import PROFILES, GeneratorConfig, generate
from zero_dropout.terms import Term

PROVINCES, TERMS = ("21", "40"), ("2566-2", "2567-1")


def run(inbox: Path, warehouse: Path) -> dict:
    """`zero-dropout run` in a child process: wall time, its peak memory, seconds per step summed over partitions."""
    home = warehouse.parent / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    result = cli_run(["run", "--inbox", str(inbox), "--warehouse", str(warehouse)], {"DAGSTER_HOME": str(home)})
    return {"seconds": result["seconds"], "peak_gb": round(result["peak_rss_mb"] / 1024, 2),
            "steps": dict(sorted(result["step_seconds"].items()))}


def q(w: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(w / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def pr(got: set, expected: set) -> tuple[float, float]:
    tp = len(got & expected)
    return round(tp / max(len(got), 1), 4), round(tp / max(len(expected), 1), 4)


def score(truth: Path, w: Path) -> dict:
    people, status = pl.read_parquet(truth / "people.parquet"), pl.read_parquet(truth / "status.parquet")
    found = q(w, "SELECT term, target_group, citizen_id FROM target_group_out_of_school")
    out = {}
    for g in target_groups.load(target_groups.DEFAULT_PATH)["21"]:
        got, expected = set(), set()
        for term in TERMS:
            lo, hi = g.birth_years_be(Term.parse(term))
            members = people.filter((pl.col("province_code") == "21") & pl.col("birth_year_be").is_between(lo, hi)
                                    & pl.col("person_status").is_in(list(g.statuses)))
            expected |= {(term, c) for c in members.join(status.filter((pl.col("term") == term)
                                                                       & (pl.col("category") != "in_school")),
                                                         on="citizen_id")["citizen_id"]}
            got |= {(term, c) for c in found.filter((pl.col("term") == term) & (pl.col("target_group") == g.name))["citizen_id"]}
        out[f"{g.name}_out_of_school_precision"], out[f"{g.name}_out_of_school_recall"] = pr(got, expected)
        out[f"{g.name}_out_of_school"] = len(expected)
    real = pl.read_parquet(truth / "aid_records.parquet").join(
        q(w, "SELECT source_file, source_row, citizen_id FROM aid_payments"), on=["source_file", "source_row"], how="left")
    linked = real.filter(pl.col("citizen_id").is_not_null())
    right = linked.filter(pl.col("citizen_id") == pl.col("true_citizen_id")).height
    out["aid_payments"] = real.height
    out["aid_precision"] = round(right / max(linked.height, 1), 4)
    out["aid_recall"] = round(right / max(real.filter(pl.col("true_citizen_id").is_not_null()).height, 1), 4)
    cases = q(w, "SELECT citizen_id, admitted_date, released_date FROM justice_cases WHERE citizen_id IS NOT NULL")
    stages = q(w, "SELECT term, citizen_id FROM risk_stages WHERE target_group = 'zero_dropout' AND stage = 'downstream'")
    target = q(w, "SELECT term, citizen_id FROM cohort_status WHERE in_target")
    wrong, held_total = 0, 0
    for term in TERMS:
        t = Term.parse(term)
        held = set(cases.filter((pl.col("admitted_date") <= t.end) & (pl.col("released_date").is_null()
                                                                        | (pl.col("released_date") >= t.start)))["citizen_id"])
        held &= set(target.filter(pl.col("term") == term)["citizen_id"])
        down = set(stages.filter(pl.col("term") == term)["citizen_id"])
        wrong += len(held ^ down)
        held_total += len(held)
    out["justice_children_downstream"], out["justice_stage_errors"] = held_total, wrong
    real = pl.read_parquet(truth / "justice_records.parquet").join(
        q(w, "SELECT source_file, source_row, citizen_id FROM justice_cases"), on=["source_file", "source_row"])
    linked = real.filter(pl.col("citizen_id").is_not_null())
    out["justice_precision"] = round(linked.filter(pl.col("citizen_id") == pl.col("true_citizen_id")).height
                                     / max(linked.height, 1), 4)
    out["justice_recall"] = round(linked.filter(pl.col("citizen_id") == pl.col("true_citizen_id")).height
                                  / max(real.filter(pl.col("true_citizen_id").is_not_null()).height, 1), 4)
    by_stage = q(w, "SELECT stage, count(*) AS n FROM risk_stages WHERE target_group = 'zero_dropout' GROUP BY ALL")
    out["stages"] = dict(by_stage.iter_rows())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=100_000)
    ap.add_argument("--profiles", default="harsh,other_tools")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="bench_beyond_"))
    results = {}
    for name in args.profiles.split(","):
        noise, style = PROFILES[name]
        world = root / name
        cfg = GeneratorConfig(PROVINCES, tuple(Term.parse(t) for t in TERMS), args.children, seed=args.seed,
                              noise=noise, style=style)
        started = time.perf_counter()
        generate(cfg, world / "gen")
        generated = round(time.perf_counter() - started, 1)
        measured = run(world / "gen" / "inbox", world / "warehouse")
        results[name] = {"generate_seconds": generated, **measured, **score(world / "gen" / "truth", world / "warehouse")}
        print(json.dumps({name: results[name]}, ensure_ascii=False), flush=True)
    print(f"peak of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GB")


if __name__ == "__main__":
    main()
