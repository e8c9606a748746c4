"""Scoring: Fellegi-Sunter match weights from comparison levels, with term-frequency adjusted names."""

from __future__ import annotations

import math

import polars as pl

from matching.model import LinkageModel

FIELDS = ("first_name", "last_name", "birth_date", "age", "sex", "id", "address")
TF_CAP = 4.0


def level_weight(field: str, weights: dict[str, float]) -> pl.Expr:
    mapping = {k.split(":", 1)[1]: v for k, v in weights.items() if k.startswith(field + ":")}
    return pl.col(f"{field}_level").replace_strict(mapping, default=0.0, return_dtype=pl.Float64)


def tf_adjustment(field: str) -> pl.Expr:
    """Exact agreement on a common name is weaker evidence than on a rare one.

    log2(average frequency of an agreeing name / this name's frequency), capped: zero on average.
    """
    return pl.when(pl.col(f"{field}_level") == "exact").then(_name_tf(field)).otherwise(0.0)


def _name_tf(field: str) -> pl.Expr:
    """log2(average frequency of a name / this person's name frequency), capped; 0 where the frequency is unknown."""
    freq, mean = pl.col(f"p_{field}_freq"), pl.col(f"p_{field}_mean_freq")
    return pl.when(freq.is_not_null()).then((mean / freq).log(2).clip(-TF_CAP, TF_CAP)).otherwise(0.0)


def prior_weight(model: LinkageModel) -> pl.Expr:
    """log2(lambda / people) of the record's group: a valid ID no one of the province holds
    (``r_valid_elsewhere``) has its own, far lower lambda."""
    p = model.log2_prior
    return pl.when(pl.col("r_valid_elsewhere").fill_null(False)).then(pl.lit(p["valid_elsewhere"])).otherwise(
        pl.lit(p["unusable_id"]))


def score(pairs: pl.LazyFrame, model: LinkageModel) -> pl.LazyFrame:
    present = [f for f in FIELDS if f"{f}_level" in pairs.collect_schema().names()]
    weights = [level_weight(f, model.weights).alias(f"{f}_weight") for f in present]
    pairs = pairs.with_columns(weights).with_columns(
        (pl.col("first_name_weight") + tf_adjustment("first_name")).alias("first_name_weight"),
        (pl.col("last_name_weight") + tf_adjustment("last_name")).alias("last_name_weight"),
    )
    total = pl.sum_horizontal(pl.col(f"{f}_weight") for f in present) + prior_weight(model)
    evidence = pl.struct(
        *[pl.col(f"{f}_level").alias(f) for f in present],
        *[pl.col(f"{f}_weight").round(2).alias(f"{f}_weight") for f in present],
        pl.col("blocked_by"),
    ).struct.json_encode()
    return pairs.with_columns(
        total.alias("match_weight"),
        (1.0 / (1.0 + (-total * math.log(2)).exp())).alias("match_probability"),
        evidence.alias("evidence"),
    )


NAME_FIELDS = ("first_name", "last_name")


def read_columns() -> set[str]:
    """The columns of a pair that ``score`` and ``weight_bound`` read besides its comparison levels."""
    exprs = [pl.col("r_valid_elsewhere"), pl.col("blocked_by"),
             *(e for f in NAME_FIELDS for e in (_name_tf(f), pl.col(f"r_{f}_norm"), pl.col(f"p_{f}_norm")))]
    return {name for e in exprs for name in e.meta.root_names()}


NAME_LEVELS = ("exact", "close", "fuzzy", "phonetic", "different")  # matching/comparisons.py: name_level


def weight_bound(pairs: pl.LazyFrame, model: LinkageModel) -> pl.Expr:
    """The highest match weight a pair can reach, from everything but the name similarities: every level that is
    cheap to compute (birth date, sex, ID, age, address) at its weight, and each name at its weight when the two
    names are equal (with its term frequency), else at the best weight any other level of that field has."""
    have = pairs.collect_schema().names()
    cheap = [level_weight(f, model.weights) for f in FIELDS if f not in NAME_FIELDS and f"{f}_level" in have]
    names = []
    for f in NAME_FIELDS:
        levels = {k.split(":", 1)[1]: v for k, v in model.weights.items() if k.startswith(f + ":")}
        # a level missing from the model weighs 0 in score()
        best_other = max(levels.get(lv, 0.0) for lv in NAME_LEVELS if lv != "exact")
        rec, per = pl.col(f"r_{f}_norm"), pl.col(f"p_{f}_norm")
        names.append(pl.when(rec.is_null() | per.is_null()).then(0.0).when(rec == per)
                     .then(levels.get("exact", 0.0) + _name_tf(f)).otherwise(best_other))
    return pl.sum_horizontal(*cheap, *names) + prior_weight(model)
