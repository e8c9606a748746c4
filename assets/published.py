"""Per partition, what is published from the out-of-school children: term-to-term transitions and the
suppressed summary tables (the DuckDB load only copies them)."""

import dagster as dg
import polars as pl

from assets.linkage import FOLLOW
from assets.sources import md_table
from pipelines.partitions import province_term, province_term_partitions
from pipelines.resources import PipelinePaths
from zero_dropout import transitions
from zero_dropout.catalog import SUMMARY_TABLES

@dg.asset(partitions_def=province_term_partitions, group_name="out_of_school", kinds={"polars", "parquet"},
          deps=["out_of_school_children"], automation_condition=FOLLOW)
def term_transitions(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """What happened to each child since the province's previous loaded term: returned to school, newly out,
    still out, still in school, aged out, moved away, died, entered the target population."""
    province, term = province_term(context)
    staging = paths.staging
    earlier = [t for t in staging.terms_of("out_of_school", "cohort_status", province) if t < term]
    current = staging.scan("out_of_school", "cohort_status", province, term).collect()
    previous = staging.scan("out_of_school", "cohort_status", province, earlier[-1]).collect() if earlier else None
    frame = transitions.between(current, previous, province, term, earlier[-1] if earlier else None)
    staging.write(frame, "out_of_school", "transitions", province, term)
    counts = frame.group_by("transition").len().sort("transition").rename({"len": "children"})
    return dg.MaterializeResult(metadata={
        "previous_term": earlier[-1] if earlier else "none (first term loaded)",
        "returned_to_school": int(counts.filter(pl.col("transition") == "returned_to_school")["children"].sum()),
        "by_transition": md_table(counts),
        "dagster/row_count": frame.height,
    })


@dg.asset(partitions_def=province_term_partitions, group_name="out_of_school", kinds={"polars", "parquet"},
          deps=["out_of_school_children", "term_transitions"], automation_condition=FOLLOW)
def out_of_school_summaries(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """Out-of-school children counted by amphoe, tambon, age band and sex, nationality, reason, and transition;
    counts under 5 suppressed (these tables may leave the office)."""
    province, term = province_term(context)
    staging = paths.staging
    tables = transitions.summaries(staging.scan("out_of_school", "children", province, term).collect(),
                                   staging.scan("out_of_school", "transitions", province, term).collect(), SUMMARY_TABLES)
    for name, frame in tables.items():
        staging.write(frame, "summaries", name, province, term)
    return dg.MaterializeResult(metadata={
        "tables": md_table(pl.DataFrame({"table": list(tables), "rows": [t.height for t in tables.values()],
                                         "suppressed_cells": [int(t["suppressed"].sum()) for t in tables.values()]})),
        "dagster/row_count": sum(t.height for t in tables.values()),
    })
