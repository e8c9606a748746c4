"""`zero-dropout purge`: remove the personal data of inputs that are no longer in the inbox.

The ingest cache keeps every file's rows under its content hash, and the staging of each source keeps the rows
of its partition; after a file is deleted from the inbox both would keep its children's data until overwritten.
Purge removes cache entries no current inbox file yields and source staging of partitions with no file left.
Published versions of provinces are the warehouse's content and stay (docs/privacy.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from schemas.ingest import IngestCache
from zero_dropout import inbox as inbox_mod
from zero_dropout.contract import PROVINCE_TERM_SOURCES, load_contract
from zero_dropout.staging import Staging


def purge(inbox: Path, warehouse: Path) -> dict[str, int]:
    """Returns counts of what was removed (no names of files that held personal data are needed)."""
    contract = load_contract()
    files = [f for f in inbox_mod.scan(inbox) if f.problem is None]
    cache = IngestCache(Path(warehouse) / "staging" / "ingest_cache")
    wanted = {cache.key(f.source, None if f.source == "moe" else f.province, inbox_mod.content_hash(f.path), contract)
              for f in files}
    removed = {"cache_entries": 0, "source_partitions": 0}
    if cache.root.is_dir():
        stale = {p.name.split(".", 1)[0] for p in cache.root.iterdir() if not p.name.startswith(".")} - wanted
        for key in stale:
            for part in cache.root.glob(f"{key}.*"):
                part.unlink()
            removed["cache_entries"] += 1
    staging = Staging(warehouse)
    present = {("registry", f"province={f.province}") for f in files if f.source == "registry"}
    present |= {("moe", f"term={f.term}") for f in files if f.source == "moe"}
    present |= {(f.source, f"province={f.province}/term={f.term}") for f in files if f.source in PROVINCE_TERM_SOURCES}
    for source, pattern in (("registry", "province=*"), ("moe", "term=*"),
                            *((s, "province=*/term=*") for s in PROVINCE_TERM_SOURCES)):
        for folder in sorted((staging.root / source).glob(pattern)):
            if folder.is_dir() and (source, str(folder.relative_to(staging.root / source))) not in present:
                shutil.rmtree(folder)
                removed["source_partitions"] += 1
    return removed
