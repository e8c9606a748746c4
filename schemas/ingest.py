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
from functools import cached_property
from pathlib import Path

import polars as pl

from schemas import validate
from zero_dropout import standardize
from zero_dropout.contract import Contract, load_contract
from zero_dropout.errors import describe
from zero_dropout.inbox import InboxFile, arriving_for, content_hash, signature, still_arriving
from zero_dropout.readers import FileRefused, RawStream, ReadAgain, stream_table
from zero_dropout.tables import DATA_ISSUES, INGEST_FILES, QUARANTINE



@dataclass
class IngestResult:
    rows: pl.LazyFrame  # accepted rows with lineage: scanned from the files they were written to as validated
    quarantine: pl.DataFrame
    files: pl.DataFrame
    issues: pl.DataFrame
    in_use: str | None = None  # latest_only: the extract in use
    unusable_newer: list[str] = field(default_factory=list)  # newer extracts without a usable row (the last good stays)

    @cached_property
    def accepted(self) -> pl.DataFrame:
        """The accepted rows in memory (``rows`` streams them)."""
        return self.rows.collect()

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

# Bump when reading, standardising or validation changes what an ingested file yields (or the cache's layout).
INGEST_VERSION = "5"


class AcceptedParts:
    """A file's accepted rows as they are validated, a chunk at a time: Parquet files named ``<stem>.<n>.parquet``
    in ``folder`` (the ingest cache: memory stays bounded whatever the file's size), or frames in memory without
    one. Written under temporary names until ``keep`` names them for good; ``discard`` removes them."""

    def __init__(self, folder: Path | None, stem: str):
        self.folder, self.stem, self.frames, self.written = folder, stem, [], []

    def add(self, frame: pl.DataFrame) -> None:
        if self.folder is None:
            self.frames.append(frame)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{self.stem}.{len(self.written):05d}.{os.getpid()}.tmp"
        frame.write_parquet(tmp, compression="lz4")  # a working copy: lz4 writes and reads faster than zstd
        self.written.append(tmp)

    def discard(self) -> None:
        for tmp in self.written:
            tmp.unlink(missing_ok=True)
        self.frames, self.written = [], []

    def keep(self) -> list[Path]:
        final = [self.folder / f"{self.stem}.{i:05d}.parquet" for i in range(len(self.written))]
        for tmp, path in zip(self.written, final):
            os.replace(tmp, path)
        self.written = []
        return final

    def rows(self, paths: list[Path] | None = None) -> pl.LazyFrame:
        """The rows, lazily (``paths``: the parts as kept)."""
        if self.folder is None:
            parts = [f.lazy() for f in self.frames]
        else:
            parts = [pl.scan_parquet(p) for p in (paths if paths is not None else self.written)]
        return pl.concat(parts, how="diagonal_relaxed") if parts else pl.LazyFrame()


class IngestCache:
    """Per-file results keyed by content hash: a file already ingested is not read again. An entry: its accepted
    rows in parts (``<key>.accepted.<n>.parquet``, written as the file is read), quarantine, data issues, and a
    JSON file written last (its presence means the entry is whole)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def key(self, source: str, province: str | None, digest: str, contract: Contract) -> str:
        text = "|".join([INGEST_VERSION, source, province or "", digest, contract.fingerprint])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    PARTS = ("quarantine", "issues")

    def parts(self, key: str) -> AcceptedParts:
        return AcceptedParts(self.root, f"{key}.accepted")

    def load(self, key: str) -> tuple[pl.LazyFrame, pl.DataFrame, pl.DataFrame, dict] | None:
        meta_path = self.root / f"{key}.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            accepted = [self.root / f"{key}.accepted.{i:05d}.parquet" for i in range(meta.pop("accepted_parts"))]
            for part in accepted:  # a damaged part (a disk that filled) fails here, not later in a step
                pl.read_parquet_schema(part)
            return (self.parts(key).rows(accepted),
                    *(pl.read_parquet(self.root / f"{key}.{part}.parquet") for part in self.PARTS), meta)
        except Exception:  # noqa: BLE001  (a damaged entry: read the file again)
            for part in self.root.glob(f"{key}.*"):
                part.unlink(missing_ok=True)
            return None

    def save(self, key: str, accepted: AcceptedParts, quarantine: pl.DataFrame, issues: pl.DataFrame,
             meta: dict) -> pl.LazyFrame:
        """Keep the entry; its accepted rows, scanned from where they now are."""
        self.root.mkdir(parents=True, exist_ok=True)
        kept = accepted.keep()
        for name, frame in zip(self.PARTS, (quarantine, issues)):
            tmp = self.root / f".{key}.{name}.{os.getpid()}.tmp"
            frame.write_parquet(tmp)
            os.replace(tmp, self.root / f"{key}.{name}.parquet")
        tmp = self.root / f".{key}.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({**meta, "accepted_parts": len(kept)}))
        os.replace(tmp, self.root / f"{key}.json")  # written last: its presence means the entry is whole
        return accepted.rows(kept)


def unreadable(err: BaseException) -> str:
    """Why a file could not be read, without any value from it (``zero_dropout.errors.describe``)."""
    return f"could not be read ({describe(err)}); the file was left out, the rest of the run goes on"


def _read_one(f: InboxFile, source: str, province: str | None, contract: Contract,
              parts: AcceptedParts) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Read, standardise and validate one file a chunk at a time, its accepted rows into ``parts`` (lineage
    columns are added by the caller); its quarantine, data issues and counts."""
    stream = stream_table(f.path, f.rel, contract.sources[source], CHUNK_ROWS)
    while True:
        try:
            return _validated(stream, source, province, contract, parts)
        except ReadAgain as again:  # the file showed part way that it needs the slower reader: from the start
            parts.discard()
            stream = again.stream
        except BaseException:
            parts.discard()
            raise


def _validated(stream: RawStream, source: str, province: str | None, contract: Contract,
               parts: AcceptedParts) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    first = standardize.FirstInFile(source)
    bads, issues, rows_in, rows_accepted = [], [], 0, 0
    for chunk in stream.chunks():  # bounded memory: read, standardise, validate and write a chunk at a time
        fields = [c for c in chunk.columns if c not in ("source_sheet", "source_row")]
        raw = chunk.with_columns(first.flags(chunk).alias(standardize.FIRST_IN_FILE),
                                 standardize.readable(fields).alias(standardize.READABLE))
        frame = STANDARDIZERS[source](raw.lazy(), contract).collect()
        del raw
        part = validate(frame, source, chunk, province)
        parts.add(part.accepted.drop(standardize.FIRST_IN_FILE, standardize.READABLE, *DERIVED_FLAGS, strict=False))
        bads.append(part.quarantine)
        issues.append(part.issues)
        rows_in += part.rows_in
        rows_accepted += part.accepted.height
    quarantine, issues = pl.concat(bads, how="diagonal_relaxed"), pl.concat(issues, how="diagonal_relaxed")
    rows_quarantined = rows_in - rows_accepted
    rows_with_issues = issues.select(pl.struct("source_sheet", "source_row").n_unique()).item() if issues.height else 0
    message = "ok" if not rows_quarantined else f"{rows_quarantined} rows quarantined"
    if rows_with_issues:
        by_issue = issues.group_by("column", "check").len().sort("column", "check")
        message += f"; {rows_with_issues} rows kept with an unusable optional field set to null (" + ", ".join(
            f"{r['column']}:{r['check']} {r['len']}" for r in by_issue.iter_rows(named=True)) + ")"
    if stream.unknown_columns:
        message += f"; {len(stream.unknown_columns)} unknown columns ignored: {', '.join(stream.unknown_columns)}"
    if stream.skipped_sheets:
        message += f"; sheets without a known header skipped: {', '.join(stream.skipped_sheets)}"
    meta = dict(message=message, rows_read=rows_in, rows_accepted=rows_accepted, rows_quarantined=rows_quarantined,
                form=stream.form, encoding=stream.encoding, delimiter=stream.delimiter,
                unknown_columns=len(stream.unknown_columns), rows_with_issues=rows_with_issues)
    return quarantine, issues, meta


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
            parts = cache.parts(key) if cache else AcceptedParts(None, f.rel)
            try:
                bad, issue, meta = _read_one(f, source, province, contract, parts)
            except FileRefused as refusal:
                refused = refusal.reason
            except Exception as err:  # noqa: BLE001  (any other failure refuses this file, never the run)
                refused = unreadable(err)
            if signature(f.path) != signatures[f.rel]:  # written to while it was read: never taken half-read
                parts.discard()
                file_rows.append(_file_row(source, f, None, "refused", still_arriving(changed_while_read=True),
                                           rows_read=0, rows_accepted=0, rows_quarantined=0))
                return 0
            if refused is not None:
                file_rows.append(_file_row(source, f, digest, "refused", refused, rows_read=0, rows_accepted=0,
                                           rows_quarantined=0))
                return 0
            good = cache.save(key, parts, bad, issue, meta) if cache else parts.rows()
        lineage = [pl.lit(source).alias("source"), pl.lit(f.rel).alias("source_file"), pl.lit(digest).alias("content_hash")]
        accepted.append(good.with_columns(lineage))
        quarantined.append(bad.with_columns(lineage).select(QUARANTINE.columns))
        issues.append(issue.with_columns(lineage).select(DATA_ISSUES.columns))
        file_rows.append(_file_row(source, f, digest, "accepted", **meta))
        return meta["rows_accepted"]

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
    acc = pl.concat(accepted, how="diagonal_relaxed").with_columns(extra) if accepted else pl.LazyFrame()
    q = pl.concat(quarantined, how="diagonal_relaxed") if quarantined else QUARANTINE.empty()
    q = q.with_columns(extra)
    i = pl.concat(issues, how="diagonal_relaxed") if issues else DATA_ISSUES.empty()
    return IngestResult(acc, q, files_frame.with_columns(extra), i.with_columns(extra),
                        in_use=in_use.rel if in_use is not None else None, unusable_newer=unusable if in_use else [])
