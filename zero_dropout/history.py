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

from zero_dropout import aid, population, stages, transitions
from zero_dropout.disclosure import counted, secondary
from zero_dropout.tables import AID_BY_CHILD, AID_PAYMENTS, GROUP_SUMMARY, JUSTICE_CASES, LINK_RATES, SURVEY_FINDINGS
from zero_dropout.target_groups import DEFAULT, TargetGroup
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
    groups: pl.LazyFrame | None = None   # target/groups: every configured group's cohort, with target_group
    aid: pl.LazyFrame | None = None      # every aid payment of the term, linked or not (tables.AID_PAYMENTS)
    justice: pl.LazyFrame | None = None  # every justice case of the term's folder, linked or not (JUSTICE_CASES)


@dataclass
class ProvinceHistory:
    link_rates: pl.DataFrame
    children: pl.DataFrame
    cohort_status: pl.DataFrame
    transitions: pl.DataFrame
    partition_summary: pl.DataFrame
    summaries: dict[str, pl.DataFrame] = field(default_factory=dict)
    group_children: pl.DataFrame = field(default_factory=pl.DataFrame)  # out of school, per configured group
    group_summary: pl.DataFrame = field(default_factory=GROUP_SUMMARY.empty)
    risk_stages: pl.DataFrame = field(default_factory=pl.DataFrame)
    stage_transitions: pl.DataFrame = field(default_factory=pl.DataFrame)
    aid_by_child: pl.DataFrame = field(default_factory=AID_BY_CHILD.empty)

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
    have = survey_links.collect_schema().names()
    evidence = [(pl.col(c) if c in have else pl.lit(None)).alias(f"survey_{c}") for c in ("photo_ref", "lat", "lon")]
    return survey_links.sort("survey_date", nulls_last=False).group_by("citizen_id").last().select(
        "citizen_id", pl.col("found_status").alias("survey_found_status"), pl.col("reason").alias("survey_reason"),
        pl.col("need").alias("survey_need"), "survey_date", *evidence).cast(SURVEY_FINDINGS.schema)


def _counts(classified: pl.DataFrame) -> dict[str, int]:
    cats = dict(classified.group_by("category").len().iter_rows())
    never, dropped = cats.get("never_enrolled", 0), cats.get("dropped_out", 0)
    return {"target_population": classified.height, "in_school": cats.get("in_school", 0),
            "out_of_school": never + dropped, "never_enrolled": never, "dropped_out": dropped}


def _group_row(province: str, term: str, g: TargetGroup, classified: pl.DataFrame) -> dict:
    return {"province_code": province, "term": term, "target_group": g.name, "label": g.label, "min_age": g.min_age,
            "max_age": g.max_age, **_counts(classified)}


def _concat(frames: list[pl.LazyFrame | None], term_names: list[str], table) -> pl.LazyFrame:
    present = [f.with_columns(pl.lit(t).alias("term")) for f, t in zip(frames, term_names)
               if f is not None and f.collect_schema().len()]
    return pl.concat([table.extended("x", {"term": pl.String}).conform(f) for f in present]) if present else \
        table.extended("x", {"term": pl.String}).empty().lazy()


def build(province: str, terms: list[TermLinks], summary_tables: dict[str, str],
          groups: tuple[TargetGroup, ...] = (DEFAULT,), places: pl.LazyFrame | None = None) -> ProvinceHistory:
    """Every term of a province, in term order, classified with what earlier terms hold; each configured target
    group beside the default cohort; stages of risk; aid per child. ``places``: (citizen_id, amphoe_code,
    tambon_code) of the province's registry people (where an aided child outside the cohort lives)."""
    terms = sorted(terms, key=lambda t: t.term)
    moe = pl.concat([t.moe_links.select("citizen_id", pl.lit(t.term).alias("term"), "enrollment_status")
                     for t in terms]) if terms else pl.LazyFrame(schema={"citizen_id": pl.String, "term": pl.String,
                                                                         "enrollment_status": pl.String})
    children, statuses, moves, summaries_rows = [], [], [], []
    group_children, group_rows, members = [], [], []
    configured = [g for g in groups if g.name != DEFAULT.name]
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
        members.append(classified.select(pl.lit(province).alias("province_code"), pl.lit(t.term).alias("term"),
                                         pl.lit(DEFAULT.name).alias("target_group"), *stages.MEMBER_COLUMNS[3:]))
        group_rows.append(_group_row(province, t.term, DEFAULT, classified))
        if configured and t.groups is not None and t.groups.collect_schema().len():
            in_groups = population.classify(t.groups.filter("in_target"), moe, Term.parse(t.term))
            in_groups = population.mark_pending_review(in_groups, t.moe_review).with_columns(
                pl.col("pending_review") & (pl.col("category") != "in_school")).collect()
            for g in configured:
                group_rows.append(_group_row(province, t.term, g, in_groups.filter(pl.col("target_group") == g.name)))
            group_children.append(
                in_groups.lazy().filter(pl.col("category") != "in_school")
                .with_columns(pl.lit(province).alias("province_code"))
                .select("target_group", *population.OUT_OF_SCHOOL_COLUMNS, "pending_review")
                .join(latest_survey(t.survey_links), on="citizen_id", how="left")
                .sort("target_group", "citizen_id").collect())
            members.append(in_groups.select(pl.lit(province).alias("province_code"), pl.lit(t.term).alias("term"),
                                            *stages.MEMBER_COLUMNS[2:]))
        children.append(out)
        statuses.append(status)
        moves.append(moved)
        previous = (t.term, status)
    names = [t.term for t in terms]
    everyone = pl.concat(members) if members else pl.DataFrame(schema={c: pl.String for c in stages.MEMBER_COLUMNS})
    payments = _concat([t.aid for t in terms], names, AID_PAYMENTS).collect()
    cases = _concat([t.justice for t in terms], names, JUSTICE_CASES)
    staged = stages.stages(everyone.lazy(), moe, payments.lazy(), cases, names)
    stage_moves = stages.transitions(staged, names)
    tables_out = {name: pl.concat(frames) for name, frames in tables.items()}
    tables_out.update(stages.summaries(staged, stage_moves))
    group_children_frame = pl.concat(group_children) if group_children else pl.DataFrame()
    if group_children_frame.height:
        dims = ["province_code", "term", "target_group", "amphoe_code", "category"]
        tables_out["summary_by_target_group"] = secondary(counted(group_children_frame, dims), dims)
    default_members = everyone.filter(pl.col("target_group") == DEFAULT.name)
    returned = staged.filter((pl.col("target_group") == DEFAULT.name) & pl.col("reasons").str.contains("returned")).select(
        "term", "citizen_id", pl.lit(True).alias("returned"))
    status = aid.child_status(default_members.join(returned, on=["term", "citizen_id"], how="left").with_columns(
        pl.col("returned").fill_null(False)))
    places = places if places is not None else everyone.lazy().select("citizen_id", "amphoe_code", "tambon_code")
    per_child = aid.by_child(payments, status, places, province)
    if payments.height:
        tables_out.update(aid.summaries(payments, per_child, status, province))
    return ProvinceHistory(
        group_children=group_children_frame,
        group_summary=GROUP_SUMMARY.conform(pl.DataFrame(group_rows)) if group_rows else GROUP_SUMMARY.empty(),
        risk_stages=staged,
        stage_transitions=stage_moves,
        aid_by_child=per_child,
        link_rates=link_rates(province, terms),
        children=pl.concat(children) if children else pl.DataFrame(),
        cohort_status=pl.concat(statuses) if statuses else pl.DataFrame(),
        transitions=pl.concat(moves) if moves else pl.DataFrame(schema=transitions.SCHEMA),
        partition_summary=pl.DataFrame(summaries_rows),
        summaries=tables_out,
    )
