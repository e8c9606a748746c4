"""Comparisons: for each candidate pair, the agreement level of every field.

Name similarity is Jaro-Winkler from rapidfuzz on normalised Thai text,
computed per character (DuckDB's string functions count UTF-8 bytes, which is
wrong for Thai), for all pairs at once with ``rapidfuzz.process.cpdist``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from matching.settings import Settings
from zero_dropout import thai_id


EDITS_READ = 2  # name_level: a few edits (at most this many) make a fuzzy name


def name_scores(left: pl.Series, right: pl.Series,
                texts: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[pl.Series, pl.Series]:
    """Jaro-Winkler similarity and Levenshtein distance per Thai character of two equal-length string columns
    (null where either is null), from one conversion of the columns (it costs as much as each score); ``texts``:
    the columns already converted (``python_strings``), as pairs gathered from small frames can give them.

    Jaro-Winkler misses a dropped first letter ("ชญา" / "ธัชญา" score 0): its matching window is too
    narrow for a shift at the start of a short name. Two edits or fewer catch it. A distance above
    ``EDITS_READ`` is given as ``EDITS_READ + 1``."""
    both = left.is_not_null() & right.is_not_null()
    a, b = texts if texts is not None else (python_strings(left), python_strings(right))
    sim = pl.Series(process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1), dtype=pl.Float32)
    # counted up to EDITS_READ + 1: only "at most EDITS_READ" is ever asked, and a bounded count is cheaper
    edits = pl.Series(process.cpdist(a, b, scorer=Levenshtein.distance, score_cutoff=EDITS_READ, workers=-1),
                      dtype=pl.Int32)
    if (~both).any():
        sim, edits = sim.set(~both, None), edits.set(~both, None)
    return sim, edits


def python_strings(col: pl.Series) -> np.ndarray:
    """The column as Python strings (null as ""), each distinct value converted once: names repeat, and turning
    every row into a new Python string costs as much as comparing it."""
    cat = col.fill_null("").cast(pl.Categorical)
    distinct = cat.unique()
    table = np.empty(int(distinct.to_physical().max() or 0) + 1, dtype=object)
    table[distinct.to_physical().to_numpy()] = distinct.cast(pl.String).to_list()
    return table[cat.to_physical().to_numpy()]


def name_level(field: str, s: Settings) -> pl.Expr:
    sim, rec, per = pl.col(f"{field}_sim"), pl.col(f"r_{field}_norm"), pl.col(f"p_{field}_norm")
    phon = pl.col(f"r_{field}_phonetic") == pl.col(f"p_{field}_phonetic")
    few_edits = (pl.col(f"{field}_edits") <= EDITS_READ) & (pl.min_horizontal(rec.str.len_chars(), per.str.len_chars()) >= 3)
    return (
        pl.when(rec.is_null() | per.is_null()).then(None)
        .when(rec == per).then(pl.lit("exact"))
        .when(sim >= s.name_close).then(pl.lit("close"))
        .when((sim >= s.name_fuzzy) | few_edits.fill_null(False)).then(pl.lit("fuzzy"))
        .when(phon.fill_null(False)).then(pl.lit("phonetic"))
        .otherwise(pl.lit("different"))
    )


def birth_level() -> pl.Expr:
    """Birth dates; a registry date known only in part (day or month 00, or a year alone) that agrees as far
    as it is known is its own level (``known_parts_agree``), not a slip."""
    r, p = pl.col("r_birth_full_date"), pl.col("p_birth_full_date")
    ry, py = pl.col("r_birth_year_be"), pl.col("p_birth_year_be")
    rm, pm = pl.col("r_birth_month"), pl.col("p_birth_month")
    rd, pd = pl.col("r_birth_day"), pl.col("p_birth_day")
    partial = p.is_null() & (ry == py) & (pm.is_null() | (rm == pm)) & (pd.is_null() | (rd == pd))
    return (
        pl.when(ry.is_null() | py.is_null()).then(None)
        .when(r.is_not_null() & (r == p)).then(pl.lit("exact"))
        .when(partial.fill_null(False)).then(pl.lit("known_parts_agree"))
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
    """An ID one typo away from the person's, whether its check digit failed (found by blocking) or the typo
    made another valid ID. A valid ID of somebody else is no level: the record's group (a valid ID held
    elsewhere) has its own prior (matching/model.py), which already says it."""
    near = pl.col("id_one_edit") | thai_id.one_typo_apart_expr("r_id_raw", "citizen_id").fill_null(False)
    return pl.when(near).then(pl.lit("one_edit")).otherwise(None)


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
