"""What aid reached which children, as pure Polars: per child and term by programme, and what a provincial
committee asks of it (how much went to children still out of school, to children who returned, per programme
and amphoe; how many children who returned received the return-to-school payment).

A child's status in a term is read from the default cohort: ``out_of_school``, ``returned`` (in school after
being out of school in an earlier loaded term), ``in_school``, ``not_in_target`` (a registry person of the
province outside the cohort), or ``not_linked`` (a payment no registry person was found for).
"""

from __future__ import annotations

import polars as pl

from zero_dropout.disclosure import SUPPRESS_UNDER, hidden, secondary
from zero_dropout.tables import AID_BY_CHILD

CHILD_STATUSES = ("out_of_school", "returned", "in_school", "not_in_target", "not_linked")


def child_status(members: pl.DataFrame) -> pl.DataFrame:
    """(term, citizen_id, child_status) of the default cohort, from the stages' members (category, returned)."""
    return members.select("term", "citizen_id", pl.when(pl.col("category") != "in_school").then(pl.lit("out_of_school"))
                          .when(pl.col("returned")).then(pl.lit("returned")).otherwise(pl.lit("in_school"))
                          .alias("child_status"))


def by_child(payments: pl.DataFrame, status: pl.DataFrame, places: pl.LazyFrame, province: str) -> pl.DataFrame:
    """Linked payments summed per child, term and programme, with the child's status and amphoe."""
    linked = payments.filter(pl.col("citizen_id").is_not_null())
    sums = linked.group_by("term", "citizen_id", "programme").agg(
        pl.len().cast(pl.Int64).alias("payments"), pl.col("amount_baht").sum().alias("amount_baht"))
    where = places.select("citizen_id", "amphoe_code", "tambon_code").join(  # the aided children's places only
        sums.lazy().select("citizen_id"), on="citizen_id", how="semi").unique("citizen_id").collect()
    return AID_BY_CHILD.conform(
        sums.join(status, on=["term", "citizen_id"], how="left").join(where, on="citizen_id", how="left").with_columns(
            pl.lit(province).alias("province_code"), pl.col("child_status").fill_null("not_in_target"))
    ).sort("term", "citizen_id", "programme")


def _suppressed(frame: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    """Children counted per cell; a cell of 1-4 children shows no count and no amount (an amount over a few
    children tells what each was paid), and the cells that would give it away are suppressed too."""
    n = pl.col("citizen_id").n_unique()
    cells = frame.group_by(dims).agg(
        n.cast(pl.Int64).alias("children"), pl.col("payments").sum().cast(pl.Int64).alias("payments"),
        pl.col("amount_baht").sum().alias("amount_baht"))
    cells = cells.with_columns((pl.col("children") < SUPPRESS_UNDER).alias("suppressed"))
    cells = secondary(cells.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("children"))
                                         .alias("children")), dims)
    hidden = pl.col("suppressed")
    return cells.with_columns(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("payments", "amount_baht")
                              ).sort(dims, nulls_last=False)


def summaries(payments: pl.DataFrame, children: pl.DataFrame, status: pl.DataFrame, province: str) -> dict[str, pl.DataFrame]:
    """``aid_summary``: children, payments and baht per term, programme, amphoe and child status (unlinked
    payments: status not_linked, one row per programme, counted in payments); ``return_payment_summary``: per
    term, children who returned and how many of them received the return-to-school payment."""
    linked = children.select("province_code", "term", "citizen_id", "programme", "child_status", "amphoe_code",
                             "amount_baht", "payments")
    # a payment without a link counts as one child of its own (no one to recognise in it)
    unlinked = payments.filter(pl.col("citizen_id").is_null()).select(
        pl.lit(province).alias("province_code"), "term", pl.int_range(pl.len()).cast(pl.String).alias("citizen_id"),
        "programme", pl.lit("not_linked").alias("child_status"), pl.lit(None, pl.String).alias("amphoe_code"),
        "amount_baht", pl.lit(1, pl.Int64).alias("payments"))
    rows = pl.concat([linked, unlinked], how="vertical_relaxed")
    dims = ["province_code", "term", "programme", "amphoe_code", "child_status"]
    aid_summary = _suppressed(rows, dims) if rows.height else pl.DataFrame(
        schema={**{d: pl.String for d in dims}, "children": pl.Int64, "payments": pl.Int64, "amount_baht": pl.Float64,
                "suppressed": pl.Boolean})
    returned = status.filter(pl.col("child_status") == "returned").select("term", "citizen_id")
    paid = children.filter(pl.col("programme") == "return_to_school").select("term", "citizen_id", "amount_baht")
    per_term = returned.join(paid.group_by("term", "citizen_id").agg(pl.col("amount_baht").sum()),
                             on=["term", "citizen_id"], how="left").group_by("term").agg(
        pl.len().cast(pl.Int64).alias("children_returned"),
        pl.col("amount_baht").is_not_null().sum().cast(pl.Int64).alias("returned_with_return_payment"),
        pl.col("amount_baht").sum().alias("return_payment_baht"))
    terms = status.select("term").unique()
    per_term = terms.join(per_term, on="term", how="left").with_columns(
        pl.lit(province).alias("province_code"),
        pl.col("children_returned").fill_null(0), pl.col("returned_with_return_payment").fill_null(0),
        pl.col("return_payment_baht").fill_null(0.0))
    few_returned, few_paid = hidden(pl.col("children_returned")), hidden(pl.col("returned_with_return_payment"))
    per_term = per_term.with_columns(
        pl.when(few_returned).then(None).otherwise(pl.col("children_returned")).alias("children_returned"),
        pl.when(few_paid).then(None).otherwise(pl.col("returned_with_return_payment")).alias("returned_with_return_payment"),
        pl.when(few_paid).then(None).otherwise(pl.col("return_payment_baht")).alias("return_payment_baht"),
        (few_returned | few_paid).alias("suppressed"),
    ).select("province_code", "term", "children_returned", "returned_with_return_payment", "return_payment_baht",
             "suppressed").sort("term")
    return {"aid_summary": aid_summary, "return_payment_summary": per_term}
