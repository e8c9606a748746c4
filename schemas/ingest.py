"""Ingest a partition's files: read, standardise, validate, and account for every row and file.

Returns accepted rows with lineage, quarantined rows with the failing column
and check, and one ``ingest_files`` row per file seen. No file problem stops
the others; the only exception raised is for a programming error.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from schemas import ValidationResult, validate
from zero_dropout import standardize
from zero_dropout.contract import Contract, load_contract
from zero_dropout.errors import describe
from zero_dropout.inbox import InboxFile, arriving_for, content_hash, signature, still_arriving
from zero_dropout.readers import FileRefused, read_table
from zero_dropout.tables import DATA_ISSUES, INGEST_FILES, QUARANTINE



@dataclass
class IngestResult:
    accepted: pl.DataFrame
    quarantine: pl.DataFrame
    files: pl.DataFrame
    issues: pl.DataFrame
    in_use: str | None = None  # latest_only: the extract in use
    unusable_newer: list[str] = field(default_factory=list)  # newer extracts without a usable row (the last good stays)

    def counts(self) -> dict[str, int]:
        f = self.files
        return {
            "files_seen": f.height,
            "files_accepted": f.filter(pl.col("outcome") == "accepted").height,
            "files_refused": f.filter(pl.col("outcome") == "refused").height,
            "files_duplicate": f.filter(pl.col("outcome") == "duplicate").height,
            "rows_read": int(f["rows_read"].fill_null(0).sum()),
            "rows_accepted": int(f["rows_accepted"].fill_null(0).sum()),
            "rows_quarantined": int(f["rows_quarantined"].fill_null(0).sum()),
            "rows_with_data_issues": int(f["rows_with_issues"].fill_null(0).sum()),
        }


def _file_row(source: str, f: InboxFile, digest: str | None, outcome: str, message: str, **kw) -> dict:
    row = {k: None for k in INGEST_FILES.columns}
    row.update(source=source, source_file=f.rel, content_hash=digest, outcome=outcome, message=message, **kw)
    return row


STANDARDIZERS = {"registry": standardize.registry, "moe": standardize.moe, "survey": standardize.survey,
                 "aid": standardize.aid, "justice": standardize.justice}


CHUNK_ROWS = 1_000_000
# validation-only columns, not kept with accepted rows
DERIVED_FLAGS = ["birth_unparsed", "birth_impossible", "move_in_unparsed", "move_in_impossible", "survey_unparsed",
                 "survey_impossible", "birth_date_text", "lat_unparsed", "lon_unparsed", "amount_unparsed", "paid_unparsed",
                 "paid_impossible", "admitted_unparsed", "admitted_impossible", "released_unparsed", "released_impossible"]

# Bump when reading, standardising or validation changes what an ingested file yields.
INGEST_VERSION = "4"


class IngestCache:
    """Per-file results keyed by content hash: a file already ingested is not read again."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def key(self, source: str, province: str | None, digest: str, contract: Contract) -> str:
        text = "|".join([INGEST_VERSION, source, province or "", digest, contract.fingerprint])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    PARTS = ("accepted", "quarantine", "issues")

    def load(self, key: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict] | None:
        meta = self.root / f"{key}.json"
        if not meta.exists():
            return None
        try:
            return (*(pl.read_parquet(self.root / f"{key}.{part}.parquet") for part in self.PARTS),
                    json.loads(meta.read_text()))
        except Exception:  # noqa: BLE001  (a damaged entry, e.g. a disk that filled: read the file again)
            for part in self.root.glob(f"{key}.*"):
                part.unlink(missing_ok=True)
            return None

    def save(self, key: str, accepted: pl.DataFrame, quarantine: pl.DataFrame, issues: pl.DataFrame, meta: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, frame in zip(self.PARTS, (accepted, quarantine, issues)):
            tmp = self.root / f".{key}.{name}.{os.getpid()}.tmp"
            frame.write_parquet(tmp)
            os.replace(tmp, self.root / f"{key}.{name}.parquet")
        tmp = self.root / f".{key}.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, self.root / f"{key}.json")  # written last: its presence means the entry is whole


def unreadable(err: BaseException) -> str:
    """Why a file could not be read, without any value from it (``zero_dropout.errors.describe``)."""
    return f"could not be read ({describe(err)}); the file was left out, the rest of the run goes on"


def _read_one(f: InboxFile, source: str, province: str | None, contract: Contract) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict]:
    """Read, standardise and validate one file (lineage columns are added by the caller)."""
    spec = contract.sources[source]
    table = read_table(f.path, f.rel, spec)
    fields = [c for c in table.frame.columns if c not in ("source_sheet", "source_row")]
    raw = table.frame.with_columns(standardize.first_in_file(source).alias(standardize.FIRST_IN_FILE),
                                   standardize.readable(fields).alias(standardize.READABLE))
    goods, bads, issues, rows_in = [], [], [], 0
    for chunk in raw.iter_slices(CHUNK_ROWS):  # bounded memory: standardise and validate a chunk at a time
        frame = STANDARDIZERS[source](chunk.lazy(), contract).collect()
        part = validate(frame, source, chunk.drop(standardize.FIRST_IN_FILE, standardize.READABLE), province)
        goods.append(part.accepted.drop(standardize.FIRST_IN_FILE, standardize.READABLE, *DERIVED_FLAGS, strict=False))
        bads.append(part.quarantine)
        issues.append(part.issues)
        rows_in += part.rows_in
    del raw
    result = ValidationResult(pl.concat(goods, how="diagonal_relaxed"), pl.concat(bads, how="diagonal_relaxed"), rows_in,
                              pl.concat(issues, how="diagonal_relaxed"))
    message = "ok" if not result.rows_quarantined else f"{result.rows_quarantined} rows quarantined"
    if result.rows_with_issues:
        by_issue = result.issues.group_by("column", "check").len().sort("column", "check")
        message += f"; {result.rows_with_issues} rows kept with an unusable optional field set to null (" + ", ".join(
            f"{r['column']}:{r['check']} {r['len']}" for r in by_issue.iter_rows(named=True)) + ")"
    if table.unknown_columns:
        message += f"; {len(table.unknown_columns)} unknown columns ignored: {', '.join(table.unknown_columns)}"
    if table.skipped_sheets:
        message += f"; sheets without a known header skipped: {', '.join(table.skipped_sheets)}"
    meta = dict(message=message, rows_read=result.rows_in, rows_accepted=result.accepted.height,
                rows_quarantined=result.rows_quarantined, form=table.form, encoding=table.encoding,
                delimiter=table.delimiter, unknown_columns=len(table.unknown_columns), rows_with_issues=result.rows_with_issues)
    return result.accepted, result.quarantine, result.issues, meta


def ingest(files: list[InboxFile], source: str, *, province: str | None = None, term: str | None = None,
           contract: Contract | None = None, latest_only: bool = False, cache: IngestCache | None = None) -> IngestResult:
    """Ingest ``files`` of one source for one partition.

    ``latest_only`` (registry): only the last file by name is used; earlier ones are recorded as
    superseded. A file whose content hash was already seen in this partition is a duplicate. With a
    ``cache``, a file whose content was ingested before is taken from it instead of being read again.
    """
    contract = contract or load_contract()
    accepted, quarantined, issues, file_rows = [], [], [], []
    # a file that changed within the settle time may still be being copied: not read now, said so
    ages = {f.rel: arriving_for(f.path) for f in files}
    for f in files:
        if ages[f.rel] is not None:
            file_rows.append(_file_row(source, f, None, "refused", still_arriving(ages[f.rel]), rows_read=0,
                                       rows_accepted=0, rows_quarantined=0))
    files = [f for f in files if ages[f.rel] is None]
    signatures = {f.rel: signature(f.path) for f in files}  # before the hash: a change after it shows below
    hashes = {f.rel: content_hash(f.path) for f in files}
    first_by_hash: dict[str, str] = {}
    usable = []
    # the copy dropped first (oldest modification time) is the one ingested; later copies are duplicates
    for f in sorted(files, key=lambda f: (f.path.stat().st_mtime_ns, f.rel)):
        digest = hashes[f.rel]
        if digest in first_by_hash:
            file_rows.append(_file_row(source, f, digest, "duplicate",
                                       f"same content as {first_by_hash[digest]}; not ingested again"))
            continue
        first_by_hash[digest] = f.rel
        usable.append(f)
    usable.sort(key=lambda f: f.rel)

    def take(f: InboxFile) -> int:
        """Ingest one file into the lists above; the number of rows it gave."""
        digest = hashes[f.rel]
        key = cache.key(source, province, digest, contract) if cache else None
        cached = cache.load(key) if cache else None
        if cached is not None:
            good, bad, issue, meta = cached  # the same outcome as the first time: re-runs leave identical tables
        else:
            refused = None
            try:
                good, bad, issue, meta = _read_one(f, source, province, contract)
            except FileRefused as refusal:
                refused = refusal.reason
            except Exception as err:  # noqa: BLE001  (any other failure refuses this file, never the run)
                refused = unreadable(err)
            if signature(f.path) != signatures[f.rel]:  # written to while it was read: never taken half-read
                file_rows.append(_file_row(source, f, None, "refused", still_arriving(changed_while_read=True),
                                           rows_read=0, rows_accepted=0, rows_quarantined=0))
                return 0
            if refused is not None:
                file_rows.append(_file_row(source, f, digest, "refused", refused, rows_read=0, rows_accepted=0,
                                           rows_quarantined=0))
                return 0
            if cache:
                cache.save(key, good, bad, issue, meta)
        lineage = [pl.lit(source).alias("source"), pl.lit(f.rel).alias("source_file"), pl.lit(digest).alias("content_hash")]
        accepted.append(good.with_columns(lineage))
        quarantined.append(bad.with_columns(lineage).select(QUARANTINE.columns))
        issues.append(issue.with_columns(lineage).select(DATA_ISSUES.columns))
        file_rows.append(_file_row(source, f, digest, "accepted", **meta))
        return good.height

    in_use, unusable = None, []
    if latest_only:
        # the newest extract with a usable row; a newer one that has none (refused, empty, every row
        # quarantined) leaves the last good extract in use, and says so
        for f in reversed(usable):
            if in_use is None:
                if take(f):
                    in_use = f
                else:
                    unusable.append(f.rel)
            else:
                file_rows.append(_file_row(source, f, hashes[f.rel], "accepted",
                                           f"superseded by the later extract {in_use.rel}; not used"))
        if in_use is not None and unusable:
            file_rows[[r["source_file"] for r in file_rows].index(in_use.rel)]["message"] += (
                f"; in use because the newer extract {', '.join(unusable)} has no usable row")
    else:
        for f in usable:
            take(f)
    files_frame = pl.DataFrame(file_rows, schema=INGEST_FILES.schema, orient="row") if file_rows else INGEST_FILES.empty()
    extra = [pl.lit(province, pl.String).alias("province_code"), pl.lit(term, pl.String).alias("term")]
    acc = pl.concat(accepted, how="diagonal_relaxed").with_columns(extra) if accepted else pl.DataFrame()
    q = pl.concat(quarantined, how="diagonal_relaxed") if quarantined else QUARANTINE.empty()
    q = q.with_columns(extra)
    i = pl.concat(issues, how="diagonal_relaxed") if issues else DATA_ISSUES.empty()
    return IngestResult(acc, q, files_frame.with_columns(extra), i.with_columns(extra),
                        in_use=in_use.rel if in_use is not None else None, unusable_newer=unusable if in_use else [])
