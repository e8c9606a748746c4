"""End to end: one province of N registry people against a national MOE term of M records.

    uv run python benchmarks/bench_end_to_end.py [--people 500000] [--moe-rows 11000000] [--out DIR]

Builds the inbox (generator, then the MOE side tiled with shifted IDs to national size, as in
make_national_moe.py), runs `zero-dropout run` for the province and term in a child process, then
runs it again with nothing new (ingest served from the content-hash cache). Prints wall time and
peak memory of each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from zero_dropout import thai_id
from zero_dropout.generator import MOE_EN, MOE_TH, GeneratorConfig, generate
from zero_dropout.terms import Term

TERM, PROVINCE = "2567-1", "40"


def build(out: Path, people: int, moe_rows: int) -> None:
    if (out / "inbox" / "moe" / TERM / "national.parquet").exists():
        return
    generate(GeneratorConfig((PROVINCE,), (Term.parse(TERM),), people, seed=9, forms="parquet"), out)
    moe_dir = out / "inbox" / "moe" / TERM
    to_english = dict(zip(MOE_TH, MOE_EN))
    parts = sorted(moe_dir.glob("*.parquet"))
    base = pl.concat([pl.read_parquet(p).rename(lambda c: to_english.get(c, c)) for p in parts])
    for p in parts:
        p.unlink()
    tiles = -(-moe_rows // base.height)
    frames = [base]
    for k in range(1, tiles):  # other provinces' children: shifted ID sequences with valid check digits
        seq = (pl.col("cid").str.slice(5, 7).cast(pl.Int64, strict=False) + k * 1_000_003) % 10_000_000
        first12 = pl.concat_str(pl.lit(str(10 + k % 80)), pl.col("cid").str.slice(2, 3), seq.cast(pl.String).str.zfill(7))
        frames.append(base.with_columns(
            pl.when(pl.col("cid").str.contains(r"^[0-9]{13}$")).then(thai_id.with_check_digit_expr(first12))
            .otherwise(pl.col("cid")).alias("cid"),
            pl.concat_str(pl.col("school_id").str.slice(0, 6), ((pl.col("school_id").str.slice(6, 4).cast(pl.Int64, strict=False) + k)
                          % 10_000).cast(pl.String).str.zfill(4)).alias("school_id")))
    pl.concat(frames).head(moe_rows).write_parquet(moe_dir / "national.parquet")


def timed_run(out: Path) -> dict:
    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "benchmark-key", "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "zero_dropout.cli", "run", "--inbox", str(out / "inbox"),
                           "--warehouse", str(out / "warehouse"), "--province", PROVINCE, "--term", TERM],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "summary": proc.stdout.strip().splitlines()[-5]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--moe-rows", type=int, default=11_000_000)
    parser.add_argument("--out", default="/tmp/zero-dropout-e2e")
    args = parser.parse_args()
    out = Path(args.out)
    build(out, args.people, args.moe_rows)
    shutil.rmtree(out / "warehouse", ignore_errors=True)
    print(json.dumps({"run": "first", **timed_run(out)}))
    print(json.dumps({"run": "nothing new", **timed_run(out)}))


if __name__ == "__main__":
    main()
