"""Term-to-term transitions of each child, and the suppressed summary tables, as pure Polars.

A transition compares a province's cohort of one term with its previous loaded
term: returned to school, newly out, still out, still in school, aged out, moved
away, died, or entered the target population (in or out of school).
"""

from __future__ import annotations

import polars as pl

from zero_dropout.disclosure import counted, secondary
from zero_dropout.tables import TRANSITIONS as TRANSITIONS_TABLE

TRANSITIONS = ("returned_to_school", "newly_out", "still_out", "still_in_school", "aged_out", "moved_away", "died",
               "entered_in_school", "entered_out_of_school")
DIED = ("removed_or_deceased", "reported_dead")
MOVED = ("moved_out", "moved_abroad", "renounced_thai_nationality")
COLUMNS, SCHEMA = TRANSITIONS_TABLE.columns, TRANSITIONS_TABLE.schema


def between(current: pl.DataFrame, previous: pl.DataFrame | None, province: str, term: str,
            previous_term: str | None) -> pl.DataFrame:
    """Transitions into ``term`` from ``previous_term``.

    ``current``: the term's cohort status (every person of the birth cohort, targeted or excluded, with the
    category of the targeted); ``previous``: the same for the previous loaded term, or None for the first term
    loaded (no transitions). Rows: everyone targeted in either term.
    """
    if previous is None or previous_term is None:
        return pl.DataFrame(schema=SCHEMA)
    area = ["amphoe_code", "tambon_code", "age_band"]
    cur = current.select("citizen_id", "in_target", "excluded_reason", "category", *area)
    prev = previous.filter("in_target").select("citizen_id", pl.col("category").alias("previous_category"),
                                               *[pl.col(c).alias(f"previous_{c}") for c in area])
    joined = cur.join(prev, on="citizen_id", how="full", coalesce=True)
    before, now, targeted = pl.col("previous_category"), pl.col("category"), pl.col("in_target")
    transition = (
        pl.when(pl.col("excluded_reason").is_in(DIED)).then(pl.lit("died"))
        .when(pl.col("excluded_reason").is_in(MOVED)).then(pl.lit("moved_away"))
        .when(targeted.is_null()).then(pl.lit("aged_out"))
        .when(before.is_null() & (now == "in_school")).then(pl.lit("entered_in_school"))
        .when(before.is_null()).then(pl.lit("entered_out_of_school"))
        .when((before != "in_school") & (now == "in_school")).then(pl.lit("returned_to_school"))
        .when(before != "in_school").then(pl.lit("still_out"))
        .when(now != "in_school").then(pl.lit("newly_out"))
        .otherwise(pl.lit("still_in_school"))
    )
    return (
        joined.filter(before.is_not_null() | targeted.fill_null(False))
        .with_columns(
            pl.lit(province).alias("province_code"), pl.lit(term).alias("term"), pl.lit(previous_term).alias("previous_term"),
            transition.alias("transition"),
            *[pl.coalesce(c, f"previous_{c}").alias(c) for c in area],
        )
        .select(COLUMNS).cast(SCHEMA).sort("citizen_id")
    )


def summaries(children: pl.DataFrame, transitions: pl.DataFrame, tables: dict[str, str]) -> dict[str, pl.DataFrame]:
    """The summary tables of one partition, with small counts suppressed and the cells that would give them
    away suppressed too. ``tables``: table name -> comma-separated dimensions of the out-of-school children
    (``reason`` is the latest survey's, or 'not surveyed')."""
    kids = children.with_columns(pl.coalesce("survey_reason", pl.lit("not surveyed")).alias("reason"))
    out = {}
    for name, spec in tables.items():
        dims = [d.strip() for d in spec.split(",")]
        out[name] = secondary(counted(kids, dims), dims)
    dims = ["province_code", "term", "previous_term", "transition"]
    out["summary_by_transition"] = secondary(counted(transitions, dims), dims)
    return out
