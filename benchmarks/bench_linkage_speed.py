"""Linkage speed at scale: 1,000,000 registry people against 1,000,000 MOE records, this linker vs Splink.

    uv run --extra bench python benchmarks/bench_linkage_speed.py [--people 1000000] [--out DIR] [--skip-splink]

Each method runs in its own process (time and peak memory of the linkage alone, inputs read from
Parquet); the ratio is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from _measure import in_child, peak_rss_mb

TERM = "2567-1"


def prepare(out: Path, people: int) -> None:
    from zero_dropout.generator import GeneratorConfig, generate
    from zero_dropout.inbox import files_for
    from schemas.ingest import ingest
    from zero_dropout.terms import Term

    if (out / "prepared" / "moe.parquet").exists():
        return
    # outsiders (children of other provinces) bring the national MOE side to about as many rows as people
    generate(GeneratorConfig(("40",), (Term.parse(TERM),), people, seed=3, forms="parquet", outsider_fraction=0.28), out)
    (out / "prepared").mkdir(exist_ok=True)
    ingest(files_for(out / "inbox", "registry", province="40"), "registry", province="40").accepted.write_parquet(out / "prepared" / "registry.parquet")
    ingest(files_for(out / "inbox", "moe", term=TERM), "moe", term=TERM).accepted.write_parquet(out / "prepared" / "moe.parquet")


def run_method(out: Path, method: str) -> None:
    people = pl.read_parquet(out / "prepared" / "registry.parquet")
    records = pl.read_parquet(out / "prepared" / "moe.parquet")
    started = time.perf_counter()
    if method == "zero_dropout":
        from matching.linker import link
        from zero_dropout.terms import Term

        n_links = link(people.lazy(), records.lazy(), source="moe", term=Term.parse(TERM)).links.height
    else:
        import splink_baseline

        recs = records.with_row_index("uid").with_columns(pl.col("uid").cast(pl.String))
        n_links = splink_baseline.link(people, recs, survey=False).height
    seconds = time.perf_counter() - started
    print(json.dumps({"method": method, "people": people.height, "records": records.height, "links": n_links,
                      "seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb())}))


def main() -> None:
    from zero_dropout import polars_engine

    polars_engine.use_in_memory()  # the engine the pipeline's runs collect on
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--out", default="/tmp/zero-dropout-speed-bench")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    if args.method:
        run_method(out, args.method)
        return
    out.mkdir(parents=True, exist_ok=True)
    prepare(out, args.people)
    results = []
    for method in ["zero_dropout"] + ([] if args.skip_splink else ["splink"]):
        results.append(json.loads(in_child(__file__, out, method).strip().splitlines()[-1]))
        print(results[-1])
    if len(results) == 2:
        print(f"speed-up over Splink: {results[1]['seconds'] / results[0]['seconds']:.1f}x")


if __name__ == "__main__":
    main()
