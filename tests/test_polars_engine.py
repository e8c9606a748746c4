"""Which engine Polars collects on: in memory for the pipeline's processes, Polars' own choice inside
``national()``, and an engine chosen by whoever started the process left alone."""

from __future__ import annotations

import os
import threading
import time

import polars as pl
import pytest

from zero_dropout import polars_engine


def affinity() -> str | None:
    return os.environ.get(polars_engine.ENV)


@pytest.fixture
def clean_engine(monkeypatch):
    before = {k: os.environ.get(k) for k in (polars_engine.ENV, polars_engine.OURS)}
    monkeypatch.delenv(polars_engine.ENV, raising=False)
    monkeypatch.delenv(polars_engine.OURS, raising=False)
    pl.Config.set_engine_affinity(None)
    yield
    pl.Config.set_engine_affinity(before[polars_engine.ENV])  # Polars reads the variable again when set this way
    if before[polars_engine.OURS] is None:
        os.environ.pop(polars_engine.OURS, None)
    else:
        os.environ[polars_engine.OURS] = before[polars_engine.OURS]


def test_in_memory_for_the_run_and_polars_own_choice_for_national_work(clean_engine):
    polars_engine.use_in_memory()
    assert affinity() == "in-memory"
    assert os.environ[polars_engine.OURS] == "1"  # a process the run starts inherits both
    with polars_engine.national():
        assert affinity() == "auto"
        with polars_engine.national():
            assert affinity() == "auto"
        assert affinity() == "auto"  # the outer block is still open
    assert affinity() == "in-memory"
    polars_engine.use_in_memory()  # again (a step's resources after the run's start): the same
    assert affinity() == "in-memory"


def test_blocks_open_in_several_threads_share_one_setting(clean_engine):
    polars_engine.use_in_memory()
    seen, started = [], threading.Barrier(4)

    def work(seconds: float) -> None:
        with polars_engine.national():
            started.wait()
            time.sleep(seconds)
            seen.append(affinity())

    threads = [threading.Thread(target=work, args=(s,)) for s in (0.05, 0.2, 0.1)]
    for t in threads:
        t.start()
    started.wait()
    assert affinity() == "auto"
    for t in threads:
        t.join()
    assert seen == ["auto", "auto", "auto"]  # the first block to end did not put in-memory back under the others
    assert affinity() == "in-memory"


def test_an_engine_chosen_by_whoever_started_the_process_is_left_alone(clean_engine, monkeypatch):
    monkeypatch.setenv(polars_engine.ENV, "streaming")
    polars_engine.use_in_memory()
    assert affinity() == "streaming"
    with polars_engine.national():
        assert affinity() == "streaming"
    assert affinity() == "streaming"
    assert polars_engine.OURS not in os.environ


def test_the_same_frames_on_every_engine(clean_engine):
    """What the engine changes is speed: a join, an anti join and a grouped count give the same frames."""
    left = pl.LazyFrame({"id": [str(i % 97) for i in range(5000)], "v": list(range(5000))})
    right = pl.LazyFrame({"id": [str(i) for i in range(0, 97, 3)], "w": list(range(0, 97, 3))})
    query = pl.concat([
        left.join(right, on="id", how="left", maintain_order="left").select("id", "v", "w"),
        left.join(right, on="id", how="anti").with_columns(pl.lit(None, pl.Int64).alias("w")).select("id", "v", "w"),
    ]).group_by("id").agg(pl.len(), pl.col("v").sum(), pl.col("w").max()).sort("id")
    polars_engine.use_in_memory()
    in_memory = query.collect()
    with polars_engine.national():
        own_choice = query.collect()
    assert in_memory.equals(own_choice) and in_memory.height == 97
