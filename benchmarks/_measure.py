"""Helpers for benchmarks: wall time and peak resident memory of this process and its children."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager

# A benchmark reads the inbox its own generator has just written: no file is still being copied into it, so a file
# written a second ago is read (by default a file is left out until it stayed unchanged for 60 s, and a freshly
# generated inbox was read as empty). Child processes inherit it.
os.environ.setdefault("ZERO_DROPOUT_SETTLE_SECONDS", "0")


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


@contextmanager
def timed(results: dict, name: str):
    started = time.perf_counter()
    yield
    results[name] = round(time.perf_counter() - started, 2)


def in_child(script: str, out, method: str) -> str:
    """Run one method of a benchmark script in its own process (its own peak memory); returns its stdout."""
    proc = subprocess.run([sys.executable, script, "--out", str(out), "--method", method], check=True,
                          stdout=subprocess.PIPE, text=True)
    return proc.stdout


def cli_run(args: list[str], env_extra: dict | None = None) -> dict:
    """One `zero-dropout ...` command in a child process: its wall time, its own peak RSS (wait4), its output
    lines and the seconds of each asset step it printed (summed over the runs of the command)."""
    import os
    import tempfile

    env = {**os.environ, "ZERO_DROPOUT_PSEUDONYM_KEY": "benchmark-key", "DAGSTER_DISABLE_TELEMETRY": "1",
           "ZERO_DROPOUT_SETTLE_SECONDS": "0", **(env_extra or {})}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], env=env, stdout=stdout, stderr=stderr,
                                text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        stdout.seek(0), stderr.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(stderr.read()[-3000:])
        lines = stdout.read().strip().splitlines()
    steps: dict[str, float] = {}
    for ln in lines:
        if ln.startswith("      ") and ln.rstrip().endswith(" s") and " done in " in ln:
            steps[ln.split()[0]] = round(steps.get(ln.split()[0], 0.0) + float(ln.split()[-2]), 1)
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024), "step_seconds": steps,
            "runs": sum(1 for ln in lines if ln.startswith("[") and ln.rstrip().endswith(" ...")), "lines": lines}
