"""Fault-injection soak: what a nightly deployment goes through, bounded in time and rounds.

    uv run python benchmarks/soak.py --minutes 10 --seed 1 [--children 150] [--terms 2] [--out DIR]

On a generated inbox of 8 provinces, each round starts up to 8 `zero-dropout run` processes at once (different
provinces and the same ones) and, while they run, injects faults picked at random: kill -9 and SIGTERM at a
random moment, a sensor tick and a schedule tick, the warehouse folder made read-only for a while, a file-size
limit that fills the disk under a run, an inbox file copied in slowly, a damaged ingest-cache entry, a newer
registry extract of one province dropped mid-run. Every kind comes round in turn. After each round one more run
without faults must succeed and match a clean serial run of the same inbox, table for table (row hashes);
no build file or WAL may be left, no run left STARTED, the instance must open, and no citizen ID may be in a
place docs/privacy.md does not list. A run that fails under a fault must say why in one line.
Prints one JSON line per round and the totals.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = ("10", "21", "40", "48", "50", "52", "55", "65")
KINDS = ("concurrent_runs", "same_province_runs", "sensor_tick", "schedule_tick", "kill_9", "sigterm", "read_only",
         "disk_full", "slow_copy", "corrupt_cache", "new_registry")
SETTLE_SECONDS = "2"
# what may be under the warehouse folder (docs/privacy.md); anything else holding an ID is a finding
ALLOWED_TOP = {"staging", "restricted.duckdb", "analyst.duckdb", "reports", "worklists", "decisions", "locks"}
LEFTOVER_SUFFIXES = (".building", ".tmp", ".wal")


def _env(home: Path) -> dict:
    return {**os.environ, "DAGSTER_HOME": str(home), "ZERO_DROPOUT_PSEUDONYM_KEY": "soak-key",
            "DAGSTER_DISABLE_TELEMETRY": "1", "ZERO_DROPOUT_SETTLE_SECONDS": SETTLE_SECONDS,
            "PYTHONPATH": str(ROOT)}


def start_run(inbox: Path, warehouse: Path, home: Path, provinces: list[str], fsize: int | None = None):
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--warehouse", str(warehouse)]
    for p in provinces:
        cmd += ["--province", p]

    def limit():
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.Popen(cmd, env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit, cwd=ROOT)


def table_hashes(warehouse: Path) -> dict[str, str]:
    """Per table of both files: a hash of its rows in order (publication times left out)."""
    out = {}
    for name in ("restricted", "analyst"):
        con = duckdb.connect(str(warehouse / f"{name}.duckdb"), read_only=True)
        try:
            for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
                if table == "publication_status":
                    continue
                text = con.sql(f'SELECT * FROM "{table}" ORDER BY ALL').pl().write_csv()
                out[f"{name}.{table}"] = hashlib.sha256(text.encode()).hexdigest()
        finally:
            con.close()
    return out


def inbox_state(inbox: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(inbox.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(inbox).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def clean_reference(inbox: Path, work: Path, cache: dict) -> dict[str, str]:
    """A clean serial run of a snapshot of the inbox, in a fresh warehouse and instance (cached per state)."""
    state = inbox_state(inbox)
    if state not in cache:
        ref = work / f"reference_{state}"
        shutil.rmtree(ref, ignore_errors=True)
        shutil.copytree(inbox, ref / "inbox")
        (ref / "home").mkdir(parents=True)
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(ref / "inbox"),
                               "--warehouse", str(ref / "w")], env=_env(ref / "home"), capture_output=True, text=True,
                              cwd=ROOT)
        if done.returncode:
            raise SystemExit(f"the clean reference run failed: {done.stderr[-500:]}")
        cache[state] = table_hashes(ref / "w")
    return cache[state]


def one_line(stderr: str) -> bool:
    """The run ended with its one-line reason. (When the disk under $DAGSTER_HOME fills, Dagster itself writes its
    storage error above that line: that is Dagster's, not the run's.)"""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return bool(lines) and lines[-1].startswith("zero-dropout run: ")


def tick(home: Path, inbox: Path, warehouse: Path, which: str) -> int:
    """A sensor or schedule tick evaluated against the instance while runs go on (as the daemon would)."""
    code = f"""
import dagster as dg, datetime as dt, zoneinfo
from pipelines.resources import PipelinePaths, PseudonymKey
from pipelines.sensors import inbox_sensor
from pipelines.schedules import nightly_schedule
res = {{"paths": PipelinePaths(inbox_dir={str(inbox)!r}, warehouse_dir={str(warehouse)!r}), "pseudonym": PseudonymKey(key="k")}}
with dg.DagsterInstance.get() as instance:
    if {which!r} == "sensor":
        inbox_sensor(dg.build_sensor_context(instance=instance, resources=res))
    else:
        when = dt.datetime(2024, 7, 1, 1, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Bangkok"))
        list(nightly_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when, resources=res)))
"""
    return subprocess.run([sys.executable, "-c", code], env=_env(home), capture_output=True, text=True,
                          cwd=ROOT).returncode


def newer_registry(inbox: Path, rng: random.Random, n: int) -> Path:
    """A newer extract of one province: the latest one with a few people moved out (status 9)."""
    prov = rng.choice(PROVINCES)
    folder = inbox / "registry" / prov
    latest = sorted(folder.iterdir())[-1]
    frame = pl.read_csv(latest, infer_schema=False, encoding="utf8-lossy") if latest.suffix == ".csv" else None
    if frame is None:
        return latest
    status = frame.columns[10]
    idx = rng.sample(range(frame.height), k=min(3, frame.height))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()).is_in(idx)).then(pl.lit("9")).otherwise(pl.col(status))
                               .alias(status))
    target = folder / f"registry_{prov}_2999{n:04d}.csv"
    tmp = folder / f".{target.name}.part"
    frame.write_csv(tmp)
    os.replace(tmp, target)
    return target


def slow_copy(source: Path, target: Path, seconds: float) -> None:
    """Copy a file into the inbox in pieces over ``seconds``, as a slow network share does."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    pieces = 6
    with target.open("wb") as fh:
        for i in range(pieces):
            fh.write(data[i * len(data) // pieces:(i + 1) * len(data) // pieces])
            fh.flush()
            time.sleep(seconds / pieces)


def read_only(paths: list[Path], seconds: float) -> None:
    """The warehouse folder made read-only for a while (immutable: root cannot write it either)."""
    done = []
    try:
        for p in paths:
            if p.exists() and subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode == 0:
                done.append(p)
        time.sleep(seconds)
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def leftovers(warehouse: Path) -> int:
    return sum(1 for p in warehouse.rglob("*") if p.name.endswith(LEFTOVER_SUFFIXES)
               or (p.name.startswith(".") and ".building" in p.name))


def started_runs(home: Path) -> int:
    code = ("import dagster as dg\nwith dg.DagsterInstance.get() as i:\n"
            "    print(len(i.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))))")
    done = subprocess.run([sys.executable, "-c", code], env=_env(home), capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        return -1  # the instance does not open
    return int(done.stdout.strip().splitlines()[-1])


def ids_outside(home: Path, warehouse: Path, ids: list[bytes]) -> int:
    """Files holding a citizen ID where docs/privacy.md says none is: the Dagster instance, and anything under the
    warehouse outside the places it lists."""
    found = 0
    places = [p for p in home.rglob("*") if p.is_file()]
    places += [p for p in warehouse.iterdir() if p.name not in ALLOWED_TOP]
    for p in places:
        files = [p] if p.is_file() else [q for q in p.rglob("*") if q.is_file()]
        for f in files:
            data = f.read_bytes()
            found += any(i in data for i in ids)
    return found


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--children", type=int, default=150)
    ap.add_argument("--terms", type=int, default=2)
    ap.add_argument("--max-rounds", type=int, default=1000)
    ap.add_argument("--window", type=float, default=45, help="seconds of load and faults in a round")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from zero_dropout.generator import GeneratorConfig, generate
    from zero_dropout.terms import Term

    rng = random.Random(args.seed)
    work = args.out or Path(tempfile.mkdtemp(prefix="soak_"))
    shutil.rmtree(work, ignore_errors=True)
    terms = (Term.parse("2566-2"), Term.parse("2567-1"))[-args.terms:]
    generate(GeneratorConfig(PROVINCES, terms, args.children, seed=args.seed, forms="csv"), work / "gen")
    inbox, warehouse, home = work / "inbox", work / "warehouse", work / "home"
    shutil.copytree(work / "gen" / "inbox", inbox)
    # files that arrive during the soak: a late survey export of each province, copied in slowly
    late = sorted((work / "gen" / "inbox" / "survey").rglob("*.csv"))
    home.mkdir(parents=True)
    ids = [i.encode() for i in pl.read_parquet(work / "gen" / "truth" / "people.parquet")["citizen_id"].sample(
        200, seed=args.seed).to_list()]
    references: dict = {}
    totals = Counter()
    faults = Counter()
    deadline = time.monotonic() + args.minutes * 60
    max_concurrent, rounds, differed, lost, bad_failures = 0, 0, 0, 0, 0
    started = time.monotonic()
    while time.monotonic() < deadline and rounds < args.max_rounds:
        rounds += 1
        # three kinds in turn (every kind comes round by the fourth round), and two to five more at random
        kinds = sorted({*(KINDS[(3 * (rounds - 1) + i) % len(KINDS)] for i in range(3)),
                        *rng.sample(KINDS, k=rng.randint(2, 5))})
        # a window of continuous load: up to `pool` runs alive at once, a finished or killed one replaced at once
        # (as a supervisor restarts it), mostly one or two provinces a run, now and then all of them; a fault
        # of one of the round's kinds every few seconds
        pool = rng.randint(2, 8) if {"concurrent_runs", "same_province_runs"} & set(kinds) else 2
        window_end = time.monotonic() + rng.uniform(args.window * 0.75, args.window)
        live: list[subprocess.Popen] = []
        killed: set[int] = set()
        threads: list[threading.Thread] = []
        limit_next = False
        ticks_ok = [True]

        def launch(subset=None):
            nonlocal limit_next
            subset = subset or sorted(rng.sample(PROVINCES, k=rng.choice([1, 1, 1, 1, 2, 2, 3, 8])))
            fsize = rng.choice([64 << 10, 512 << 10, 4 << 20]) if limit_next else None
            limit_next = False
            live.append(start_run(inbox, warehouse, home, subset, fsize=fsize))

        first = sorted(rng.sample(PROVINCES, k=2))
        launch(first)
        if "same_province_runs" in kinds:
            launch(first[:1])  # the same province at once
            faults["same_province_runs"] += 1
        if "concurrent_runs" in kinds:
            faults["concurrent_runs"] += 1
        ended: list[tuple[subprocess.Popen, str]] = []
        next_fault = time.monotonic() + rng.uniform(1, 3)
        while time.monotonic() < window_end:
            for proc in [p for p in live if p.poll() is not None]:
                live.remove(proc)
                ended.append((proc, proc.stderr.read()))
            while len(live) < pool:
                launch()
            max_concurrent = max(max_concurrent, len(live))
            if time.monotonic() >= next_fault:
                kind = rng.choice(kinds)
                faults[kind] += 1
                if kind in ("kill_9", "sigterm"):
                    victim = rng.choice(live)
                    victim.send_signal(signal.SIGKILL if kind == "kill_9" else signal.SIGTERM)
                    killed.add(victim.pid)
                elif kind == "read_only":
                    threads.append(threading.Thread(target=read_only, args=([warehouse, warehouse / "staging"],
                                                                            rng.uniform(1, 3))))
                elif kind == "slow_copy":
                    src = rng.choice(late)
                    target = inbox / "survey" / src.parent.parent.name / src.parent.name / f"late_{rounds}_{faults[kind]}.csv"
                    threads.append(threading.Thread(target=slow_copy, args=(src, target, rng.uniform(2, 5))))
                elif kind == "corrupt_cache":
                    entries = sorted((warehouse / "staging" / "ingest_cache").glob("*.parquet"))
                    if entries:
                        victim_file = rng.choice(entries)
                        victim_file.write_bytes(victim_file.read_bytes()[: max(1, victim_file.stat().st_size // 2)])
                elif kind == "new_registry":
                    newer_registry(inbox, rng, rounds * 100 + faults[kind])
                elif kind == "disk_full":
                    limit_next = True  # the next run started has a file-size limit: its writes fail part way
                elif kind in ("sensor_tick", "schedule_tick"):
                    which = kind.split("_")[0]
                    threads.append(threading.Thread(target=lambda w=which: ticks_ok.__setitem__(
                        0, ticks_ok[0] and tick(home, inbox, warehouse, w) == 0)))
                else:  # concurrent_runs, same_province_runs: one more run at once, of a province already running
                    launch(sorted(rng.sample(PROVINCES, k=1)))
                if threads and not threads[-1].is_alive() and threads[-1].ident is None:
                    threads[-1].start()
                next_fault = time.monotonic() + rng.uniform(1.5, 4)
            time.sleep(0.2)
        for t in threads:
            t.join()
        for proc in live:  # the window ends as a night does when the service is stopped: SIGTERM what still runs
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                killed.add(proc.pid)
                faults["sigterm"] += 1
        for proc in live:
            try:
                proc.wait(timeout=900)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            ended.append((proc, proc.stderr.read()))
        ticks_ok = ticks_ok[0]
        for proc, err in ended:
            totals["runs"] += 1
            if proc.returncode == 0:
                totals["runs_succeeded"] += 1
            elif proc.pid in killed:
                totals["runs_killed"] += 1
            elif one_line(err):
                totals["runs_failed_with_one_line"] += 1
            else:
                bad_failures += 1
                print(json.dumps({"round": rounds, "failure_without_one_line": err.strip().splitlines()[-3:]}), flush=True)
        procs = [p for p, _ in ended]
        # one more run without faults: it must succeed and equal a clean serial run of the same inbox
        time.sleep(float(SETTLE_SECONDS))
        final = start_run(inbox, warehouse, home, [])
        final.wait(timeout=1800)
        final_err = final.stderr.read()
        expected = clean_reference(inbox, work, references)
        got = table_hashes(warehouse) if final.returncode == 0 else {}
        diff = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
        con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
        try:
            unbalanced = con.execute("SELECT coalesce(sum(rows_read - rows_accepted - rows_quarantined), 0) "
                                     "FROM ingest_files WHERE outcome = 'accepted'").fetchone()[0]
        finally:
            con.close()
        row = {"round": rounds, "faults": sorted(kinds), "runs": len(procs), "killed": len(killed),
               "final_run_ok": final.returncode == 0, "tables_differed": diff, "rows_lost": int(unbalanced),
               "leftovers": leftovers(warehouse), "runs_left_started": started_runs(home), "ticks_ok": ticks_ok,
               "ids_outside_listed_places": ids_outside(home, warehouse, ids),
               "seconds": round(time.monotonic() - started, 1)}
        if final.returncode:
            row["final_run_error"] = final_err.strip().splitlines()[-1:] if final_err else []
        differed += len(diff)
        lost += int(unbalanced)
        print(json.dumps(row), flush=True)
        if not (row["final_run_ok"] and not diff and not row["leftovers"] and row["runs_left_started"] == 0
                and ticks_ok and not row["ids_outside_listed_places"]):
            totals["rounds_failed"] += 1
    summary = {"rounds": rounds, "minutes": round((time.monotonic() - started) / 60, 1),
               "faults_injected": sum(faults.values()), "faults_by_kind": dict(sorted(faults.items())),
               "max_concurrent_runs": max_concurrent, "rows_lost": lost, "tables_differed": differed,
               "runs_failing_without_one_line": bad_failures, **dict(totals)}
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    result = main()
    sys.exit(1 if result.get("rounds_failed") or result["runs_failing_without_one_line"] else 0)
