"""The inbox layout of the contract: where each source's files live and which partitions they touch.

    inbox/registry/<province>/<file>
    inbox/moe/<term>/<file>
    inbox/survey/<province>/<term>/<file>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from zero_dropout import areas
from zero_dropout.terms import is_term

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}


@dataclass(frozen=True)
class InboxFile:
    source: str  # registry / moe / survey
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
    if source == "survey":
        if len(parts) != 4 or parts[1] not in provinces or not is_term(parts[2]):
            return InboxFile(source, path, rel, None, None,
                             "expected inbox/survey/<2-digit province code>/<term YYYY-S>/<file>")
        return InboxFile(source, path, rel, parts[1], parts[2])
    return InboxFile(source, path, rel, None, None, "expected the first folder to be registry, moe or survey")


def scan(inbox: Path) -> list[InboxFile]:
    """Every data file under the inbox, sorted by path (hidden files and folders are ignored)."""
    inbox = Path(inbox)
    files = []
    for path in sorted(inbox.rglob("*")):
        rel_parts = path.relative_to(inbox).parts
        if not path.is_file() or any(p.startswith((".", "~$")) for p in rel_parts):
            continue
        if path.suffix.lower() not in SUFFIXES:
            continue
        files.append(_classify(inbox, path))
    return files


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
