"""Every table the pipeline writes, defined once: its columns and their types.

The Polars schema of the frames, the DuckDB DDL of a table that has no staged file yet, and Dagster's column
schema (with the words of ``catalog.py``) all come from these definitions; nothing else spells a column list
with its types.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Int16: "SMALLINT", pl.Int8: "TINYINT",
                pl.Float64: "DOUBLE", pl.Boolean: "BOOLEAN", pl.Date: "DATE"}


@dataclass(frozen=True)
class Table:
    name: str
    schema: dict[str, pl.DataType]

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)

    def conform(self, frame: pl.DataFrame | pl.LazyFrame):
        """Exactly this table's columns, in order, with its types."""
        return frame.select(self.columns).cast(self.schema)

    def ddl(self) -> str:
        """The DuckDB column list of the table."""
        return ", ".join(f'"{c}" {duckdb_type(t)}' for c, t in self.schema.items())

    def extended(self, name: str, more: dict[str, pl.DataType]) -> Table:
        return Table(name, {**self.schema, **more})

    def without(self, name: str, *columns: str) -> Table:
        return Table(name, {c: t for c, t in self.schema.items() if c not in columns})


def duckdb_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        return "TIMESTAMP"
    return DUCKDB_TYPES[dtype if dtype in DUCKDB_TYPES else type(dtype)]


RECORD = {"source": pl.String, "source_file": pl.String, "source_sheet": pl.String, "source_row": pl.Int64}
PARTITION = {"province_code": pl.String, "term": pl.String}

# One row per (input row, column, check), as the validator finds them: blocking failures and repairs alike.
ROW_FAILURE = Table("row_failure", {"source_row": pl.Int64, "source_sheet": pl.String, "column": pl.String,
                                    "check": pl.String, "failure_case": pl.String, "raw_values": pl.String})
ROW_ISSUE = ROW_FAILURE.without("row_issue", "raw_values")
QUARANTINE = Table("quarantine", {"source": pl.String, "source_file": pl.String, "source_sheet": pl.String,
                                  "source_row": pl.Int64, "column": pl.String, "check": pl.String,
                                  "failure_case": pl.String, "raw_values": pl.String, "content_hash": pl.String})
DATA_ISSUES = QUARANTINE.without("data_issues", "raw_values")
INGEST_FILES = Table("ingest_files", {
    "source": pl.String, "source_file": pl.String, "content_hash": pl.String, "rows_read": pl.Int64,
    "rows_accepted": pl.Int64, "rows_quarantined": pl.Int64, "outcome": pl.String, "message": pl.String,
    "form": pl.String, "encoding": pl.String, "delimiter": pl.String, "unknown_columns": pl.Int64,
    "rows_with_issues": pl.Int64})

# linkage
RECORD_LINKS = Table("record_links", {**RECORD, "citizen_id": pl.String, "rule": pl.String, "score": pl.Float64,
                                      "evidence": pl.String, "model_fingerprint": pl.String})
MOE_LINKS = RECORD_LINKS.extended("moe_links", {
    "enrollment_status": pl.String, "school_code": pl.String, "school_name": pl.String, "school_province": pl.String,
    "affiliation": pl.String, "grade": pl.String})
SURVEY_LINKS = RECORD_LINKS.extended("survey_links", {"found_status": pl.String, "reason": pl.String,
                                                      "need": pl.String, "survey_date": pl.Date, "photo_ref": pl.String,
                                                      "lat": pl.Float64, "lon": pl.Float64})
# every row of an aid or justice export, linked or not (citizen_id null: no link)
AID_PAYMENTS = RECORD_LINKS.extended("aid_payments", {
    "payment_id": pl.String, "programme": pl.String, "amount_baht": pl.Float64, "paid_date": pl.Date, "payer_org": pl.String})
JUSTICE_CASES = RECORD_LINKS.extended("justice_cases", {
    "case_id": pl.String, "facility": pl.String, "admitted_date": pl.Date, "released_date": pl.Date})
REVIEW_QUEUE = Table("review_queue", {**RECORD, "citizen_id": pl.String, "score": pl.Float64, "why": pl.String})
DECISION = Table("decision", {**RECORD, "citizen_id": pl.String, "decision": pl.String})
REVIEW_DECISIONS = DECISION.extended("review_decisions", {"decided_by": pl.String, "decided_at": pl.Datetime("us")})
LINKAGE_MODEL = Table("linkage_model", {
    "source": pl.String, "parameter": pl.String, "m": pl.Float64, "u": pl.Float64, "m_pairs": pl.Int64,
    "u_pairs": pl.Int64, "fitted_weight": pl.Float64, "prior_weight": pl.Float64, "weight": pl.Float64,
    "fingerprint": pl.String})

# a province's history
LINK_RATES = Table("link_rates", {**PARTITION, "target_population": pl.Int64, "target_linked": pl.Int64,
                                  "target_link_rate": pl.Float64, "previous_term": pl.String,
                                  "previous_link_rate": pl.Float64, "link_rate_stable": pl.Boolean})
TRANSITIONS = Table("transitions", {
    **PARTITION, "previous_term": pl.String, "citizen_id": pl.String, "previous_category": pl.String,
    "category": pl.String, "transition": pl.String, "amphoe_code": pl.String, "tambon_code": pl.String,
    "age_band": pl.String})
SURVEY_FINDINGS = Table("survey_findings", {"citizen_id": pl.String, "survey_found_status": pl.String,
                                            "survey_reason": pl.String, "survey_need": pl.String, "survey_date": pl.Date,
                                            "survey_photo_ref": pl.String, "survey_lat": pl.Float64,
                                            "survey_lon": pl.Float64})
GROUP_SUMMARY = Table("target_group_summary", {
    **PARTITION, "target_group": pl.String, "label": pl.String, "min_age": pl.Int16, "max_age": pl.Int16,
    "target_population": pl.Int64, "in_school": pl.Int64, "out_of_school": pl.Int64, "never_enrolled": pl.Int64,
    "dropped_out": pl.Int64})
RISK_STAGES = Table("risk_stages", {
    **PARTITION, "target_group": pl.String, "citizen_id": pl.String, "stage": pl.String, "reasons": pl.String,
    "category": pl.String, "amphoe_code": pl.String, "tambon_code": pl.String, "age_band": pl.String})
STAGE_TRANSITIONS = Table("stage_transitions", {
    **PARTITION, "previous_term": pl.String, "target_group": pl.String, "citizen_id": pl.String,
    "previous_stage": pl.String, "stage": pl.String})
AID_BY_CHILD = Table("aid_by_child", {
    **PARTITION, "citizen_id": pl.String, "programme": pl.String, "payments": pl.Int64, "amount_baht": pl.Float64,
    "child_status": pl.String, "amphoe_code": pl.String, "tambon_code": pl.String})
PUBLICATION_STATUS = Table("publication_status", {
    "province_code": pl.String, "published_version": pl.String, "published_at": pl.String,
    "published_terms": pl.String, "refused_at": pl.String, "refused_checks": pl.String, "refused_terms": pl.String,
    "unfinished_attempts": pl.Int64})

# tables of restricted.duckdb that are created empty when no partition has staged a file for them
STAGED = {t.name: t.extended(t.name, PARTITION)
          for t in (REVIEW_QUEUE, QUARANTINE, DATA_ISSUES, RECORD_LINKS, TRANSITIONS, LINK_RATES, AID_PAYMENTS,
                    JUSTICE_CASES, RISK_STAGES, STAGE_TRANSITIONS, AID_BY_CHILD, GROUP_SUMMARY)}
