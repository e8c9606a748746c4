"""What a killed process leaves behind, found and removed at the next start.

Every temporary file or folder the pipeline writes carries the writing process's id in its name
(``.<name>.<pid>.tmp``, ``.<name>.<pid>.building``) or an ``.owner`` file (a province history's draft), so a
leftover is told from the work of a process still running: only what a dead process wrote is removed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

TEMP_NAME = re.compile(r"^\..+\.(\d+)\.(tmp|building)(\.wal)?$")
OWNER = ".owner"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def mark_owner(folder: Path) -> None:
    """Create ``folder`` with its owner (this process) inside, at once: it is built under a temporary name and
    renamed, so another process's `remove` never sees the folder without its owner and takes it for a leftover."""
    if (folder / OWNER).exists():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = folder.with_name(f".{folder.name}.{os.getpid()}.building")
    building.mkdir(exist_ok=True)
    (building / OWNER).write_text(str(os.getpid()))
    try:
        os.rename(building, folder)  # replaces an empty folder; fails when the folder has files already
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        folder.mkdir(exist_ok=True)
        if not (folder / OWNER).exists():
            (folder / OWNER).write_text(str(os.getpid()))


def owner_alive(folder: Path) -> bool:
    try:
        return alive(int((folder / OWNER).read_text()))
    except (OSError, ValueError):
        return False


def remove(warehouse: Path) -> dict[str, int]:
    """Remove temporary files of dead processes under ``warehouse`` and province drafts that a dead process
    left unfinished (a complete draft waits for its publication and stays). Returns counts only."""
    warehouse = Path(warehouse)
    counts = {"temporary_files": 0, "unfinished_drafts": 0}
    if not warehouse.is_dir():
        return counts
    # os.walk, not rglob: other runs create and remove folders while this one looks, and a folder gone before
    # it was read is skipped, not an error
    for root, dirs, files in os.walk(warehouse):
        for name in [*dirs, *files]:
            m = TEMP_NAME.match(name)
            if m and not alive(int(m.group(1))):
                path = Path(root) / name
                shutil.rmtree(path, ignore_errors=True) if name in dirs else path.unlink(missing_ok=True)
                counts["temporary_files"] += 1
        dirs[:] = [d for d in dirs if not TEMP_NAME.match(d)]
    for draft in (warehouse / "staging" / "drafts").glob("province=*/*"):
        if not draft.name.startswith(".") and draft.is_dir() and not (draft / "COMPLETE").exists() and not owner_alive(draft):
            shutil.rmtree(draft, ignore_errors=True)
            counts["unfinished_drafts"] += 1
    return counts
