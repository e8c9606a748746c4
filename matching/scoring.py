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
    freq, mean = pl.col(f"p_{field}_freq"), pl.col(f"p_{field}_mean_freq")
    return (
        pl.when((pl.col(f"{field}_level") == "exact") & freq.is_not_null())
        .then((mean / freq).log(2).clip(-TF_CAP, TF_CAP))
        .otherwise(0.0)
    )


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
