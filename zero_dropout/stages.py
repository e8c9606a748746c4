"""Stages of risk (the Nakhon Phanom model), per province, term and target group, as pure Polars.

For the children of each target list (the default cohort and every configured group) in each loaded term:

- **downstream**: in the juvenile justice system during the term: a linked case admitted on or before the
  term's last day and not released before its first day (no release date: still held);
- **midstream**: out of school (the contract's rule: category never_enrolled or dropped_out);
- **upstream**: in school but at risk: a ``suspended`` MOE record this term, back in school after being out of
  school in an earlier loaded term (in the same list), or a ``cct`` aid payment in this term's aid folder.

A child is in the most severe stage that applies, with every reason that applies; a child in none is not listed.
"""

from __future__ import annotations

import polars as pl

from zero_dropout.disclosure import counted, secondary
from zero_dropout.tables import RISK_STAGES, STAGE_TRANSITIONS
from zero_dropout.terms import Term

STAGES = ("upstream", "midstream", "downstream")
REASONS = {
    "justice_case": "in an observation and protection centre during the term",
    "out_of_school": "out of school this term (never enrolled or dropped out)",
    "suspended": "an MOE record of the term says suspended (แขวนลอย)",
    "returned": "back in school after being out of school in an earlier loaded term",
    "cct_aid": "received a conditional cash transfer (ทุนเสมอภาค) this term",
}
MEMBER_COLUMNS = ["province_code", "term", "target_group", "citizen_id", "category", "amphoe_code", "tambon_code",
                  "age_band"]


def term_days(terms: list[str]) -> pl.DataFrame:
    """First and last day (CE) of each term, as the contract defines them."""
    parsed = [Term.parse(t) for t in terms]
    return pl.DataFrame({"term": terms, "first_day": [t.start for t in parsed], "last_day": [t.end for t in parsed]},
                        schema={"term": pl.String, "first_day": pl.Date, "last_day": pl.Date})


def held_in_terms(cases: pl.LazyFrame, terms: list[str]) -> pl.LazyFrame:
    """(citizen_id, term) for every linked justice case and every loaded term its dates cover."""
    return (cases.filter(pl.col("citizen_id").is_not_null() & pl.col("admitted_date").is_not_null())
            .select("citizen_id", "admitted_date", "released_date")  # the folder's term is not the term covered
            .join(term_days(terms).lazy(), how="cross")
            .filter((pl.col("admitted_date") <= pl.col("last_day"))
                    & (pl.col("released_date").is_null() | (pl.col("released_date") >= pl.col("first_day"))))
            .select("citizen_id", "term").unique())


def _flag(pairs: pl.LazyFrame, name: str) -> pl.LazyFrame:
    return pairs.select("citizen_id", "term").unique().with_columns(pl.lit(True).alias(name))


def _out_before() -> pl.Expr:
    """On members sorted by list, child and term: was the child out of school in an earlier term of the list? The
    out-of-school terms counted before each row, less those counted before the child's first row (a window over
    one small group per child cost more than the rest of the stages)."""
    out = pl.col("out_of_school").cast(pl.Int32)
    before = out.cum_sum() - out
    first = (pl.col("target_group").ne_missing(pl.col("target_group").shift(1))
             | pl.col("citizen_id").ne_missing(pl.col("citizen_id").shift(1)))
    return (before - pl.when(first).then(before).forward_fill()) > 0


def stages(members: pl.LazyFrame, moe_links: pl.LazyFrame, aid: pl.LazyFrame, cases: pl.LazyFrame,
           terms: list[str]) -> pl.DataFrame:
    """One row per (term, target group, child) in a stage.

    ``members``: every targeted child of every list and term with its category (MEMBER_COLUMNS);
    ``moe_links`` (citizen_id, term, enrollment_status); ``aid`` (citizen_id, term, programme) of linked
    payments; ``cases`` (citizen_id, admitted_date, released_date) of linked justice cases, any term's folder.
    """
    suspended = _flag(moe_links.filter(pl.col("enrollment_status") == "suspended"), "suspended")
    cct = _flag(aid.filter((pl.col("programme") == "cct") & pl.col("citizen_id").is_not_null()), "cct_aid")
    held = _flag(held_in_terms(cases, terms), "justice_case")
    out_now = pl.col("category") != "in_school"
    frame = (
        members.select(MEMBER_COLUMNS)
        .sort("target_group", "citizen_id", "term")
        .with_columns(out_now.alias("out_of_school"))
        .with_columns(_out_before().alias("was_out"))
        .with_columns((~pl.col("out_of_school") & pl.col("was_out")).alias("returned"))
        .join(suspended, on=["citizen_id", "term"], how="left")
        .join(cct, on=["citizen_id", "term"], how="left")
        .join(held, on=["citizen_id", "term"], how="left")
        .with_columns(pl.col(c).fill_null(False) for c in ("suspended", "cct_aid", "justice_case"))
        # a suspended record of a child out of school is part of being out of school, not a risk besides it
        .with_columns(pl.col("suspended") & ~pl.col("out_of_school"), pl.col("cct_aid") & ~pl.col("out_of_school"))
    )
    stage = (pl.when(pl.col("justice_case")).then(pl.lit("downstream"))
             .when(pl.col("out_of_school")).then(pl.lit("midstream"))
             .when(pl.col("suspended") | pl.col("returned") | pl.col("cct_aid")).then(pl.lit("upstream")))
    reasons = pl.concat_list([pl.when(pl.col(r)).then(pl.lit(r)) for r in REASONS]).list.drop_nulls().list.join("; ")
    return (frame.with_columns(stage.alias("stage")).filter(pl.col("stage").is_not_null())
            .with_columns(reasons.alias("reasons"))  # a list per row: only for the rows in a stage
            .select(RISK_STAGES.columns).cast(RISK_STAGES.schema)
            .sort("province_code", "term", "target_group", "citizen_id").collect())


def transitions(staged: pl.DataFrame, terms: list[str]) -> pl.DataFrame:
    """Each child's stage against the list's previous loaded term ('none': not listed in that term)."""
    frames = []
    ordered = sorted(terms)
    for previous, term in zip(ordered, ordered[1:]):
        prev = staged.filter(pl.col("term") == previous).select(
            "province_code", "target_group", "citizen_id", pl.col("stage").alias("previous_stage"))
        cur = staged.filter(pl.col("term") == term).select("province_code", "target_group", "citizen_id", "stage")
        both = cur.join(prev, on=["province_code", "target_group", "citizen_id"], how="full", coalesce=True)
        frames.append(both.with_columns(pl.lit(term).alias("term"), pl.lit(previous).alias("previous_term"),
                                        pl.col("stage").fill_null("none"), pl.col("previous_stage").fill_null("none")))
    if not frames:
        return STAGE_TRANSITIONS.empty()
    return STAGE_TRANSITIONS.conform(pl.concat(frames)).sort("term", "target_group", "citizen_id")


def summaries(staged: pl.DataFrame, moves: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Children by stage and amphoe, and by stage transition, per list; small counts suppressed."""
    by_amphoe = ["province_code", "term", "target_group", "amphoe_code", "stage"]
    by_move = ["province_code", "term", "previous_term", "target_group", "previous_stage", "stage"]
    return {"summary_by_stage": secondary(counted(staged, by_amphoe), by_amphoe),
            "summary_by_stage_transition": secondary(counted(moves, by_move), by_move)}
