"""Removing a killed run's leftovers while other runs create, fill and remove their own folders."""

from __future__ import annotations

import os
import shutil
import threading

from zero_dropout import leftovers


def test_remove_while_other_runs_create_and_remove_their_drafts(tmp_path):
    warehouse = tmp_path / "w"
    drafts = warehouse / "staging" / "drafts"
    drafts.mkdir(parents=True)
    stop, errors, removed_live = threading.Event(), [], []

    def other_run(province: str) -> None:
        # a live run: creates its draft (owner inside), writes a nested file, publishes (removes the draft)
        i = 0
        while not stop.is_set():
            draft = drafts / f"province={province}" / f"run-{i}"
            leftovers.mark_owner(draft)
            (draft / "term=2567-1" / "links").mkdir(parents=True, exist_ok=True)
            (draft / "term=2567-1" / "links" / "moe.parquet").write_text("")
            if not (draft / leftovers.OWNER).exists():
                removed_live.append(province)
            shutil.rmtree(draft, ignore_errors=True)
            i += 1

    def remover() -> None:
        while not stop.is_set():
            try:
                leftovers.remove(warehouse)
            except Exception as e:  # noqa: BLE001 - the test reports what was raised
                errors.append(type(e).__name__)

    threads = [threading.Thread(target=other_run, args=(p,)) for p in ("10", "65")] + [threading.Thread(target=remover)]
    for t in threads:
        t.start()
    threading.Event().wait(3)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert removed_live == []  # a live run's draft is never taken for a leftover, even while it is being created


def test_mark_owner_on_a_folder_that_exists_already(tmp_path):
    full = tmp_path / "full"
    (full / "sub").mkdir(parents=True)
    leftovers.mark_owner(full)
    empty = tmp_path / "empty"
    empty.mkdir()
    leftovers.mark_owner(empty)
    for folder in (full, empty):
        assert (folder / leftovers.OWNER).read_text() == str(os.getpid())
        assert leftovers.owner_alive(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "full"]  # no building folder left
    assert (full / "sub").is_dir()
