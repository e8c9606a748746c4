"""Scale: one `zero-dropout run` over a whole inbox, beside the exact-ID join over the same inbox (the floor).

    uv run python benchmarks/bench_scale.py --shape provinces [--provinces 76 --children 4000]
    uv run python benchmarks/bench_scale.py --shape large [--children 500000]

``provinces``: many provinces of a few thousand children (76 x 4,000, two terms: 304 k people, the shape of a
national load of small partitions). ``large``: two provinces of many children (2 x 500 k, two terms). The inbox
is generated once per shape and size (mixed file forms); the run goes into a fresh warehouse in a child
process (wall time and that process's peak memory); the floor reads the same registry and MOE files and joins
their IDs in this process (benchmarks/_floor.py). Prints one JSON line per measure and the ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from _floor import exact_join
from _measure import cli_run
from zero_dropout import areas
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.terms import Term

TERMS = ("2566-2", "2567-1")


def build(out: Path, provinces: tuple[str, ...], children: int) -> Path:
    inbox = out / "inbox"
    if not (out / "truth").exists():
        generate(GeneratorConfig(provinces, tuple(Term.parse(t) for t in TERMS), children, seed=7), out)
    return inbox


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", choices=["provinces", "large"], required=True)
    parser.add_argument("--provinces", type=int, default=76, help="provinces (shape provinces)")
    parser.add_argument("--children", type=int, help="children per province (default 4,000 or 500,000)")
    parser.add_argument("--out", default="/tmp/zero-dropout-scale")
    args = parser.parse_args()
    if args.shape == "provinces":
        provinces, children = tuple(sorted(areas.province_codes())[:args.provinces]), args.children or 4_000
    else:
        provinces, children = ("55", "40"), args.children or 500_000
    out = Path(args.out) / f"{args.shape}-{len(provinces)}x{children}"
    inbox = build(out, provinces, children)
    floor = exact_join(inbox)
    print(json.dumps({"measure": "exact-ID join (floor)", **floor}), flush=True)
    shutil.rmtree(out / "warehouse", ignore_errors=True)
    result = cli_run(["run", "--inbox", str(inbox), "--warehouse", str(out / "warehouse")])
    summary = [ln for ln in result.pop("lines") if ln.startswith(("finished", "input files"))]
    print(json.dumps({"measure": "zero-dropout run", **result, "summary": summary}), flush=True)
    print(json.dumps({"people": floor["people"], "provinces": len(provinces), "terms": len(TERMS),
                      "run_seconds": result["seconds"], "floor_seconds": floor["exact_join_seconds"],
                      "ratio": round(result["seconds"] / floor["exact_join_seconds"], 1),
                      "peak_rss_mb": result["peak_rss_mb"], "dagster_runs": result["runs"]}))


if __name__ == "__main__":
    main()
