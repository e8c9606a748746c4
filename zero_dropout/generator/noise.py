"""The noise model: the errors that real MOE and survey exports carry, as Polars expressions.

Every function takes a frame, a random generator and a rate, and returns the
frame with the column changed on a random subset of rows plus a flag column
naming what was done, so truth can say which records are clean.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zero_dropout.thai_text import ARABIC_DIGITS, THAI_DIGITS, TONE_MARKS

# Thai letters that people confuse when they type or hear a name
CONFUSABLE = [("ศ", "ส"), ("ษ", "ส"), ("ณ", "น"), ("ร", "ล"), ("ธ", "ท"), ("ภ", "พ"), ("ฎ", "ด"), ("ญ", "ย"),
              ("ฑ", "ท"), ("ข", "ค"), ("ซ", "ส"), ("ฐ", "ถ"), ("ั", "ะ"), ("์", ""), ("ี", "ิ"), ("ู", "ุ")]


def _mask(rng: np.random.Generator, n: int, rate: float) -> pl.Series:
    return pl.Series(rng.random(n) < rate)


def mistype_ids(frame: pl.DataFrame, rng: np.random.Generator, col: str, rates: dict[str, float], flag: str) -> pl.DataFrame:
    """Apply ID errors: 'substitution', 'transposition', 'blank', 'excel' (mutually exclusive per row)."""
    n = frame.height
    kinds = list(rates)
    p = np.array([rates[k] for k in kinds] + [max(0.0, 1 - sum(rates.values()))])
    kind = rng.choice(np.array(kinds + ["none"]), size=n, p=p)
    pos = rng.integers(0, 13, n)
    tpos = rng.integers(0, 12, n)
    bump = rng.integers(1, 10, n)
    c = pl.col(col)
    digit_at = c.str.slice(pl.col("__pos"), 1).cast(pl.Int32, strict=False)
    substituted = pl.concat_str(
        c.str.slice(0, pl.col("__pos")),
        ((digit_at + pl.col("__bump")) % 10).cast(pl.String),
        c.str.slice(pl.col("__pos") + 1),
    )
    transposed = pl.concat_str(
        c.str.slice(0, pl.col("__tpos")),
        c.str.slice(pl.col("__tpos") + 1, 1),
        c.str.slice(pl.col("__tpos"), 1),
        c.str.slice(pl.col("__tpos") + 2),
    )
    excel = pl.format("{}.{}E+12", c.str.slice(0, 1), c.str.slice(1, 5))
    gcode = c.str.starts_with("G")
    new = (
        pl.when(gcode).then(c)
        .when(pl.col("__kind") == "substitution").then(substituted)
        .when(pl.col("__kind") == "transposition").then(transposed)
        .when(pl.col("__kind") == "blank").then(pl.lit(None, pl.String))
        .when((pl.col("__kind") == "excel") & ~c.str.starts_with("0")).then(excel)
        .otherwise(c)
    )
    return (
        frame.with_columns(pl.Series("__kind", kind), pl.Series("__pos", pos), pl.Series("__tpos", tpos),
                           pl.Series("__bump", bump))
        .with_columns(new.alias("__new"))
        .with_columns(
            pl.when(pl.col("__new").eq_missing(c)).then(pl.lit("none")).otherwise(pl.col("__kind")).alias(flag),
            pl.col("__new").alias(col),
        )
        .drop("__kind", "__pos", "__tpos", "__bump", "__new")
    )


def misspell(frame: pl.DataFrame, rng: np.random.Generator, col: str, rate: float, flag: str) -> pl.DataFrame:
    """Misspell a name: a confusable letter swapped, a tone mark lost, or one character dropped."""
    n = frame.height
    hit = rng.random(n) < rate
    pair = rng.integers(0, len(CONFUSABLE), n)
    c = pl.col(col)
    swapped = c
    for i, (a, b) in enumerate(CONFUSABLE):
        swapped = pl.when(pl.col("__pair") == i).then(c.str.replace(a, b, literal=True, n=1)).otherwise(swapped)
    no_tone = c.str.replace_all(f"[{TONE_MARKS}]", "")
    pos = (pl.col("__u") * c.str.len_chars().cast(pl.Float64)).floor().cast(pl.Int64)
    dropped = pl.concat_str(c.str.slice(0, pos), c.str.slice(pos + 1))
    step1 = pl.when(swapped != c).then(swapped).when(no_tone != c).then(no_tone).otherwise(dropped)
    return (
        frame.with_columns(pl.Series("__hit", hit), pl.Series("__pair", pair), pl.Series("__u", rng.random(n)))
        .with_columns(pl.when(pl.col("__hit") & (c.str.len_chars() > 2)).then(step1).otherwise(c).alias("__new"))
        .with_columns((pl.col("__new") != c).fill_null(False).alias(flag), pl.col("__new").alias(col))
        .drop("__hit", "__pair", "__u", "__new")
    )


def thai_digits(frame: pl.DataFrame, rng: np.random.Generator, cols: list[str], rate: float) -> pl.DataFrame:
    """Write the digits of some rows in Thai numerals (harmless to a reader that knows them)."""
    hit = pl.Series(rng.random(frame.height) < rate)
    return frame.with_columns(
        pl.when(hit).then(pl.col(c).str.replace_many(list(ARABIC_DIGITS), list(THAI_DIGITS))).otherwise(pl.col(c)).alias(c)
        for c in cols
    )


def birth_date_slips(frame: pl.DataFrame, rng: np.random.Generator, col: str, swap: float, off: float, flag: str) -> pl.DataFrame:
    """Day and month swapped (when the result is a real date) or one day off; a Date column in and out."""
    n = frame.height
    r = rng.random(n)
    kind = np.where(r < swap, "day_month_swap", np.where(r < swap + off, "one_day_off", "none"))
    sign = rng.choice(np.array([-1, 1]), n)
    d = pl.col(col)
    swapped = pl.format(
        "{}-{}-{}", d.dt.year(), d.dt.day().cast(pl.String).str.zfill(2), d.dt.month().cast(pl.String).str.zfill(2)
    ).str.to_date("%Y-%m-%d", strict=False)
    new = (
        pl.when((pl.col("__k") == "day_month_swap") & (d.dt.day() <= 12) & (d.dt.day() != d.dt.month())).then(swapped)
        .when(pl.col("__k") == "one_day_off").then(d + pl.duration(days=pl.col("__s")))
        .otherwise(d)
    )
    return (
        frame.with_columns(pl.Series("__k", kind), pl.Series("__s", sign))
        .with_columns(new.alias("__new"))
        .with_columns(pl.when(pl.col("__new") == d).then(pl.lit("none")).otherwise(pl.col("__k")).alias(flag),
                      pl.col("__new").alias(col))
        .drop("__k", "__s", "__new")
    )
