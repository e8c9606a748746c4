"""Officer decisions on the review queue: accept or reject a (record, person) pair.

Decisions are kept in ``<warehouse>/decisions/*.parquet`` (restricted: they hold IDs), one file per
import, and are applied on every later run; a decided pair never returns to the queue. The newest
decision on a pair wins.

Workflow for a data officer:

    zero-dropout review export --province 55 --term 2567-1 --out queue_55_2567-1.csv
    # fill the "decision" column with accept or reject (leave blank to decide later)
    zero-dropout review import queue_55_2567-1.csv --by "officer name"
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from zero_dropout.errors import Told
from zero_dropout.tables import REVIEW_DECISIONS

KEY = ["source", "source_file", "source_sheet", "source_row", "citizen_id"]
SCHEMA = REVIEW_DECISIONS.schema
DECISIONS = ("accept", "reject")


class DecisionError(Told, ValueError):
    pass


def folder(warehouse: Path) -> Path:
    return Path(warehouse) / "decisions"


def load(warehouse: Path) -> pl.DataFrame:
    """All decisions, the newest per pair."""
    files = sorted(folder(warehouse).glob("*.parquet"))
    if not files:
        return pl.DataFrame(schema=SCHEMA)
    frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed").cast(SCHEMA)
    return frame.sort("decided_at").unique(subset=KEY, keep="last").sort(KEY)


def export_queue(warehouse: Path, province: str, term: str, out: Path) -> int:
    """The review queue of a partition: as a workbook to decide (``.xlsx``: both sides of every pair), or as CSV."""
    if Path(out).suffix.lower() == ".xlsx":
        from zero_dropout.review_workbook import export

        return export(Path(warehouse), province, term, Path(out))
    con = duckdb.connect(str(Path(warehouse) / "restricted.duckdb"), read_only=True)
    try:
        queue = con.sql(
            "SELECT source, source_file, source_sheet, source_row, citizen_id, score, why, '' AS decision "
            "FROM review_queue WHERE province_code = $province AND term = $term "
            "ORDER BY score DESC, source_file, source_row", params={"province": province, "term": term}).pl()
    finally:
        con.close()
    queue.write_csv(out)
    return queue.height


def import_decisions(warehouse: Path, path: Path, decided_by: str, now: dt.datetime | None = None) -> int:
    """Store the filled-in decisions of a queue file (the CSV or the workbook of ``review export``); rows with a
    blank decision (or 'not sure' in the workbook) are skipped and stay in the queue."""
    if Path(path).suffix.lower() == ".xlsx":
        from zero_dropout.review_workbook import ReviewError, read_decisions

        try:
            frame = read_decisions(Path(path))
        except ReviewError as err:
            raise DecisionError(str(err)) from None
    else:
        frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in [*KEY, "decision"] if c not in frame.columns]
    if missing:
        raise DecisionError(f"{path.name}: columns missing: {', '.join(missing)}")
    frame = frame.with_columns(pl.col("decision").str.strip_chars().str.to_lowercase(), pl.col("source_sheet").fill_null(""))
    frame = frame.filter(pl.col("decision").is_not_null() & (pl.col("decision") != ""))
    bad = frame.with_row_index("row", offset=1).filter(~pl.col("decision").is_in(DECISIONS))
    if bad.height:
        raise DecisionError(f"{path.name}: row {bad['row'][0]}, column decision: must be accept or reject")
    if frame.height == 0:
        return 0
    stamp = now or dt.datetime.now()
    out = frame.select(
        *[pl.col(c) for c in KEY[:3]], pl.col("source_row").cast(pl.Int64), pl.col("citizen_id"), pl.col("decision"),
        pl.lit(decided_by).alias("decided_by"), pl.lit(stamp).cast(pl.Datetime("us")).alias("decided_at"),
    )
    target = folder(warehouse)
    target.mkdir(parents=True, exist_ok=True)
    out.write_parquet(target / f"decisions_{stamp:%Y%m%dT%H%M%S%f}.parquet")
    return out.height
