"""The inbox layout of the contract: where each source's files live and which partitions they touch.

    inbox/registry/<province>/<file>
    inbox/moe/<term>/<file>
    inbox/survey/<province>/<term>/<file>
    inbox/aid/<province>/<term>/<file>
    inbox/justice/<province>/<term>/<file>
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from zero_dropout import areas
from zero_dropout.contract import PROVINCE_TERM_SOURCES, SOURCES
from zero_dropout.terms import is_term

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}
# A file still being copied in is not read: it must have stayed unchanged (size and modification time) this long.
SETTLE_ENV = "ZERO_DROPOUT_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class InboxFile:
    source: str  # one of contract.SOURCES
    path: Path
    rel: str  # path relative to the inbox, with /
    province: str | None
    term: str | None
    problem: str | None = None  # why the file's place in the inbox is wrong


def settle_seconds() -> float:
    """How long a file must stay unchanged before it is read (``ZERO_DROPOUT_SETTLE_SECONDS``, default 60)."""
    return float(os.environ.get(SETTLE_ENV) or DEFAULT_SETTLE_SECONDS)


def arriving_for(path: Path, settle: float | None = None, now: float | None = None) -> float | None:
    """Seconds since ``path`` last changed when that is under the settle time (it may still be being copied),
    else None. The bundled samples are part of the installation and never arriving."""
    from zero_dropout.samples import BUNDLED_INBOX

    settle = settle_seconds() if settle is None else settle
    if settle <= 0 or Path(path).resolve().is_relative_to(BUNDLED_INBOX.resolve()):
        return None
    age = (time.time() if now is None else now) - Path(path).stat().st_mtime
    return max(age, 0.0) if age < settle else None


def signature(path: Path) -> tuple[int, int]:
    """(size, modification time in ns): what changes while a file is written."""
    st = Path(path).stat()
    return st.st_size, st.st_mtime_ns


def still_arriving(age: float | None = None, settle: float | None = None, *, changed_while_read: bool = False) -> str:
    """The ``ingest_files`` message of a file not read yet because it may still be being copied."""
    settle = settle_seconds() if settle is None else settle
    what = "it changed while it was read" if changed_while_read else f"it changed {age:.0f} s ago"
    return (f"still arriving: {what}; it is read once it has not changed for {settle:.0f} s (the next run or "
            "sensor tick takes it)")


def arriving(inbox: Path) -> list[tuple[InboxFile, float]]:
    """Every placed file of the inbox that may still be being copied, with seconds since it changed."""
    settle = settle_seconds()
    out = []
    for f in scan(inbox):
        if f.problem is None:
            age = arriving_for(f.path, settle)
            if age is not None:
                out.append((f, age))
    return out


def content_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _classify(inbox: Path, path: Path) -> InboxFile:
    rel = path.relative_to(inbox).as_posix()
    parts = rel.split("/")
    source = parts[0]
    provinces = areas.province_codes()
    if source == "registry":
        if len(parts) != 3 or parts[1] not in provinces:
            return InboxFile(source, path, rel, None, None, "expected inbox/registry/<2-digit province code>/<file>")
        return InboxFile(source, path, rel, parts[1], None)
    if source == "moe":
        if len(parts) != 3 or not is_term(parts[1]):
            return InboxFile(source, path, rel, None, None, "expected inbox/moe/<term YYYY-S>/<file>")
        return InboxFile(source, path, rel, None, parts[1])
    if source in PROVINCE_TERM_SOURCES:
        if len(parts) != 4 or parts[1] not in provinces or not is_term(parts[2]):
            return InboxFile(source, path, rel, None, None,
                             f"expected inbox/{source}/<2-digit province code>/<term YYYY-S>/<file>")
        return InboxFile(source, path, rel, parts[1], parts[2])
    return InboxFile(source, path, rel, None, None, f"expected the first folder to be {', '.join(SOURCES[:-1])} or {SOURCES[-1]}")


def scan(inbox: Path, under: tuple[str, ...] = ()) -> list[InboxFile]:
    """Every file under the inbox (or under its folder ``under``, e.g. ``("survey", "55")``), sorted by path
    (hidden files and folders and Office lock files are ignored). A file of a type the pipeline does not read
    (``.xls``, ``.pdf``) is listed with its problem."""
    inbox = Path(inbox)
    files = []
    for path in sorted(inbox.joinpath(*under).rglob("*")):
        rel_parts = path.relative_to(inbox).parts
        if not path.is_file() or any(p.startswith((".", "~$")) for p in rel_parts):
            continue
        f = _classify(inbox, path)
        if path.suffix.lower() not in SUFFIXES:
            where = f"; {f.problem}" if f.problem else ""
            f = InboxFile(f.source, path, f.rel, None, None, f"unsupported file type {path.suffix or '(none)'}: save it "
                          f"as .xlsx, .csv or .parquet{where}")
        files.append(f)
    return files


def misplaced(inbox: Path):
    """``ingest_files`` rows (outcome refused) for every file that is in no partition's place, with where it
    should have gone: never skipped without a word."""
    import polars as pl

    from zero_dropout.tables import INGEST_FILES, PARTITION

    rows = [{**{k: None for k in INGEST_FILES.columns}, "source": f.source if f.source in SOURCES
             else "unknown", "source_file": f.rel, "content_hash": content_hash(f.path), "rows_read": 0,
             "rows_accepted": 0, "rows_quarantined": 0, "outcome": "refused", "message": f.problem}
            for f in scan(inbox) if f.problem is not None]
    schema = {**INGEST_FILES.schema, **PARTITION}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def provinces_and_terms(inbox: Path) -> tuple[list[str], list[str]]:
    files = [f for f in scan(inbox) if f.problem is None]
    provinces = sorted({f.province for f in files if f.province})
    terms = sorted({f.term for f in files if f.term})
    return provinces, terms


def files_for(inbox: Path, source: str, province: str | None = None, term: str | None = None) -> list[InboxFile]:
    """The files of one partition of a source: only its own folder is listed (a national inbox holds tens of
    thousands of files)."""
    if source == "moe":
        folder = (source, term) if term else (source,)
    elif source == "registry" or not (province and term):
        folder = (source, province) if province else (source,)
    else:
        folder = (source, province, term)
    return [
        f for f in scan(inbox, folder)
        if f.source == source and f.problem is None
        and (province is None or f.province == province) and (term is None or f.term == term)
    ]
