"""The inbox layout of the contract: where each source's files live and which partitions they touch.

    inbox/registry/<province>/<file>
    inbox/moe/<term>/<file>
    inbox/survey/<province>/<term>/<file>
    inbox/aid/<province>/<term>/<file>
    inbox/justice/<province>/<term>/<file>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from zero_dropout import areas
from zero_dropout.contract import PROVINCE_TERM_SOURCES, SOURCES
from zero_dropout.terms import is_term

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}


@dataclass(frozen=True)
class InboxFile:
    source: str  # one of contract.SOURCES
    path: Path
    rel: str  # path relative to the inbox, with /
    province: str | None
    term: str | None
    problem: str | None = None  # why the file's place in the inbox is wrong


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


def scan(inbox: Path) -> list[InboxFile]:
    """Every file under the inbox, sorted by path (hidden files and folders and Office lock files are ignored).
    A file of a type the pipeline does not read (``.xls``, ``.pdf``) is listed with its problem."""
    inbox = Path(inbox)
    files = []
    for path in sorted(inbox.rglob("*")):
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
    return [
        f for f in scan(inbox)
        if f.source == source and f.problem is None
        and (province is None or f.province == province) and (term is None or f.term == term)
    ]
