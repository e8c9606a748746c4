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
    folder.mkdir(parents=True, exist_ok=True)
    owner = folder / OWNER
    if not owner.exists():
        owner.write_text(str(os.getpid()))


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
    for path in list(warehouse.rglob(".*")):
        m = TEMP_NAME.match(path.name)
        if m and not alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            counts["temporary_files"] += 1
    for draft in (warehouse / "staging" / "drafts").glob("province=*/*"):
        if draft.is_dir() and not (draft / "COMPLETE").exists() and not owner_alive(draft):
            shutil.rmtree(draft, ignore_errors=True)
            counts["unfinished_drafts"] += 1
    return counts
