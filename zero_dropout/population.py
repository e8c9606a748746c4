"""The contract's target population and out-of-school rule, as pure Polars."""

from __future__ import annotations

import polars as pl

from zero_dropout.target_groups import DEFAULT, TargetGroup
from zero_dropout.terms import Term

TARGET_STATUSES = DEFAULT.statuses  # lives here; central house register (flagged)
EXCLUDED_STATUSES = {1: "removed_or_deceased", 4: "moved_abroad", 9: "moved_out", 11: "reported_dead",
                     12: "renounced_thai_nationality"}
IN_SCHOOL_STATUSES = ("studying", "graduated")
CATEGORIES = ("never_enrolled", "dropped_out")
CATEGORY_LABELS_TH = {"never_enrolled": "ไม่เคยมีประวัติในระบบการศึกษา", "dropped_out": "หลุดออกจากระบบการศึกษา",
                      "in_school": "อยู่ในระบบการศึกษา"}
# the default cohort's bands are 3-5 to 15-17; target groups may reach younger or older
AGE_BANDS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 11, "6-11"), (12, 14, "12-14"), (15, 17, "15-17"), (18, 21, "18-21"),
             (22, 30, "22-30"))


def age_band(age: pl.Expr) -> pl.Expr:
    out = pl.lit(None, pl.String)
    for lo, hi, label in reversed(AGE_BANDS):
        out = pl.when(age.is_between(lo, hi)).then(pl.lit(label)).otherwise(out)
    return out


def cohort(registry: pl.LazyFrame, term: Term, group: TargetGroup = DEFAULT) -> pl.LazyFrame:
    """Registry people born in the group's birth years of the term (the default: the Zero Dropout cohort), with
    whether they are targeted (their status counts) and why not."""
    lo, hi = group.birth_years_be(term)
    status = pl.col("person_status")
    return registry.filter(pl.col("birth_year_be").is_between(lo, hi)).with_columns(
        pl.lit(str(term)).alias("term"),
        status.is_in(group.statuses).alias("in_target"),
        (status == 8).alias("central_register"),
        status.replace_strict(EXCLUDED_STATUSES, default=None, return_dtype=pl.String).alias("excluded_reason"),
        (pl.lit(term.year_be) - pl.col("birth_year_be")).cast(pl.Int16).alias("age"),
        age_band(pl.lit(term.year_be) - pl.col("birth_year_be")).alias("age_band"),
    )


def group_cohorts(registry: pl.LazyFrame, term: Term, groups: tuple[TargetGroup, ...]) -> pl.LazyFrame:
    """Every configured group's cohort of the term (the default cohort is ``cohort``), one row per person and
    group, with ``target_group``."""
    frames = [cohort(registry, term, g).with_columns(pl.lit(g.name).alias("target_group")) for g in groups
              if g.name != DEFAULT.name]
    if not frames:
        return cohort(registry, term).with_columns(pl.lit(None, pl.String).alias("target_group")).head(0)
    return pl.concat(frames)


def classify(target: pl.LazyFrame, moe_links: pl.LazyFrame, term: Term) -> pl.LazyFrame:
    """Category of every target person for ``term``.

    ``moe_links``: (citizen_id, term, enrollment_status) of MOE records linked to people of the
    province, for this term and every earlier term loaded. In school: a studying or graduated record
    this term. Dropped out: any other record this term, or any record earlier. Never enrolled: none.
    """
    t = str(term)
    per_person = moe_links.filter(pl.col("term") <= t).group_by("citizen_id").agg(
        ((pl.col("term") == t) & pl.col("enrollment_status").is_in(IN_SCHOOL_STATUSES)).any().alias("studying_now"),
        (pl.col("term") == t).any().alias("record_now"),
        (pl.col("term") < t).any().alias("record_before"),
        pl.col("term").filter(pl.col("enrollment_status").is_in(IN_SCHOOL_STATUSES)).max().alias("last_enrolled_term"),
        pl.col("term").max().alias("last_record_term"),
    )
    return target.join(per_person, on="citizen_id", how="left").with_columns(
        pl.when(pl.col("studying_now").fill_null(False)).then(pl.lit("in_school"))
        .when(pl.col("record_now").fill_null(False) | pl.col("record_before").fill_null(False)).then(pl.lit("dropped_out"))
        .otherwise(pl.lit("never_enrolled")).alias("category"),
    ).drop("studying_now", "record_now", "record_before")


def mark_pending_review(children: pl.LazyFrame, review: pl.LazyFrame) -> pl.LazyFrame:
    """``pending_review``: an MOE record that may be this child's waits in the review queue, so the child is
    possibly in school, awaiting an officer's decision (listed, but shown apart)."""
    waiting = review.select("citizen_id").unique().with_columns(pl.lit(True).alias("pending_review"))
    return children.join(waiting, on="citizen_id", how="left").with_columns(pl.col("pending_review").fill_null(False))


OUT_OF_SCHOOL_COLUMNS = [
    "province_code", "term", "citizen_id", "category", "amphoe_code", "tambon_code", "moo", "birth_year_be", "age",
    "age_band", "sex", "nationality_group", "central_register", "last_enrolled_term", "last_record_term",
]


def summary(classified: pl.DataFrame, cohort_frame: pl.DataFrame) -> dict[str, int]:
    """Counts per partition: target, in school, out of school by category, excluded by reason."""
    cats = classified.group_by("category").len()
    by = dict(zip(cats["category"].to_list(), cats["len"].to_list()))
    excluded = cohort_frame.filter(~pl.col("in_target")).group_by("excluded_reason").len()
    out = {
        "target_population": classified.height,
        "in_school": by.get("in_school", 0),
        "out_of_school": by.get("never_enrolled", 0) + by.get("dropped_out", 0),
        "never_enrolled": by.get("never_enrolled", 0),
        "dropped_out": by.get("dropped_out", 0),
        "central_register": int(classified["central_register"].sum()),
        "pending_review": int(classified["pending_review"].sum()) if "pending_review" in classified.columns else 0,
        "non_thai_out_of_school": classified.filter(
            (pl.col("category") != "in_school") & (pl.col("nationality_group") == "non_thai")).height,
    }
    for reason in EXCLUDED_STATUSES.values():
        row = excluded.filter(pl.col("excluded_reason") == reason)
        out[f"excluded_{reason}"] = int(row["len"][0]) if row.height else 0
    return out
