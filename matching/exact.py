"""Stage 1: deterministic links on valid 13-digit Thai IDs."""

from __future__ import annotations

import polars as pl

RECORD_KEY = ["source_file", "source_sheet", "source_row"]
LINK_SCHEMA = {
    "source": pl.String, "source_file": pl.String, "source_sheet": pl.String, "source_row": pl.Int64,
    "citizen_id": pl.String, "rule": pl.String, "score": pl.Float64, "evidence": pl.String,
}


def link_on_id(people: pl.LazyFrame, records: pl.LazyFrame, source: str, id_column: str = "citizen_id") -> pl.LazyFrame:
    """Join records to people where the record's valid ID equals a person's ID.

    ``records`` must carry the record key (source_file, source_sheet, source_row) and
    ``id_column`` holding only valid IDs (null otherwise).
    """
    ids = people.select(pl.col("citizen_id")).unique()
    return (
        records.filter(pl.col(id_column).is_not_null())
        .join(ids, left_on=id_column, right_on="citizen_id", how="inner")
        .select(
            pl.lit(source).alias("source"), *RECORD_KEY, pl.col(id_column).alias("citizen_id"),
            pl.lit("exact_id").alias("rule"), pl.lit(1.0).alias("score"),
            pl.lit('{"citizen_id":"exact"}').alias("evidence"),
        )
        .cast(LINK_SCHEMA)
    )
