"""Comparisons: for each candidate pair, the agreement level of every field.

Name similarity is Jaro-Winkler from rapidfuzz on normalised Thai text,
computed per character (DuckDB's string functions count UTF-8 bytes, which is
wrong for Thai), for all pairs at once with ``rapidfuzz.process.cpdist``.
"""

from __future__ import annotations

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from matching.settings import Settings


def name_similarity(left: pl.Series, right: pl.Series) -> pl.Series:
    """Jaro-Winkler similarity of two equal-length string columns (null where either is null)."""
    both = left.is_not_null() & right.is_not_null()
    a = left.fill_null("").to_list()
    b = right.fill_null("").to_list()
    scores = process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1)
    return pl.Series(scores, dtype=pl.Float32).set(~both, None) if (~both).any() else pl.Series(scores, dtype=pl.Float32)


def name_level(field: str, s: Settings) -> pl.Expr:
    sim, rec, per = pl.col(f"{field}_sim"), pl.col(f"r_{field}_norm"), pl.col(f"p_{field}_norm")
    phon = pl.col(f"r_{field}_phonetic") == pl.col(f"p_{field}_phonetic")
    return (
        pl.when(rec.is_null() | per.is_null()).then(None)
        .when(rec == per).then(pl.lit("exact"))
        .when(sim >= s.name_close).then(pl.lit("close"))
        .when(sim >= s.name_fuzzy).then(pl.lit("fuzzy"))
        .when(phon.fill_null(False)).then(pl.lit("phonetic"))
        .otherwise(pl.lit("different"))
    )


def birth_level() -> pl.Expr:
    r, p = pl.col("r_birth_full_date"), pl.col("p_birth_full_date")
    ry, py = pl.col("r_birth_year_be"), pl.col("p_birth_year_be")
    rm, pm = pl.col("r_birth_month"), pl.col("p_birth_month")
    return (
        pl.when(ry.is_null() | py.is_null()).then(None)
        .when(r.is_not_null() & (r == p)).then(pl.lit("exact"))
        .when(r.is_not_null() & (pl.col("r_birth_swapped") == p)).then(pl.lit("day_month_swapped"))
        .when(r.is_not_null() & p.is_not_null() & ((r - p).abs() == pl.duration(days=1))).then(pl.lit("one_day_off"))
        .when((ry == py) & (rm == pm)).then(pl.lit("same_year_month"))
        .when(ry == py).then(pl.lit("same_year"))
        .otherwise(pl.lit("different"))
    )


def age_level(term_year_be: int) -> pl.Expr:
    """Surveys: the age written down against the person's age during the term's year."""
    age, person_age = pl.col("r_age"), pl.lit(term_year_be) - pl.col("p_birth_year_be")
    return (
        pl.when(age.is_null() | pl.col("r_birth_year_be").is_not_null()).then(None)
        .when(age == person_age).then(pl.lit("exact"))
        .when((age - person_age).abs() == 1).then(pl.lit("one_year"))
        .otherwise(pl.lit("different"))
    )


def sex_level() -> pl.Expr:
    r, p = pl.col("r_sex"), pl.col("p_sex")
    return pl.when(r.is_null() | p.is_null()).then(None).when(r == p).then(pl.lit("agree")).otherwise(pl.lit("disagree"))


def id_level() -> pl.Expr:
    """An ID one typo away from the person's. A valid ID of somebody else is no level: the record's group
    (a valid ID held elsewhere) has its own prior (matching/model.py), which already says it."""
    return pl.when(pl.col("id_one_edit")).then(pl.lit("one_edit")).otherwise(None)


def address_level() -> pl.Expr:
    """Where the visit was against where the person is registered. A house number that agrees inside the
    tambon (another moo) or the amphoe (another tambon, or a tambon code that names no tambon) is what a
    digit typed wrong in the address code leaves."""
    rt, pt = pl.col("r_tambon_code"), pl.col("p_tambon_code")
    ra, pa = pl.col("r_amphoe_code"), pl.col("p_amphoe_code")
    same_house_no = (pl.col("r_house_no") == pl.col("p_house_no")).fill_null(False)
    same_moo = (rt == pt) & (pl.col("r_moo") == pl.col("p_moo"))
    return (
        pl.when(ra.is_null() | pa.is_null()).then(None)
        .when(same_moo & same_house_no).then(pl.lit("same_house"))
        .when(same_moo).then(pl.lit("same_moo"))
        .when((rt == pt) & same_house_no).then(pl.lit("house_number_in_tambon"))
        .when(rt == pt).then(pl.lit("same_tambon"))
        .when((ra == pa) & same_house_no).then(pl.lit("house_number_in_amphoe"))
        .when((ra == pa) & rt.is_null()).then(None)  # tambon unknown: no evidence either way
        .otherwise(pl.lit("different"))
    )
