"""End to end: one province of N registry people against a national MOE term of M records.

    uv run python benchmarks/bench_end_to_end.py [--people 500000] [--moe-rows 11000000] [--out DIR]

Builds the inbox (generator, then the MOE side grown to national size with other provinces'
children, see _national.py), runs `zero-dropout run` for the province and term in a child process (wall time and that process's
peak memory), then times what a night with nothing new costs: the inbox sensor's and the nightly
schedule's ticks, whose run keys are unchanged, so no run starts.
"""

from __future__ import annotations

import argparse
import json
import gc
import shutil
import time
from pathlib import Path

import polars as pl

from _floor import exact_join
from _measure import cli_run
from _national import national
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
    national(base, moe_rows, PROVINCE).write_parquet(moe_dir / "national.parquet")


def timed_run(out: Path) -> dict:
    """One `zero-dropout run` in a child process: wall time and that child's own peak RSS (wait4)."""
    home = out / "dagster_home"  # a persistent instance: the quiet night reads what this run recorded
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    result = cli_run(["run", "--inbox", str(out / "inbox"), "--warehouse", str(out / "warehouse"), "--province",
                      PROVINCE, "--term", TERM], {"DAGSTER_HOME": str(home)})
    lines = result.pop("lines")
    return {**result, "summary": [ln.strip() for ln in lines if ln.split()[:2] == [PROVINCE, TERM]]}


def quiet_night(out: Path) -> dict:
    """What Dagster does on a night with nothing new, on the full-size inbox and the instance of the run
    before: the inbox sensor's tick (with the cursor of the tick before), the 01:00 schedule's tick, whose
    run keys equal the previous night's (so Dagster starts no run), and the automation sensor's tick,
    which finds no input updated (so no linkage work is done)."""
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.resources import PipelinePaths, PseudonymKey

    paths = PipelinePaths(inbox_dir=str(out / "inbox"), warehouse_dir=str(out / "warehouse"))
    with dg.DagsterInstance.from_config(str(out / "dagster_home")) as instance:
        result = _ticks(paths, instance)
        gc.collect()  # what a long process does at any moment: the ticks must leave nothing that dies with it
        defs = build_definitions({"paths": paths, "pseudonym": PseudonymKey(key="benchmark-key")})
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        started = time.perf_counter()
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        automation_s = time.perf_counter() - started
    result.update({"automation_tick_seconds": round(automation_s, 2), "automation_first_tick_requested": first.total_requested,
                   "automation_tick_requested": tick.total_requested,
                   "seconds": round(result["seconds"] + automation_s, 2)})
    return result


def _ticks(paths, instance) -> dict:
    import datetime as dt
    import zoneinfo

    import dagster as dg

    from pipelines.schedules import BANGKOK, nightly_schedule
    from pipelines.sensors import inbox_sensor

    night = dt.datetime(2024, 7, 2, 1, 0, tzinfo=zoneinfo.ZoneInfo(BANGKOK))  # during term 2567-1

    # Each context is closed when its tick is done: a schedule context opens its own DagsterInstance from the
    # instance's ref, and one left open until the garbage collector takes it leaves Dagster's current
    # definitions-state storage pointing at a dead instance ("Attempted to resolve undefined DagsterInstance
    # weakref" in the next Definitions load, as the automation tick below does).
    def sensor_tick(cursor=None):
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"paths": paths}) as context:
            return inbox_sensor(context)

    def schedule_tick(day: int):
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=night + dt.timedelta(days=day),
                                       resources={"paths": paths}) as context:
            return [r.run_key for r in nightly_schedule(context)]

    first = sensor_tick()
    started = time.perf_counter()
    tick = sensor_tick(first.cursor)
    sensor_s = time.perf_counter() - started
    keys = [schedule_tick(d) for d in (0, 1)]
    started = time.perf_counter()
    schedule_tick(2)
    schedule_s = time.perf_counter() - started
    return {"sensor_tick_seconds": round(sensor_s, 2), "sensor_runs_requested": len(tick.run_requests or []),
            "schedule_tick_seconds": round(schedule_s, 2), "schedule_run_keys_unchanged": keys[0] == keys[1],
            "seconds": round(sensor_s + schedule_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--moe-rows", type=int, default=11_000_000)
    parser.add_argument("--out", default="/tmp/zero-dropout-e2e")
    parser.add_argument("--quiet-night-only", action="store_true", help="only the ticks, on the instance of the last run")
    args = parser.parse_args()
    out = Path(args.out)
    if args.quiet_night_only:
        print(json.dumps({"run": "nothing new (sensor, schedule and automation ticks)", **quiet_night(out)}))
        return
    build(out, args.people, args.moe_rows)
    shutil.rmtree(out / "warehouse", ignore_errors=True)
    floor = exact_join(out / "inbox", [PROVINCE], [TERM])
    print(json.dumps({"run": "exact-ID join over the same inbox (the floor)", **floor}), flush=True)
    first = timed_run(out)
    print(json.dumps({"run": "first", **first, "ratio_to_floor": round(first["seconds"] / floor["exact_join_seconds"], 1)}),
          flush=True)
    print(json.dumps({"run": "nothing new (sensor, schedule and automation ticks)", **quiet_night(out)}))


if __name__ == "__main__":
    main()
