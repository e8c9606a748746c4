"""Run a source's pandera schema and split rows into accepted and quarantined.

Every input row ends in exactly one of the two (checked here), and each
quarantined row carries every column/check it failed plus its raw values.
Failure values stay in the returned frame (restricted layer); callers report
counts only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from schemas import moe, registry, survey
from schemas.rules import Rule, to_schema

ROW_INDEX = "__row_index"
RAW_VALUE_MAX_CHARS = 500  # a 20 MB cell is cut in the quarantine copy; the row is still rejected whole


@dataclass
class ValidationResult:
    accepted: pl.DataFrame
    quarantine: pl.DataFrame  # one row per (row, column, check) failure
    rows_in: int

    @property
    def rows_quarantined(self) -> int:
        return self.rows_in - self.accepted.height

    def failures_by_check(self) -> dict[str, int]:
        counts = self.quarantine.group_by("column", "check").agg(pl.col("source_row").n_unique().alias("rows"))
        return {f"{r['column']}:{r['check']}": r["rows"] for r in counts.sort("column", "check").iter_rows(named=True)}


def rules_for(source: str, province: str | None = None) -> list[Rule]:
    if source == "registry":
        if province is None:
            raise ValueError("registry rules need the folder's province")
        return registry.rules(province)
    if source == "survey":
        return survey.rules(province)
    return moe.rules()


QUARANTINE_SCHEMA = {
    "source_row": pl.Int64, "source_sheet": pl.String, "column": pl.String, "check": pl.String,
    "failure_case": pl.String, "raw_values": pl.String,
}


def validate(frame: pl.DataFrame, source: str, raw: pl.DataFrame, province: str | None = None) -> ValidationResult:
    """Validate a standardised frame.

    ``raw`` is the file as read (text, canonical names, source_sheet and source_row): a quarantined
    row keeps those raw values, not the standardised ones.
    """
    rules = rules_for(source, province)
    indexed = frame.with_row_index(ROW_INDEX)
    schema = to_schema(source, rules, indexed.columns)
    try:
        schema.validate(indexed, lazy=True)
        failures = pl.DataFrame(schema={"index": pl.Int64, "column": pl.String, "check": pl.String, "failure_case": pl.String})
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        failures = fc.select(
            pl.col("index").cast(pl.Int64), pl.col("column").cast(pl.String), pl.col("check").cast(pl.String),
            pl.col("failure_case").cast(pl.String),
        )
        unplaced = failures.filter(pl.col("index").is_null())
        if unplaced.height:  # schema-level failure (a column missing): never expected after standardisation
            raise RuntimeError(f"{source} schema failed outside any row: {unplaced['check'].unique().to_list()}") from None
    bad_rows = failures["index"].unique()
    lineage = ["source_sheet", "source_row"]
    raw_fields = [c for c in raw.columns if c not in lineage]
    bad = indexed.filter(pl.col(ROW_INDEX).is_in(bad_rows.implode())).select(ROW_INDEX, *lineage).join(
        raw.select(*lineage, pl.struct(pl.col(raw_fields).cast(pl.String).str.slice(0, RAW_VALUE_MAX_CHARS))
                   .struct.json_encode().alias("raw_values")),
        on=lineage, how="left",
    )
    quarantine = (
        failures.with_columns(pl.col("failure_case").str.slice(0, RAW_VALUE_MAX_CHARS)).join(
            bad, left_on="index", right_on=ROW_INDEX,
        )
        .select(list(QUARANTINE_SCHEMA))
        .cast(QUARANTINE_SCHEMA)
        .sort("source_sheet", "source_row", "column", "check", nulls_last=True)
    )
    accepted = indexed.filter(~pl.col(ROW_INDEX).is_in(bad_rows.implode())).drop(ROW_INDEX)
    result = ValidationResult(accepted, quarantine, frame.height)
    distinct_bad = bad_rows.len()
    if accepted.height + distinct_bad != frame.height:
        raise AssertionError("validation lost rows: accepted + quarantined != rows in")
    return result
