"""Matching features of people and records: normalised names, phonetic keys, birth-date variants.

Phonetic keys use pythainlp's lk82 (Lorchirachoonkul 1982) on each distinct name, joined back.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from zero_dropout.thai_nlp import lk82
from zero_dropout.thai_text import per_distinct


@lru_cache(maxsize=500_000)
def phonetic(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return lk82(name) or None
    except (IndexError, KeyError, ValueError):  # names with no Thai letter
        return None


def _phonetic_keys(names: pl.Series) -> pl.Series:
    return names.map_elements(phonetic, return_dtype=pl.String)


def with_features(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add phonetic keys and birth-date variants used by blocking and comparisons.

    Expects first_name_norm, last_name_norm, birth_year_be, birth_month, birth_day, birth_full_date.
    """
    frame = per_distinct(frame, "first_name_norm", "first_name_phonetic", _phonetic_keys)
    frame = per_distinct(frame, "last_name_norm", "last_name_phonetic", _phonetic_keys)
    d = pl.col("birth_full_date")
    swapped = pl.format("{}-{}-{}", d.dt.year(), d.dt.day().cast(pl.String).str.zfill(2),
                        d.dt.month().cast(pl.String).str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)
    return frame.with_columns(
        pl.when(d.dt.day() != d.dt.month()).then(swapped).alias("birth_swapped"),
        (d + pl.duration(days=1)).alias("birth_next_day"),
        (d - pl.duration(days=1)).alias("birth_prev_day"),
    )
