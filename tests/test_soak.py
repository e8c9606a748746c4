"""A short fault-injection soak (benchmarks/soak.py, fixed seed): concurrent runs of the same and of different
provinces, kills, SIGTERM, a read-only warehouse, a full disk, a slowly copied file, a damaged cache entry, a newer
registry extract mid-run, sensor and schedule ticks; after each round a run without faults equals a clean serial
run table for table, with nothing left behind. The README gives the 10-minute soak's figures."""

from __future__ import annotations

import importlib.util

import zero_dropout


def test_a_short_soak_loses_nothing_and_differs_in_nothing(tmp_path):
    spec = importlib.util.spec_from_file_location("soak", zero_dropout.PROJECT_ROOT / "benchmarks" / "soak.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    summary = soak.main(["--minutes", "1", "--max-rounds", "1", "--window", "12", "--children", "40", "--terms", "1",
                         "--seed", "5", "--out", str(tmp_path / "soak")])
    assert summary["rounds"] >= 1 and summary["faults_injected"] >= 5
    assert summary["rows_lost"] == 0 and summary["tables_differed"] == 0
    assert summary["runs_failing_without_one_line"] == 0 and not summary.get("rounds_failed")
