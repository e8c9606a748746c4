"""Write a national MOE term of N rows (default 11,000,000) as Parquet and as CSV, for ingestion benchmarks.

The generator makes about 1.1 million realistic MOE rows; they are tiled with
shifted ID sequences (new valid check digits) and school codes so that every
tile is a different set of students.

    uv run python benchmarks/make_national_moe.py --out /tmp/national --rows 11000000
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import polars as pl

from zero_dropout import thai_id
from zero_dropout.generator import MOE_EN, MOE_TH, GeneratorConfig, generate
from zero_dropout.terms import Term

TERM = "2567-1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=11_000_000)
    parser.add_argument("--base-children", type=int, default=1_500_000)
    args = parser.parse_args()
    out = Path(args.out)
    started = time.perf_counter()
    base_dir = out / "base"
    generate(GeneratorConfig(("40",), (Term.parse(TERM),), args.base_children, seed=5, forms="parquet"), base_dir)
    thai_to_english = dict(zip(MOE_TH, MOE_EN))
    base = pl.concat([pl.read_parquet(p).rename(lambda c: thai_to_english.get(c, c))
                      for p in sorted((base_dir / "inbox" / "moe" / TERM).glob("*.parquet"))])
    tiles = -(-args.rows // base.height)
    sid, school = "cid", "school_id"
    frames = []
    for k in range(tiles):
        shifted_seq = ((pl.col(sid).str.slice(5, 7).cast(pl.Int64, strict=False) + k * 1_000_003) % 10_000_000)
        new_first12 = pl.concat_str(pl.col(sid).str.slice(0, 5), shifted_seq.cast(pl.String).str.zfill(7))
        frames.append(base.with_columns(
            pl.when(pl.col(sid).str.contains(r"^[0-9]{13}$"))
            .then(thai_id.with_check_digit_expr(new_first12)).otherwise(pl.col(sid)).alias(sid),
            pl.concat_str(pl.col(school).str.slice(0, 6),
                          ((pl.col(school).str.slice(6, 4).cast(pl.Int64, strict=False) + k) % 10_000)
                          .cast(pl.String).str.zfill(4)).alias(school),
        ))
    national = pl.concat(frames).head(args.rows)
    moe_dir = out / "inbox" / "moe" / TERM
    moe_dir.mkdir(parents=True, exist_ok=True)
    national.write_parquet(moe_dir / "national.parquet")
    csv_dir = out / "csv" / "inbox" / "moe" / TERM
    csv_dir.mkdir(parents=True, exist_ok=True)
    national.write_csv(csv_dir / "national.csv", separator="|")
    shutil.rmtree(base_dir)
    print(f"{national.height} rows written to {moe_dir} (parquet) and {csv_dir} (csv) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
