"""Write a national MOE term of N rows (default 11,000,000) as Parquet and as CSV, for ingestion benchmarks.

The generator makes about 1.1 million realistic MOE rows; the rest of the country's
students are built from them as other provinces' children (see _national.py).

    uv run python benchmarks/make_national_moe.py --out /tmp/national --rows 11000000
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import polars as pl

from _national import national
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
    national_rows = national(base, args.rows, "40")
    moe_dir = out / "inbox" / "moe" / TERM
    moe_dir.mkdir(parents=True, exist_ok=True)
    national_rows.write_parquet(moe_dir / "national.parquet")
    csv_dir = out / "csv" / "inbox" / "moe" / TERM
    csv_dir.mkdir(parents=True, exist_ok=True)
    national_rows.write_csv(csv_dir / "national.csv", separator="|")
    shutil.rmtree(base_dir)
    print(f"{national_rows.height} rows written to {moe_dir} (parquet) and {csv_dir} (csv) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
