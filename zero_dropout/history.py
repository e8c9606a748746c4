"""A province's terms read together: what each term's out-of-school rule needs of earlier terms.

Every term of a province is linked on its own (target population, MOE links, survey links, review
queues). What a term reads of another term is computed here, once for the whole province, from every
term loaded:

- the MOE link rate of each term and whether it fell against the previous loaded term (a broken or
  incomplete export looks like thousands of new dropouts);
- each child's category (never enrolled needs "no record in any earlier term"), since when out of school;
- transitions from the previous loaded term;
- the partition summaries and the suppressed summary tables.

So a file that arrives late for an earlier term changes every later term of the province by the same
computation as a clean run over the final inbox. Pure Polars: no Dagster, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from zero_dropout import population, transitions
from zero_dropout.tables import LINK_RATES, SURVEY_FINDINGS
from zero_dropout.terms import Term

MAX_LINK_RATE_DROP = 0.10  # a fall of 10 points in the target's MOE link rate against the previous term stops the load



@dataclass
class TermLinks:
    """What one term of a province produced on its own."""

    term: str
    cohort: pl.LazyFrame        # target_population: every person of the term's birth cohort, targeted or not
    moe_links: pl.LazyFrame     # with citizen_id, enrollment_status
    moe_review: pl.LazyFrame    # with citizen_id
    survey_links: pl.LazyFrame  # with citizen_id, found_status, reason, need, survey_date (may be empty)


@dataclass
class ProvinceHistory:
    link_rates: pl.DataFrame
    children: pl.DataFrame
    cohort_status: pl.DataFrame
    transitions: pl.DataFrame
    partition_summary: pl.DataFrame
    summaries: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def unstable_terms(self) -> list[str]:
        return self.link_rates.filter(~pl.col("link_rate_stable"))["term"].to_list()

    @property
    def children_listed_twice(self) -> int:
        return self.children.height - self.children.select("term", "citizen_id").n_unique() if self.children.height else 0


def link_rate_stable(rate: float, previous: float | None) -> bool:
    """The target's link rate may not fall by more than MAX_LINK_RATE_DROP against the previous term loaded."""
    return previous is None or rate >= previous - MAX_LINK_RATE_DROP


def target_linked(cohort: pl.LazyFrame, moe_links: pl.LazyFrame) -> tuple[int, int]:
    """(target population, targeted people with at least one MOE link) of one term."""
    target = cohort.filter("in_target").select("citizen_id")
    n = target.select(pl.len()).collect().item()
    linked = target.join(moe_links.select("citizen_id").unique(), on="citizen_id").select(pl.len()).collect().item()
    return n, linked


def link_rates(province: str, terms: list[TermLinks]) -> pl.DataFrame:
    """Per term: target population, targeted people with an MOE link, the rate, the previous term's rate."""
    rows = []
    for t in terms:
        n, linked = target_linked(t.cohort, t.moe_links)
        rows.append({"province_code": province, "term": t.term, "target_population": n, "target_linked": linked,
                     "target_link_rate": round(linked / n, 4) if n else 0.0})
    frame = pl.DataFrame(rows, schema=LINK_RATES.without("counts", "previous_term", "previous_link_rate",
                                                         "link_rate_stable").schema).sort("term")
    frame = frame.with_columns(pl.col("term").shift(1).alias("previous_term"),
                               pl.col("target_link_rate").shift(1).alias("previous_link_rate"))
    stable = [link_rate_stable(r, p) for r, p in zip(frame["target_link_rate"], frame["previous_link_rate"])]
    return LINK_RATES.conform(frame.with_columns(pl.Series("link_rate_stable", stable, pl.Boolean)))


def latest_survey(survey_links: pl.LazyFrame) -> pl.LazyFrame:
    """The latest survey finding per child (a visit without a date counts as the earliest)."""
    if "found_status" not in survey_links.collect_schema().names():
        return SURVEY_FINDINGS.empty().lazy()
    return survey_links.sort("survey_date", nulls_last=False).group_by("citizen_id").last().select(
        "citizen_id", pl.col("found_status").alias("survey_found_status"), pl.col("reason").alias("survey_reason"),
        pl.col("need").alias("survey_need"), "survey_date").cast(SURVEY_FINDINGS.schema)


def build(province: str, terms: list[TermLinks], summary_tables: dict[str, str]) -> ProvinceHistory:
    """Every term of a province, in term order, classified with what earlier terms hold."""
    terms = sorted(terms, key=lambda t: t.term)
    moe = pl.concat([t.moe_links.select("citizen_id", pl.lit(t.term).alias("term"), "enrollment_status")
                     for t in terms]) if terms else pl.LazyFrame(schema={"citizen_id": pl.String, "term": pl.String,
                                                                         "enrollment_status": pl.String})
    children, statuses, moves, summaries_rows = [], [], [], []
    tables: dict[str, list[pl.DataFrame]] = {}
    previous: tuple[str, pl.DataFrame] | None = None
    for i, t in enumerate(terms):
        cohort = t.cohort.collect()
        classified = population.classify(cohort.lazy().filter("in_target"), moe, Term.parse(t.term))
        classified = population.mark_pending_review(classified, t.moe_review).with_columns(
            pl.col("pending_review") & (pl.col("category") != "in_school")).collect()
        out = (
            classified.lazy().filter(pl.col("category") != "in_school")
            .with_columns(pl.lit(province).alias("province_code"))
            .select(*population.OUT_OF_SCHOOL_COLUMNS, "pending_review")
            .join(latest_survey(t.survey_links), on="citizen_id", how="left")
            .sort("citizen_id")
            .collect()
        )
        status = cohort.select("citizen_id", "in_target", "excluded_reason", "amphoe_code", "tambon_code", "age_band").join(
            classified.select("citizen_id", "category"), on="citizen_id", how="left").with_columns(
            pl.lit(province).alias("province_code"), pl.lit(t.term).alias("term"))
        moved = transitions.between(status, previous[1] if previous else None, province, t.term,
                                    previous[0] if previous else None)
        summaries_rows.append({"province_code": province, "term": t.term, **population.summary(classified, cohort),
                               "earlier_terms_loaded": i})
        for name, frame in transitions.summaries(out, moved, summary_tables).items():
            tables.setdefault(name, []).append(frame)
        children.append(out)
        statuses.append(status)
        moves.append(moved)
        previous = (t.term, status)
    return ProvinceHistory(
        link_rates=link_rates(province, terms),
        children=pl.concat(children) if children else pl.DataFrame(),
        cohort_status=pl.concat(statuses) if statuses else pl.DataFrame(),
        transitions=pl.concat(moves) if moves else pl.DataFrame(schema=transitions.SCHEMA),
        partition_summary=pl.DataFrame(summaries_rows),
        summaries={name: pl.concat(frames) for name, frames in tables.items()},
    )
