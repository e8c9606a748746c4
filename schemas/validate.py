"""Run a source's rules and split rows into accepted and quarantined.

Repairable rules run first, on the standardised frame: a failing row keeps its place, the rule's
columns become null and the row's ``data_issues`` lists ``column:check`` for each. Blocking rules then
run through pandera on the repaired frame. Every input row ends in exactly one of accepted and
quarantined (checked here); each quarantined row carries every column/check it failed plus its raw
values. Failure values stay in the returned frames (restricted layer); callers report counts only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from schemas import aid, justice, moe, registry, survey
from schemas.rules import Rule, to_schema
from zero_dropout.tables import ROW_FAILURE, ROW_ISSUE

ROW_INDEX = "__row_index"
RAW_VALUE_MAX_CHARS = 500  # a 20 MB cell is cut in the quarantine copy; the row is still rejected whole
DATA_ISSUES = "data_issues"

# One row per (input row, column, check): quarantine (blocking failures) and data issues (repairs) alike.
QUARANTINE_SCHEMA = ROW_FAILURE.schema
ISSUE_SCHEMA = ROW_ISSUE.schema


@dataclass
class ValidationResult:
    accepted: pl.DataFrame
    quarantine: pl.DataFrame  # one row per (row, column, check) failure
    rows_in: int
    issues: pl.DataFrame | None = None  # one row per (accepted row, column, check) repaired

    @property
    def rows_quarantined(self) -> int:
        return self.rows_in - self.accepted.height

    @property
    def rows_with_issues(self) -> int:
        return 0 if self.issues is None or self.issues.height == 0 else self.issues.select(
            pl.struct("source_sheet", "source_row").n_unique()).item()

    def failures_by_check(self) -> dict[str, int]:
        counts = self.quarantine.group_by("column", "check").agg(pl.col("source_row").n_unique().alias("rows"))
        return {f"{r['column']}:{r['check']}": r["rows"] for r in counts.sort("column", "check").iter_rows(named=True)}


def rules_for(source: str, province: str | None = None) -> list[Rule]:
    if source == "registry":
        if province is None:
            raise ValueError("registry rules need the folder's province")
        return registry.rules(province)
    if source == "moe":
        return moe.rules()
    return {"survey": survey, "aid": aid, "justice": justice}[source].rules(province)


def _repair(indexed: pl.DataFrame, rules: list[Rule]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply repairable rules: (repaired frame with ``data_issues``, long frame of (row index, rule number))."""
    soft = [r for r in rules if r.repairable]
    if not soft:
        return indexed.with_columns(pl.lit([], pl.List(pl.String)).alias(DATA_ISSUES)), pl.DataFrame(
            schema={ROW_INDEX: pl.UInt32, "column": pl.String, "check": pl.String})
    fails = indexed.select(ROW_INDEX, *[(~r.passes().fill_null(False)).alias(f"__f{i}") for i, r in enumerate(soft)])
    cleared: dict[str, list[str]] = {}
    for i, r in enumerate(soft):
        for c in r.clears or ():
            cleared.setdefault(c, []).append(f"__f{i}")
    issues = pl.concat_list([pl.when(pl.col(f"__f{i}")).then(pl.lit(r.issue)) for i, r in enumerate(soft)]).list.drop_nulls()
    repaired = indexed.join(fails, on=ROW_INDEX, how="left", maintain_order="left").with_columns(
        *[pl.when(pl.any_horizontal(flags)).then(None).otherwise(pl.col(c)).alias(c)
          for c, flags in cleared.items() if c in indexed.columns],
        issues.alias(DATA_ISSUES),
    ).drop([f"__f{i}" for i in range(len(soft))])
    long = fails.unpivot(index=ROW_INDEX, variable_name="rule", value_name="failed").filter("failed").select(
        ROW_INDEX, pl.col("rule").str.slice(3).cast(pl.Int64))
    by_rule = pl.DataFrame({"rule": range(len(soft)), "column": [r.column for r in soft], "check": [r.check for r in soft]},
                           schema={"rule": pl.Int64, "column": pl.String, "check": pl.String})
    return repaired, long.join(by_rule, on="rule").drop("rule")


def _failure_case(frame: pl.DataFrame, raw: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The raw text of each failing column, for (row index, column) rows of ``frame``."""
    lineage = ["source_sheet", "source_row"]
    present = [c for c in columns if c in raw.columns]
    raw = raw.join(frame.select(lineage).unique(), on=lineage, how="semi")  # the failing rows only, not the file
    values = raw.select(*lineage, *[pl.col(c).cast(pl.String).str.slice(0, RAW_VALUE_MAX_CHARS) for c in present]).unpivot(
        index=lineage, variable_name="column", value_name="failure_case") if present else pl.DataFrame(
        schema={"source_sheet": pl.String, "source_row": pl.Int64, "column": pl.String, "failure_case": pl.String})
    return frame.join(values, on=[*lineage, "column"], how="left")


def validate(frame: pl.DataFrame, source: str, raw: pl.DataFrame, province: str | None = None) -> ValidationResult:
    """Validate a standardised frame.

    ``raw`` is the file as read (text, canonical names, source_sheet and source_row): a quarantined
    row keeps those raw values, not the standardised ones.
    """
    rules = rules_for(source, province)
    indexed = frame.with_row_index(ROW_INDEX)
    repaired, repairs = _repair(indexed, rules)
    schema = to_schema(source, rules, indexed.columns)
    try:
        schema.validate(repaired, lazy=True)
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
    positions = indexed.select(pl.col(ROW_INDEX).cast(pl.Int64), *lineage)
    repairs = _failure_case(repairs.with_columns(pl.col(ROW_INDEX).cast(pl.Int64)).join(positions, on=ROW_INDEX),
                            raw, sorted({r.column for r in rules}))
    # a quarantined row lists its repairable problems too: the whole story of why it is unusable
    failures = pl.concat([failures, repairs.filter(pl.col(ROW_INDEX).is_in(bad_rows.implode())).select(
        pl.col(ROW_INDEX).alias("index"), "column", "check", "failure_case")])
    bad = positions.filter(pl.col(ROW_INDEX).is_in(bad_rows.implode()))
    bad = bad.join(
        raw.join(bad.select(lineage), on=lineage, how="semi")  # the quarantined rows' raw values only
        .select(*lineage, pl.struct(pl.col(raw_fields).cast(pl.String).str.slice(0, RAW_VALUE_MAX_CHARS))
                .struct.json_encode().alias("raw_values")),
        on=lineage, how="left",
    )
    quarantine = (
        failures.with_columns(pl.col("failure_case").str.slice(0, RAW_VALUE_MAX_CHARS)).join(
            bad, left_on="index", right_on=ROW_INDEX,
        )
        .select(list(QUARANTINE_SCHEMA))
        .cast(QUARANTINE_SCHEMA)
        .unique(maintain_order=True)
        .sort("source_sheet", "source_row", "column", "check", nulls_last=True)
    )
    issues = (repairs.filter(~pl.col(ROW_INDEX).is_in(bad_rows.implode())).select(list(ISSUE_SCHEMA)).cast(ISSUE_SCHEMA)
              .sort("source_sheet", "source_row", "column", "check", nulls_last=True))
    accepted = repaired.filter(~pl.col(ROW_INDEX).is_in(bad_rows.implode())).drop(ROW_INDEX)
    result = ValidationResult(accepted, quarantine, frame.height, issues)
    distinct_bad = bad_rows.len()
    if accepted.height + distinct_bad != frame.height:
        raise AssertionError("validation lost rows: accepted + quarantined != rows in")
    return result
