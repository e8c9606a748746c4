"""A file still being copied into the inbox is never read as complete: not by a run, not by the sensor, not
when it changes while it is read. ingest_files says "still arriving" and the next run or tick takes it."""

from __future__ import annotations

import os
import shutil
import time

import dagster as dg
import polars as pl

from pipelines.resources import PipelinePaths
from pipelines.runner import wait_for_arriving_files
from pipelines.sensors import plan_runs
from schemas import ingest as ingest_mod
from schemas.ingest import IngestCache, ingest
from zero_dropout import inbox

SURVEY = "survey/55/2567-1/survey_55_2567-1.csv"


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _settled_copy(samples, tmp_path):
    """The samples' inbox, copied an hour ago."""
    shutil.copytree(samples / "inbox", tmp_path / "inbox")
    for path in (tmp_path / "inbox").rglob("*"):
        if path.is_file():
            _age(path, 3600)


def test_a_half_copied_file_is_not_ingested_until_it_settles(tmp_path, samples, monkeypatch):
    monkeypatch.setenv(inbox.SETTLE_ENV, "30")
    whole = (samples / "inbox" / SURVEY).read_bytes()
    target = tmp_path / "inbox" / SURVEY
    target.parent.mkdir(parents=True)
    target.write_bytes(whole[: len(whole) // 2])  # the copy has written half the file
    cache = IngestCache(tmp_path / "cache")
    first = ingest(inbox.files_for(tmp_path / "inbox", "survey"), "survey", province="55", term="2567-1", cache=cache)
    row = first.files.row(0, named=True)
    assert first.accepted.height == 0 and row["outcome"] == "refused" and row["message"].startswith("still arriving")
    assert row["content_hash"] is None and not list((tmp_path / "cache").glob("*.json"))  # nothing recorded as read
    target.write_bytes(whole)  # the copy finishes; a minute later the file has settled
    _age(target, 60)
    second = ingest(inbox.files_for(tmp_path / "inbox", "survey"), "survey", province="55", term="2567-1", cache=cache)
    whole_rows = pl.read_csv(samples / "inbox" / SURVEY, infer_schema=False).height
    assert second.files["outcome"].to_list() == ["accepted"] and second.counts()["rows_read"] == whole_rows


def test_a_file_written_to_while_it_is_read_is_not_taken_or_cached(tmp_path, samples, monkeypatch):
    monkeypatch.setenv(inbox.SETTLE_ENV, "30")
    target = tmp_path / "inbox" / SURVEY
    target.parent.mkdir(parents=True)
    shutil.copy2(samples / "inbox" / SURVEY, target)
    _age(target, 120)  # it looked settled when the run started
    real = ingest_mod._read_one

    def read_while_appended(f, *args):
        out = real(f, *args)
        with f.path.open("ab") as fh:  # a late copy (or an editor) writes to it meanwhile
            fh.write(b"S99999-1,2024-01-01,x,,,x,x,1,,,,,found,,,,,\n")
        return out

    monkeypatch.setattr(ingest_mod, "_read_one", read_while_appended)
    cache = IngestCache(tmp_path / "cache")
    result = ingest(inbox.files_for(tmp_path / "inbox", "survey"), "survey", province="55", term="2567-1", cache=cache)
    row = result.files.row(0, named=True)
    assert result.accepted.height == 0 and row["message"].startswith("still arriving: it changed while it was read")
    assert not list((tmp_path / "cache").glob("*.json"))


def test_the_sensor_takes_a_file_once_it_has_settled(tmp_path, samples, monkeypatch):
    monkeypatch.setenv(inbox.SETTLE_ENV, "30")
    _settled_copy(samples, tmp_path)
    paths = PipelinePaths(inbox_dir=str(tmp_path / "inbox"), warehouse_dir=str(tmp_path / "w"))
    _, _, cursor, _, arriving = plan_runs(paths, {})
    assert arriving == 0
    new = tmp_path / "inbox" / "survey" / "40" / "2567-1" / "late_visits.csv"
    new.write_bytes((samples / "inbox" / SURVEY).read_bytes()[:500])  # being copied
    requests, _, later, _, arriving = plan_runs(paths, cursor)
    assert requests == [] and arriving == 1 and new.relative_to(tmp_path / "inbox").as_posix() not in later
    _age(new, 60)
    requests, _, _, _, arriving = plan_runs(paths, later)
    assert arriving == 0 and [(r.job_name, str(r.partition_key)) for r in requests] == [("survey_job", "40|2567-1")]
    assert isinstance(requests[0], dg.RunRequest)


def test_a_run_waits_for_files_still_being_copied(tmp_path, samples, monkeypatch):
    monkeypatch.setenv(inbox.SETTLE_ENV, "1.5")
    _settled_copy(samples, tmp_path)
    fresh = tmp_path / "inbox" / SURVEY
    fresh.touch()
    lines: list[str] = []
    started = time.monotonic()
    wait_for_arriving_files(tmp_path / "inbox", lines.append)
    assert 1.0 <= time.monotonic() - started < 10
    assert lines == ["waiting for 1 inbox files still being copied (read once unchanged for 2 s)"]
    assert inbox.arriving(tmp_path / "inbox") == []
    # the bundled samples are part of the installation: never waited for, however fresh the checkout
    lines.clear()
    wait_for_arriving_files(samples / "inbox", lines.append)
    assert lines == []
