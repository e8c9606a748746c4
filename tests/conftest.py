"""Shared fixtures: the bundled samples run once per test session, in process, into a temporary warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import zero_dropout

SAMPLES = zero_dropout.PROJECT_ROOT / "data_samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Path:
    """Materialise every asset for the bundled samples (2 provinces x 2 terms) with the real Dagster job."""
    from pipelines.runner import run

    warehouse = tmp_path_factory.mktemp("warehouse")
    lines: list[str] = []
    run(SAMPLES / "inbox", warehouse, progress=lines.append)
    assert lines[-1].startswith("[15/15] report_job")  # the reports come last
    assert any(line.strip().startswith("moe_linkage done in") for line in lines)  # progress per step
    return warehouse


# Tests write inbox files and read them at once: no settle time unless a test sets one (the still-arriving
# tests do). The command line's default is 60 s.
os.environ.setdefault("ZERO_DROPOUT_SETTLE_SECONDS", "0")
