"""The linker, in named stages: exact IDs, the model fitted on them, candidates (blocking), scoring, decisions,
review. Each stage is a function with a typed result.

    links, review = link(people, records, source="moe", term=term).frames

Every link carries its rule and per-field evidence. Officer decisions (accept
or reject a record-person pair) are applied before the automatic decision, and
a decided pair never returns to the review queue.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import polars as pl

from matching import comparisons as cmp
from matching.blocking import (MOE_RULES, RECORD_KEY, SURVEY_RULES, VALID_ID_RULES, BlockingIndex, candidate_pairs,
                               distinct_pairs, id_variants, rule_pairs, variant_pairs)
from matching.detail import positions
from matching.features import with_features
from matching.model import AGREEING, M_SAMPLE, U_SAMPLE, IdCounts, LinkageModel, fit, random_pairs, sample_rows
from matching.scoring import read_columns, score, weight_bound
from matching.settings import Settings, load_settings, profile
from zero_dropout import polars_engine
from zero_dropout.tables import DECISION, RECORD_LINKS, REVIEW_QUEUE
from zero_dropout.terms import Term

PERSON_COLUMNS = ["citizen_id", "first_name_norm", "last_name_norm", "birth_year_be", "birth_month", "birth_day",
                  "birth_full_date", "sex", "amphoe_code", "tambon_code", "moo", "house_no"]
RECORD_COLUMNS = [*RECORD_KEY, "citizen_id", "id_kind", "id_raw", "first_name_norm", "last_name_norm", "birth_year_be",
                  "birth_month", "birth_day", "birth_full_date", "sex", "age", "amphoe_code", "tambon_code", "moo", "house_no",
                  "school_code", "enrollment_status"]


@dataclass
class LinkResult:
    links: pl.DataFrame
    review: pl.DataFrame
    stats: dict[str, float] = field(default_factory=dict)
    model: LinkageModel | None = None


def _select(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    have = frame.collect_schema().names()
    return frame.select([pl.col(c) if c in have else pl.lit(None).alias(c) for c in columns])


# what prepare_people gives, in its order
PREPARED_PEOPLE = [*PERSON_COLUMNS, "first_name_phonetic", "last_name_phonetic", "birth_swapped", "birth_next_day",
                   "birth_prev_day", "first_name_freq", "first_name_mean_freq", "last_name_freq", "last_name_mean_freq"]


def prepare_people(people: pl.LazyFrame) -> pl.DataFrame:
    """People with matching features and how common their names are (for term-frequency weights). People
    prepared already (a registry's people staged with their features, ``PREPARED_PEOPLE``) are taken as they are:
    every source and term of a province links against the same people."""
    if set(PREPARED_PEOPLE) <= set(people.collect_schema().names()):
        return people.select(PREPARED_PEOPLE).collect()
    frame = with_features(_select(people, PERSON_COLUMNS)).collect()
    n = max(frame.height, 1)
    for f in ("first_name", "last_name"):
        counts = frame.group_by(f"{f}_norm").len().with_columns((pl.col("len") / n).alias(f"{f}_freq")).drop("len")
        frame = frame.join(counts, on=f"{f}_norm", how="left", maintain_order="left")
        frame = frame.with_columns(pl.col(f"{f}_freq").mean().alias(f"{f}_mean_freq"))
    return frame


def prepare_records(records: pl.LazyFrame, id_column: str) -> pl.LazyFrame:
    """Records with the columns the linker reads; ``id_raw`` is the ID as written (for one-edit blocking),
    ``citizen_id`` the valid ID only."""
    have = records.collect_schema().names()
    frame = records.with_columns(
        pl.col("id_raw" if "id_raw" in have else id_column).cast(pl.String).alias("id_raw"),
        pl.col("citizen_id").cast(pl.String),
        pl.col("enrollment_status_canonical").alias("enrollment_status") if "enrollment_status_canonical" in have
        else pl.lit(None, pl.String).alias("enrollment_status"),
    )
    return _select(frame, RECORD_COLUMNS)


def _with_sides(pairs: pl.LazyFrame, records: pl.LazyFrame, people: pl.DataFrame) -> pl.LazyFrame:
    r = records.rename({c: f"r_{c}" for c in records.collect_schema().names() if c not in RECORD_KEY})
    p = people.lazy().rename({c: f"p_{c}" for c in people.columns if c != "citizen_id"})
    return pairs.join(r, on=RECORD_KEY, maintain_order="left").join(p, on="citizen_id", maintain_order="left")


def _cheap_exprs(term: Term, survey: bool, ids: bool = True) -> list[pl.Expr]:
    levels = [cmp.birth_level().alias("birth_date_level"), cmp.sex_level().alias("sex_level"),
              *([cmp.id_level().alias("id_level")] if ids else [])]
    if survey:
        levels += [cmp.age_level(term.year_be).alias("age_level"), cmp.address_level().alias("address_level")]
    return levels


def _cheap_levels(pairs: pl.DataFrame, term: Term, survey: bool, ids: bool = True) -> pl.DataFrame:
    """Every comparison level but the names' (no string similarity): birth date, sex, ID, age, address."""
    return pairs.with_columns(_cheap_exprs(term, survey, ids))


def _name_levels(pairs: pl.DataFrame, s: Settings, texts: dict | None = None) -> pl.DataFrame:
    """``texts``: per name field, both sides' names as Python strings where the caller has them
    (``_random_sides``)."""
    texts = texts or {}
    first_sim, first_edits = cmp.name_scores(pairs["r_first_name_norm"], pairs["p_first_name_norm"], texts.get("first_name"))
    last_sim, last_edits = cmp.name_scores(pairs["r_last_name_norm"], pairs["p_last_name_norm"], texts.get("last_name"))
    pairs = pairs.with_columns(first_sim.alias("first_name_sim"), last_sim.alias("last_name_sim"),
                               first_edits.alias("first_name_edits"), last_edits.alias("last_name_edits"))
    return pairs.with_columns(cmp.name_level("first_name", s).alias("first_name_level"),
                              cmp.name_level("last_name", s).alias("last_name_level"))


def _compare(pairs: pl.DataFrame, s: Settings, term: Term, survey: bool, ids: bool = True,
             texts: dict | None = None) -> pl.DataFrame:
    """Comparison levels of every pair; ``ids=False`` leaves out the ID level (the model does not learn it)."""
    return _name_levels(_cheap_levels(pairs, term, survey, ids), s, texts)


def _compared(s: Settings, term: Term, survey: bool, ids: bool) -> set[str]:
    """The pair columns ``_compare`` reads: the roots of its level expressions."""
    exprs = [*_cheap_exprs(term, survey, ids), *(cmp.name_level(f, s) for f in ("first_name", "last_name"))]
    return {name for e in exprs for name in e.meta.root_names()}


def _compared_people_columns(s: Settings, term: Term, survey: bool, ids: bool) -> list[str]:
    """The person's columns ``_compare`` reads, named without ``p_``."""
    return ["citizen_id", *sorted(c[2:] for c in _compared(s, term, survey, ids) if c.startswith("p_"))]


def pair_columns(s: Settings, term: Term, survey: bool) -> list[str]:
    """The columns of a candidate pair that scoring, decisions and review read: the keys, what the comparison,
    the weight bound and the score read, what a decision keeps (``DECIDED_COLUMNS``). A candidate carries no
    other (a national province's MOE candidates are 150,000 pairs: the features nothing reads took a third of
    the time of pairing them)."""
    read = _compared(s, term, survey, ids=True) | read_columns() | set(TWIN_KEY) | set(DECIDED_COLUMNS)
    return [*DECISION_KEY, "blocked_by", "id_one_edit", *sorted(c for c in read if c.startswith(("r_", "p_")))]


# how well a first name agrees (exact 4 .. different 0), and whether a birth date agrees
FIRST_NAME_RANK = pl.col("first_name_level").replace_strict(
    {"exact": 4, "close": 3, "fuzzy": 2, "phonetic": 1, "different": 0}, default=0, return_dtype=pl.Int8)
BIRTH_AGREES = pl.col("birth_date_level").is_in(AGREEING["birth_date"]).fill_null(False)
TWIN_KEY = [*RECORD_KEY, "p_birth_full_date", "p_last_name_norm"]
# twins (another candidate born the same day with the same surname) are told apart by the first name only: unless
# it agrees better with one of them (a nickname tells neither), the pair waits for an officer whatever the house
# or age says
TWIN_UNRESOLVED = (FIRST_NAME_RANK <= pl.col("twin_first_rank")).fill_null(False)

VALID_ID_KEYS = sorted({k for rule in VALID_ID_RULES for k in rule.record_keys})
FEATURES = [*RECORD_COLUMNS, "first_name_phonetic", "last_name_phonetic", "birth_swapped", "birth_next_day",
            "birth_prev_day", "valid_elsewhere"]


def _record_features(recs: pl.LazyFrame, term: Term, survey: bool) -> pl.LazyFrame:
    """Matching features of records; a visit with an age and no birth year gets the birth years that age
    allows during the term (for blocking)."""
    out = with_features(recs)
    if survey:
        born = pl.lit(term.year_be, pl.Int32) - pl.col("age").cast(pl.Int32)
        out = out.with_columns(pl.when(pl.col("birth_year_be").is_null() & pl.col("age").is_not_null())
                               .then(pl.concat_list(born - 1, born, born + 1)).alias("age_birth_years"))
    return out


def _pairs_with_sides(keys: pl.LazyFrame, recs: pl.LazyFrame, people_f: pl.DataFrame, term: Term, survey: bool) -> pl.LazyFrame:
    """Comparable pairs for (record key, citizen_id) rows: the features of both sides."""
    feats = _record_features(recs.join(keys.select(RECORD_KEY).unique(), on=RECORD_KEY, how="semi"), term, survey)
    return _with_sides(keys, feats.select(FEATURES), people_f)


def fit_model(source: str, s: Settings, recs: pl.LazyFrame, people_f: pl.DataFrame, exact_ok: pl.DataFrame,
              term: Term, ids: IdCounts) -> LinkageModel:
    """The partition's model: m from (a sample of) its exact-ID links, u from the same records paired with
    random people of the province (one read of the records' features serves both)."""
    if not s.fit_from_data:
        return LinkageModel.from_settings(s, source, people_f.height)
    if exact_ok.height == 0:  # nothing labelled: the priors, with lambda from the IDs
        return fit(source, s, pl.DataFrame(), pl.DataFrame(), n_people=people_f.height, ids=ids)
    survey = profile(source) == "survey"
    plain = [pl.lit("random").alias("blocked_by"), pl.lit(False).alias("id_one_edit")]
    # sorted first: joins give rows in no fixed order, and the same inputs must give the same model
    labelled_keys = sample_rows(exact_ok.select(*RECORD_KEY, "citizen_id").sort(RECORD_KEY), M_SAMPLE)
    feats = _record_features(recs.join(labelled_keys.lazy().select(RECORD_KEY), on=RECORD_KEY, how="semi"), term,
                             survey).select(FEATURES).collect().lazy()
    labelled = _compare(_with_sides(labelled_keys.lazy().with_columns(plain), feats, people_f).collect(),
                        s, term, survey, ids=False)
    compared = people_f.select(_compared_people_columns(s, term, survey, ids=False))
    random, texts = _random_sides(labelled_keys.select(RECORD_KEY), feats.collect(), compared, plain)
    random = _compare(random, s, term, survey, ids=False, texts=texts)
    return fit(source, s, labelled, random, n_people=people_f.height, ids=ids)


def _random_sides(keys: pl.DataFrame, feats: pl.DataFrame, people_f: pl.DataFrame,
                  plain: list[pl.Expr]) -> tuple[pl.DataFrame, dict | None]:
    """``random_pairs`` of the sampled records and the province's people with both sides' features, as
    ``_with_sides`` gives them: rows are taken by number (a join on the keys of 60,000 pairs cost more than
    comparing them). ``people_f``: the people's columns the comparison reads (``_compared_people_columns``), the
    only ones gathered 60,000 times. With the pairs, their names as Python strings for ``_compare``: each side's
    few thousand names converted, then taken by the same row numbers (converting the 60,000 pairs' names cost a
    partition's model about a tenth of its time)."""
    picks = random_pairs(keys.height, people_f.height, U_SAMPLE)
    ids = people_f["citizen_id"]
    if ids.null_count() or ids.n_unique() != ids.len():  # not a registry's people: pair them as _with_sides does
        pairs = keys[picks["record_row"]].with_columns(ids.sort().gather(picks["person_rank"]).alias("citizen_id"))
        return _with_sides(pairs.lazy().with_columns(plain), feats.lazy(), people_f).collect(), None
    record_rows, person_rows = picks["record_row"], _id_order(ids).gather(picks["person_rank"])
    sampled = keys.join(feats, on=RECORD_KEY, how="left", maintain_order="left")
    recs, people = sampled[record_rows], people_f[person_rows]
    texts = {f: (cmp.python_strings(sampled[f"{f}_norm"])[record_rows.to_numpy()],
                 cmp.python_strings(people_f[f"{f}_norm"])[person_rows.to_numpy()]) for f in ("first_name", "last_name")}
    return pl.concat([
        recs.select(*RECORD_KEY), people.select("citizen_id").with_columns(plain),
        recs.select(pl.exclude(RECORD_KEY)).rename(lambda c: f"r_{c}"),
        people.select(pl.exclude("citizen_id")).rename(lambda c: f"p_{c}"),
    ], how="horizontal"), texts


def _id_order(ids: pl.Series) -> pl.Series:
    """``ids.arg_sort()`` of distinct IDs; as numbers where every one is 13 digits (the same order: a third of the
    time of sorting text)."""
    numbers = ids.cast(pl.Int64, strict=False)
    if numbers.null_count() == 0 and (ids.str.len_bytes() == 13).all():
        return numbers.arg_sort()
    return ids.arg_sort()


@dataclass
class ExactStage:
    """Stage 1: valid IDs that belong to a person of the province."""

    links: pl.DataFrame          # exact-ID links that stand (record key, citizen_id, evidence)
    strong_conflicts: pl.DataFrame  # compared pairs whose first name and birth date both differ: review unless rescued
    weak_conflicts: pl.DataFrame    # record key, holder's citizen_id and how well its first name and birth agree
    checked: pl.DataFrame        # every suspicious exact pair, compared (its record features serve stage 2)
    found: int                   # exact-ID joins before any check

    @property
    def conflicted(self) -> pl.DataFrame:
        return pl.concat([self.strong_conflicts.select(RECORD_KEY), self.weak_conflicts.select(RECORD_KEY)])


@dataclass
class CandidateStage:
    """Stage 2: every record stage 1 did not settle, paired by the blocking rules with people of the province."""

    pairs: pl.DataFrame  # both sides' features that scoring, decisions and review read (``pair_columns``)


@dataclass
class Decisions:
    """Officer decisions, then the automatic rule: what is linked and what waits for review."""

    exact: pl.DataFrame      # exact-ID links kept
    fallback: pl.DataFrame   # scored pairs accepted automatically
    forced: pl.DataFrame     # pairs an officer accepted
    ranked: pl.DataFrame     # the best candidate of each record, with runner-up margin and twin rank
    duplicates: pl.DataFrame  # a second record of one person at one school (MOE): review


# an exact-ID pair whose first name or birth date differs is checked (stage 1); one where both agree stands
SUSPICIOUS = ((pl.col("r_first") != pl.col("p_first")).fill_null(True)
              | (pl.col("r_birth") != pl.col("p_birth")).fill_null(True))


def _exact_pairs(recs: pl.LazyFrame, people: pl.LazyFrame) -> pl.LazyFrame:
    return recs.filter(pl.col("citizen_id").is_not_null()).select(
        *RECORD_KEY, "citizen_id", pl.col("first_name_norm").alias("r_first"), pl.col("birth_full_date").alias("r_birth"),
    ).join(people.select("citizen_id", pl.col("first_name_norm").alias("p_first"),
                         pl.col("birth_full_date").alias("p_birth")), on="citizen_id")


def settled_by_id(records: pl.LazyFrame, people: pl.LazyFrame, settings: Settings | None = None,
                  id_column: str = "citizen_id") -> pl.LazyFrame:
    """The national exact-ID pass of a term: the record keys whose valid ID a person of any loaded province holds
    and whose first name and birth date agree with that person's. Stage 1 of that person's province links them
    and nothing in stage 2 undoes such a link, so no other province's fallback needs to look at them
    (``link(settled=...)``): a valid ID, the name and the birth date of one loaded child are that child's record."""
    s = settings or load_settings()
    pairs = _exact_pairs(prepare_records(records, id_column), _select(people, PERSON_COLUMNS))
    return (pairs.filter(~SUSPICIOUS) if s.verify_exact_links else pairs).select(RECORD_KEY).unique()


def _held_records(recs: pl.LazyFrame, people_f: pl.DataFrame, shared: dict) -> pl.LazyFrame:
    """The records whose valid ID a person of the province holds (all stage 1 and the model read), taken by row
    number from the records held in memory for every province: their valid IDs sorted once (``shared``), each
    province's people's IDs looked up in them (a join over a national export cost 0.7 s a province)."""
    if "held" not in shared:  # one key, set when whole: provinces linked side by side may both compute it
        with polars_engine.national():  # a national export
            records = recs.collect()
        number = records["citizen_id"].cast(pl.Int64, strict=False)
        order = number.arg_sort(nulls_last=True).head(number.len() - number.null_count())
        shared["held"] = (records, number.gather(order), order)
    records, ids, order = shared["held"]
    at = positions(ids, people_f["citizen_id"].cast(pl.Int64, strict=False).drop_nulls())
    return records[order.gather(at).sort()].lazy()


def exact_stage(recs: pl.LazyFrame, people_f: pl.DataFrame, s: Settings, term: Term, survey: bool) -> ExactStage:
    """Join valid IDs; check the pairs whose first name or birth date differ. A first name that really differs
    (not a misspelling) with a birth date that differs too is a strong conflict (the ID was typed for somebody
    else: review unless stage 2 finds the record's person); any other difference is weak (a misspelling, a
    nickname, a birth-date slip, or a sibling's or twin's ID on the other child's record): the exact link
    stands unless stage 2 links the record to somebody else with its full margin."""
    exact = _exact_pairs(recs, people_f.lazy()).collect()
    exact = exact.with_columns(SUSPICIOUS.alias("suspicious") if s.verify_exact_links else pl.lit(False).alias("suspicious"))
    suspicious_keys = exact.filter("suspicious").select(*RECORD_KEY, "citizen_id")
    checked = _compare(_pairs_with_sides(suspicious_keys.lazy().with_columns(pl.lit("exact_id").alias("blocked_by"),
                                                                             pl.lit(False).alias("id_one_edit")),
                                         recs, people_f, term, survey).collect(), s, term, survey)
    different_name = (pl.col("first_name_level") == "different").fill_null(False)
    strong = different_name & pl.col("birth_date_level").is_in(["different", "same_year"]).fill_null(False)
    agrees = (pl.col("first_name_level").is_in(AGREEING["first_name"])
              & pl.col("birth_date_level").is_in(AGREEING["birth_date"])).fill_null(False)
    strong_conflicts = checked.filter(strong)
    # a link whose first name and birth date agree after all (a misspelling, a partial registry date) is settled
    weak = checked.filter(~strong & ~agrees).select(
        *RECORD_KEY, "citizen_id", FIRST_NAME_RANK.alias("holder_first_rank"), BIRTH_AGREES.alias("holder_birth_agrees"))
    links = exact.join(strong_conflicts.select(RECORD_KEY), on=RECORD_KEY, how="anti").select(
        *RECORD_KEY, "citizen_id").with_columns(pl.lit('{"citizen_id":"exact"}').alias("evidence"))
    return ExactStage(links, strong_conflicts, weak, checked, exact.height)


def candidate_stage(recs: pl.LazyFrame, people_f: pl.DataFrame, exact: ExactStage, term: Term, survey: bool,
                    columns: list[str], shared: dict | None = None,
                    settled_by_pass: pl.LazyFrame | None = None) -> CandidateStage:
    """Every record not settled by stage 1, against all of the province's people. A G-code child is never in the
    registry. Records without a usable ID (missing, mistyped, mangled) and records whose valid ID named the
    wrong person go through every blocking rule; for MOE, records with a valid ID no one of the province holds
    only meet people who share a birth date and a name, or both names and the birth year (VALID_ID_RULES), with
    their own prior. The joins run on the streamed file, so the ten million records of a national export stay
    out of the feature work. The features of MOE records without a valid ID are the same for every province:
    with ``shared`` they are computed once for all the provinces linked against the same records.
    ``settled_by_pass``: the record keys the term's national exact-ID pass settled (``settled_by_id``), left out
    of the records with a valid ID. ``columns``: the pair columns kept (``pair_columns``)."""
    if shared is not None and not survey:
        return CandidateStage(_shared_moe_pairs(recs, people_f, exact, term, shared, settled_by_pass, columns))
    settled = exact.links.join(exact.weak_conflicts.select(RECORD_KEY), on=RECORD_KEY, how="anti")
    candidates = recs.filter(pl.col("id_kind") != "gcode").join(settled.lazy().select(RECORD_KEY), on=RECORD_KEY, how="anti")
    conflicted = exact.conflicted
    if survey:
        rescue, valid = candidates, candidates.head(0)
    else:
        rescue = candidates.filter(pl.col("id_kind") != "valid")
        valid = candidates.filter(pl.col("id_kind") == "valid").with_columns(pl.lit(True).alias("valid_elsewhere"))
        if settled_by_pass is not None:
            valid = valid.join(settled_by_pass, on=RECORD_KEY, how="anti")
    rescue_f = _record_features(rescue, term, survey).collect()
    if not survey:  # the conflicted records' features were read with their check: no second pass over the file
        rescue_f = pl.concat([rescue_f.select(FEATURES), _conflict_features(exact)])
    pairs = candidate_pairs(rescue_f.lazy(), people_f.lazy(), SURVEY_RULES if survey else MOE_RULES, id_column="id_raw")
    paired = [rescue_f.lazy().select(FEATURES)]
    if not survey:
        valid_pairs = candidate_pairs(valid, people_f.lazy(), VALID_ID_RULES).collect().join(
            conflicted, on=RECORD_KEY, how="anti")
        pairs = pl.concat([pairs, valid_pairs.lazy()])
        # (every record of a pair is one of ``valid``: a semi join on the records reads no more than it needs)
        keys = valid_pairs.lazy().select(RECORD_KEY).unique()
        paired.append(with_features(recs.join(keys, on=RECORD_KEY, how="semi")
                                    .with_columns(pl.lit(True).alias("valid_elsewhere"))).select(FEATURES))
    # sorted while narrow (record key and person ID name one pair): the sides join in that order
    return CandidateStage(_with_sides(pairs.sort([*RECORD_KEY, "citizen_id"]), pl.concat(paired), people_f)
                          .select(columns).collect())


def _conflict_features(exact: ExactStage) -> pl.DataFrame:
    """The features of the records stage 1 found conflicted, as read with their check."""
    return exact.checked.join(exact.conflicted, on=RECORD_KEY, how="semi").unique(RECORD_KEY, keep="first").select(
        *RECORD_KEY, *[pl.col(f"r_{c}").alias(c) for c in FEATURES if c not in RECORD_KEY])


ROW = BlockingIndex.ROW  # a record's row number in the frame of features it is paired from


def _shared_moe_pairs(recs: pl.LazyFrame, people_f: pl.DataFrame, exact: ExactStage, term: Term, shared: dict,
                      settled_by_pass: pl.LazyFrame | None, columns: list[str]) -> pl.DataFrame:
    """Stage 2 of a province linked against a national MOE export many provinces share (``shared``), with both
    sides' features (``columns``), as ``candidate_stage`` gives them without it. What is the same for every province is
    computed once: the features of the records without a valid ID (never settled by a province's exact IDs)
    and their ID variants, and the features of the valid-ID records the national pass left, each with its
    blocking keys hashed (``BlockingIndex``). Every record that a person of the province holds is settled or
    conflicted by stage 1, so the valid-ID records left to the province are those whose ID no one of it holds.
    Pairs name their record by its row in the shared frames and take its features by that number (joins on the
    record key over two million rows cost a national province 0.4 s)."""
    if "moe_blocking" not in shared:  # one key, set when whole: every piece of one computation (rows numbered alike)
        with polars_engine.national():  # filters, an anti join and the ID variants over a national export
            rescue = _record_features(recs.filter(~pl.col("id_kind").is_in(["gcode", "valid"])), term, False).select(
                FEATURES).collect()
            held = recs.filter(pl.col("id_kind") == "valid")
            if settled_by_pass is not None:
                held = held.join(settled_by_pass, on=RECORD_KEY, how="anti")
            valid = with_features(held.with_columns(pl.lit(True).alias("valid_elsewhere"))).select(FEATURES).collect()
            variants = id_variants(rescue.lazy().with_row_index(ROW), "id_raw", [ROW]).collect()
        shared["moe_blocking"] = (rescue, valid, BlockingIndex(rescue, MOE_RULES), BlockingIndex(valid, VALID_ID_RULES),
                                  variants)  # numbered as the rows of ``rescue``: the first rows of ``own`` below
    rescue, valid, rescue_index, valid_index, variants = shared["moe_blocking"]
    conflicts = _conflict_features(exact)
    own = pl.concat([rescue, conflicts])  # the conflicted records after the shared rows
    numbered = conflicts.lazy().with_row_index(ROW, offset=rescue.height)
    rescue_pairs = distinct_pairs([
        *(part.lazy() for part in rescue_index.parts(people_f)),
        *(rule_pairs(numbered, people_f.lazy(), rule, [ROW]) for rule in MOE_RULES),
        variant_pairs(variants.lazy(), people_f.lazy(), [ROW])], [ROW]).collect()
    valid_pairs = distinct_pairs([part.lazy() for part in valid_index.parts(people_f)], [ROW]).collect()
    # a record whose valid ID a person of the province holds is stage 1's (settled or conflicted), not a candidate
    valid_pairs = valid_pairs.filter(~valid["citizen_id"].gather(valid_pairs[ROW]).is_in(people_f["citizen_id"].implode()))

    record_columns = [c[2:] for c in columns if c.startswith("r_")]

    def sides(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
        rows = frame.select(*RECORD_KEY, *record_columns)[pairs[ROW]]
        return pl.concat([rows.select(RECORD_KEY), pairs.select("citizen_id", "blocked_by", "id_one_edit"),
                          rows.select(record_columns).rename(lambda c: f"r_{c}")], how="horizontal")

    pairs = pl.concat([sides(own, rescue_pairs), sides(valid, valid_pairs)]).sort([*RECORD_KEY, "citizen_id"])
    p = people_f.select("citizen_id", *(pl.col(c[2:]).alias(c) for c in columns if c.startswith("p_")))
    return pairs.join(p, on="citizen_id", maintain_order="left").select(columns)


def scoring_stage(candidates: CandidateStage, model: LinkageModel, s: Settings, term: Term, survey: bool,
                  decided: pl.DataFrame | None = None) -> pl.DataFrame:
    """Comparison levels of every candidate pair that can matter, weighted by the partition's model; only what the
    decision and review stages read is kept (a large province's candidates are millions of pairs, each with both
    sides' features).

    A pair whose highest reachable weight (``weight_bound``: the names at their best unless they are equal) is
    below the review threshold less the ambiguity margin is left out before the names are compared: it can be
    neither linked nor reviewed, and as a runner-up it is more than the margin below any candidate that could be
    (so every decision and review stays the same). A pair is kept whatever its bound when another candidate of
    its record with the same birth date and surname is kept (twins are told apart among all of them), or when an
    officer decided it."""
    cheap = _cheap_levels(candidates.pairs, term, survey)
    cut = math.log2(s.review_probability / (1 - s.review_probability)) - s.ambiguity_margin - BOUND_SLACK
    can_matter = weight_bound(cheap.lazy(), model) >= cut
    keep = can_matter | can_matter.any().over(TWIN_KEY)
    if decided is not None and decided.height:
        keep = keep | pl.struct(DECISION_KEY).is_in(decided.select(pl.struct(DECISION_KEY)).to_series().implode())
    kept = cheap.filter(keep)
    scored = score(_name_levels(kept, s).lazy(), model)
    have = scored.collect_schema().names()
    return scored.select([c for c in DECIDED_COLUMNS if c in have]).collect()


DECISION_KEY = [*RECORD_KEY, "citizen_id"]
BOUND_SLACK = 1e-6  # the bound and the score add the same weights in another order
# what the decision and review stages read of a scored pair
DECIDED_COLUMNS = [*DECISION_KEY, "match_weight", "match_probability", "evidence", "first_name_level", "birth_date_level",
                   "id_level", "p_birth_full_date", "p_last_name_norm", "r_school_code"]


def decision_stage(scored: pl.DataFrame, exact: ExactStage, decided: pl.DataFrame, s: Settings, survey: bool) -> Decisions:
    """Officer decisions first (rejected pairs leave, accepted pairs win); then a record's best candidate is
    linked when it is probable enough, clear of the runner-up, and not one of twins the first name cannot
    tell apart."""
    dec = decided.select(*DECISION_KEY, "decision")
    scored = scored.join(dec.filter(pl.col("decision") == "reject"), on=DECISION_KEY, how="anti")
    accepted_by_officer = dec.filter(pl.col("decision") == "accept")
    ranked = (
        scored.join(accepted_by_officer.select(RECORD_KEY), on=RECORD_KEY, how="anti")
        .sort("match_weight", descending=True)
        .with_columns(
            pl.col("match_weight").shift(-1).over(RECORD_KEY, order_by=pl.col("match_weight").neg()).alias("runner_up"),
            pl.int_range(pl.len()).over(RECORD_KEY, order_by=pl.col("match_weight").neg()).alias("rank"),
            # the best first-name agreement among the other candidates born the same day with the same surname
            pl.when(pl.col("p_birth_full_date").is_not_null() & (pl.len().over(TWIN_KEY) > 1))
            .then(FIRST_NAME_RANK.sort(descending=True).slice(1, 1).first().over(TWIN_KEY)).alias("twin_first_rank"),
        )
        .filter(pl.col("rank") == 0)
        .with_columns((pl.col("match_weight") - pl.col("runner_up").fill_null(-1e9)).alias("margin"))
        .with_columns(TWIN_UNRESOLVED.alias("twin_unresolved"))
    )
    auto_accept = ((pl.col("match_probability") >= s.accept_probability) & (pl.col("margin") >= s.ambiguity_margin)
                   & ~pl.col("twin_unresolved"))
    fallback = ranked.filter(auto_accept)
    if not survey:  # one person, one record per school and term from the fallback: the best one
        dup = pl.int_range(pl.len()).over(["citizen_id", "r_school_code"], order_by=pl.col("match_weight").neg()) > 0
        fallback = fallback.with_columns(dup.alias("dup"))
        duplicates, fallback = fallback.filter("dup"), fallback.filter(~pl.col("dup"))
    else:
        duplicates = fallback.clear()
    # a weak conflict keeps its exact link unless stage 2 linked the record to somebody else (the twin whose name
    # it bears), and only to a person whose birth date agrees and whose first name agrees better than the ID's
    # holder's (or as well, where the holder's birth date does not agree): a nickname or a house number never
    # outweighs an ID that is the person's
    better_name, same_name = FIRST_NAME_RANK > pl.col("holder_first_rank"), FIRST_NAME_RANK >= pl.col("holder_first_rank")
    relinked = fallback.join(exact.weak_conflicts, on=RECORD_KEY, how="inner", suffix="_by_id").filter(
        (pl.col("citizen_id") != pl.col("citizen_id_by_id")) & BIRTH_AGREES
        & (better_name | (same_name & ~pl.col("holder_birth_agrees")))).select(RECORD_KEY)
    exact_ok = exact.links.join(relinked, on=RECORD_KEY, how="anti")
    fallback = fallback.join(exact_ok.select(RECORD_KEY), on=RECORD_KEY, how="anti")
    forced = accepted_by_officer.join(scored, on=DECISION_KEY, how="left").with_columns(
        pl.col("match_probability").fill_null(1.0), pl.col("evidence").fill_null('{"decision":"accepted by an officer"}'))
    return Decisions(exact_ok, fallback, forced, ranked, duplicates)


def link_frame(d: Decisions, source: str, model: LinkageModel) -> pl.DataFrame:
    """Every link with its rule, score, evidence and the model that scored it."""
    def as_links(frame: pl.DataFrame, rule: str | pl.Expr) -> pl.DataFrame:
        return frame.select(pl.lit(source).alias("source"), *RECORD_KEY, "citizen_id",
                            (pl.lit(rule) if isinstance(rule, str) else rule).alias("rule"),
                            pl.col("match_probability").round(6).alias("score"), "evidence",
                            pl.lit(model.fingerprint).alias("model_fingerprint")).cast(RECORD_LINKS.schema)

    return pl.concat([
        as_links(d.exact.with_columns(pl.lit(1.0).alias("match_probability")), "exact_id"),
        as_links(d.fallback, pl.when(pl.col("id_level") == "one_edit").then(pl.lit("fallback_id_one_edit"))
                 .otherwise(pl.lit("fallback_name_birth"))),
        as_links(d.forced, "officer_accepted"),
    ])


def review_stage(d: Decisions, strong_conflicts: pl.DataFrame, links: pl.DataFrame, decided: pl.DataFrame,
                 s: Settings, source: str) -> pl.DataFrame:
    """The pairs an officer must decide, each with why; a decided pair and a linked record never return."""
    def as_review(frame: pl.DataFrame, why_prefix: str) -> pl.DataFrame:
        return frame.select(pl.lit(source).alias("source"), *RECORD_KEY, "citizen_id",
                            pl.col("match_probability").round(6).alias("score"),
                            pl.concat_str(pl.lit('{"reason":"' + why_prefix + '","evidence":'), pl.col("evidence"),
                                          pl.lit("}")).alias("why")).cast(REVIEW_QUEUE.schema)

    ranked, probable = d.ranked, pl.col("match_probability") >= s.review_probability
    clear = pl.col("margin") >= s.ambiguity_margin
    between = (pl.col("match_probability") < s.accept_probability) | ~clear
    review = pl.concat([
        as_review(ranked.filter(pl.col("twin_unresolved") & probable),
                  "a twin scores almost as high and the first name tells neither"),
        as_review(ranked.filter(between & probable & ~pl.col("twin_unresolved") & clear),
                  "probability between review and accept thresholds"),
        as_review(ranked.filter(probable & ~clear), "another person scores almost as high"),
        as_review(d.duplicates, "the person already has a record at this school this term"),
        as_review(strong_conflicts, "valid ID of this person, but first name and birth date disagree"),
    ]).join(decided.select(DECISION_KEY), on=DECISION_KEY, how="anti").unique(subset=DECISION_KEY, keep="first")
    return review.join(links.select(RECORD_KEY), on=RECORD_KEY, how="anti")


def link(people: pl.LazyFrame, records: pl.LazyFrame, *, source: str, term: Term, settings: Settings | None = None,
         decisions: pl.DataFrame | None = None, id_column: str = "citizen_id", shared: dict | None = None,
         settled: pl.LazyFrame | pl.DataFrame | None = None) -> LinkResult:
    """Link ``records`` (MOE or survey, one term) to ``people`` (one province's registry), stage by stage:
    exact IDs, the model fitted on them, candidates, scoring, decisions, review. ``shared``: a dict the caller
    keeps for one ``records`` frame, source and term, linked province after province: what is the same for every
    province is computed once (the result is the same as without it). ``settled`` (MOE): the record keys of the
    term's national exact-ID pass (``settled_by_id`` over every loaded province's people): records another
    province's stage 1 links for certain, which this province's fallback leaves alone (with ``shared``, the same
    ``settled`` for every province of it)."""
    s = settings or load_settings()
    started = time.perf_counter()
    survey = profile(source) == "survey"
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[f"seconds_{name}"] = round(time.perf_counter() - started - sum(timings.values()), 3)

    people_f = prepare_people(people)
    lap("prepare_people")
    # Records stay lazy: a national MOE export is ten million rows, of which a province needs a few
    # hundred thousand. Each stage streams the file and keeps only what it matches.
    recs = prepare_records(records, id_column).with_columns(pl.lit(False).alias("valid_elsewhere"))
    decided = (decisions if decisions is not None else DECISION.empty()).filter(pl.col("source") == source)
    counting = recs.select(pl.len().alias("records"), (pl.col("id_kind") == "valid").sum().alias("valid"),
                           (pl.col("id_kind") == "bad_checksum").sum().alias("failed"))
    if shared is not None and "id_counts" not in shared:
        shared["id_counts"] = counting.collect().row(0, named=True)
    id_counts = shared["id_counts"] if shared is not None else counting.collect().row(0, named=True)
    # stage 1 and the model read only the records whose valid ID a person of the province holds
    own = _held_records(recs, people_f, shared) if shared is not None else recs
    exact = exact_stage(own, people_f, s, term, survey)
    lap("exact")
    model = fit_model(source, s, own, people_f, exact.links, term,
                      IdCounts(valid=id_counts["valid"], linked=exact.found, failed_check_digit=id_counts["failed"]))
    strong_conflicts = score(exact.strong_conflicts.lazy(), model).collect()
    lap("model")
    if settled is not None:
        settled = settled.lazy().select(RECORD_KEY)
    candidates = candidate_stage(recs, people_f, exact, term, survey, pair_columns(s, term, survey), shared, settled)
    lap("blocking")
    scored = scoring_stage(candidates, model, s, term, survey, decided)
    lap("scoring")
    decided_links = decision_stage(scored, exact, decided, s, survey)
    links = link_frame(decided_links, source, model)
    review = review_stage(decided_links, strong_conflicts, links, decided, s, source)
    lap("decisions")
    stats = {
        **timings,
        "records": id_counts["records"],
        "links_exact_id": decided_links.exact.height,
        "links_fallback": decided_links.fallback.height,
        "links_officer": decided_links.forced.height,
        "exact_conflicts": strong_conflicts.height,
        "candidate_pairs": candidates.pairs.height,
        "scored_pairs": scored.height,
        "review_queue": review.height,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return LinkResult(links.sort(RECORD_KEY), review.sort(RECORD_KEY), stats, model)
