"""Generator speed: 1,000,000 registry rows (plus their MOE and survey records for two terms).

    uv run python benchmarks/bench_generator.py [--children 1000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from _measure import peak_rss_mb

from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.terms import Term


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--provinces", default="40")
    parser.add_argument("--forms", default="mixed")
    parser.add_argument("--out")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="zd-gen-"))
    cfg = GeneratorConfig(tuple(args.provinces.split(",")), (Term.parse("2566-2"), Term.parse("2567-1")),
                          args.children, seed=1, forms=args.forms)
    started = time.perf_counter()
    summary = generate(cfg, out)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "registry_rows": summary.registry_rows, "moe_rows": summary.moe_rows, "survey_rows": summary.survey_rows,
        "seconds": round(seconds, 1), "registry_rows_per_s": int(summary.registry_rows / seconds),
        "peak_rss_mb": round(peak_rss_mb()), "forms": args.forms,
    }))
    if not args.out:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
