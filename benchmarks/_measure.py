"""Helpers for benchmarks: wall time and peak resident memory of this process and its children."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from contextlib import contextmanager


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
