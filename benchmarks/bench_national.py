"""A national term: every province's registry against the country's MOE export of one term.

    uv run python benchmarks/bench_national.py [--people 14000000] [--out DIR]

The generator makes all 77 provinces at once (``--people`` spread evenly: about 182,000 registry people per
province at 14 M), one term, every file as Parquet (national extracts are machine exports): about 9.5 M MOE
records of the provinces' children and 1.5 M of students no registry here holds (``--outsiders``), 11 M in all, plus each province's survey, aid and justice files. Every province is its own
people, so no record is a copy of another province's child. Generated once per size (about half an hour at
14 M); then one `zero-dropout run --term` over the whole inbox in a child process (wall time, peak memory and
the seconds of each step summed over provinces), beside the exact-ID join over the same inbox (the floor).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from _floor import exact_join
from _measure import cli_run
from zero_dropout import areas
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.terms import Term

TERM = "2567-1"


def build(out: Path, people: int, outsiders: int) -> dict:
    """The inbox and truth of ``people`` registry people over every province (kept: generated once)."""
    done = out / "truth" / "generation.json"
    if done.exists():
        return {k: v for k, v in json.loads(done.read_text())["summary"].items() if k != "files"}
    provinces = tuple(sorted(areas.province_codes()))
    started = time.perf_counter()
    per_province = -(-people // len(provinces))
    summary = generate(GeneratorConfig(provinces, (Term.parse(TERM),), per_province, seed=14, forms="parquet",
                                       outsider_fraction=outsiders / per_province), out)
    print(json.dumps({"measure": "generated", "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    return {"registry_rows": summary.registry_rows, "moe_rows": summary.moe_rows, "survey_rows": summary.survey_rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=14_000_000)
    parser.add_argument("--outsiders", type=int, default=1_500_000,
                        help="MOE records of students no province's registry holds (valid IDs of other registries)")
    parser.add_argument("--out", default="/tmp/zero-dropout-national")
    args = parser.parse_args()
    out = Path(args.out) / f"{args.people}"
    summary = build(out, args.people, args.outsiders)
    floor = exact_join(out / "inbox", terms=[TERM])
    print(json.dumps({"measure": "exact-ID join (floor)", **floor}), flush=True)
    for d in ("warehouse", "dagster_home"):
        shutil.rmtree(out / d, ignore_errors=True)
    (out / "dagster_home").mkdir()
    result = cli_run(["run", "--inbox", str(out / "inbox"), "--warehouse", str(out / "warehouse"), "--term", TERM],
                     {"DAGSTER_HOME": str(out / "dagster_home")})
    lines = result.pop("lines")
    print(json.dumps({"measure": "zero-dropout run", **result,
                      "summary": [ln for ln in lines if ln.startswith(("finished", "input files"))]}), flush=True)
    print(json.dumps({"people": floor["people"], **summary, "provinces": 77,
                      "run_seconds": result["seconds"], "floor_seconds": floor["exact_join_seconds"],
                      "ratio": round(result["seconds"] / floor["exact_join_seconds"], 1),
                      "peak_rss_mb": result["peak_rss_mb"], "dagster_runs": result["runs"]}))


if __name__ == "__main__":
    main()
