"""Linkage settings: decision thresholds and the weights of each comparison level.

The weights below are *priors*: each partition's model is fitted on its own data
(``matching/model.py``: m from its exact-ID links, u from random pairs, lambda from
its valid IDs) and a level keeps its prior only in proportion to how few labelled
pairs showed it. The priors were calibrated once on the generator's truth at its
default noise; weights are log2(m/u) of a Fellegi-Sunter model, m = how often a
true match shows the level, u = how often a random pair does.
A province may override any of them in ``zero_dropout/config/matching.toml``
(or the file named by ``ZERO_DROPOUT_MATCHING``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "zero_dropout" / "config" / "matching.toml"


@dataclass(frozen=True)
class Settings:
    # decisions on the match probability of a candidate pair
    accept_probability: float = 0.99
    review_probability: float = 0.80
    # a record's best candidate must beat its second by this much weight, or it goes to review
    ambiguity_margin: float = 3.0
    # name similarity bands (Jaro-Winkler on normalised Thai characters)
    name_close: float = 0.92
    name_fuzzy: float = 0.80
    # an exact-ID link whose first name and birth date both disagree is held for review
    verify_exact_links: bool = True
    # learn m, u and the prior of each partition from its own data (matching/model.py); the weights below
    # are then priors, kept in proportion to how few labelled pairs a level was seen on
    fit_from_data: bool = True
    # weight of the prior, in labelled pairs (matching/model.py)
    prior_strength: float = 20.0
    # share of the records left after exact IDs that have their person among the province's people:
    # the prior of a candidate pair is log2(match_rate / number of people)
    match_rate: dict[str, float] = field(default_factory=lambda: dict(MATCH_RATE))
    weights: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_WEIGHTS.items()})


# Calibrated with benchmarks/calibrate_linkage.py on 2 provinces x 2 terms x 50,000 children (seed 42):
# m = share of true pairs at the level, u = share of random (record, person) pairs at the level (as
# Splink estimates u, so the weights do not depend on blocking). Levels that true pairs showed fewer
# than 20 times take m from the generator's noise rates. A sex disagreement is capped at -6 (real
# exports do get sex wrong; the generator never does). "known_parts_agree" (a registry date known only in
# part that agrees as far as known) was added later and not calibrated: about log2 of the number of days in
# a year over the parts unknown; each partition fits it.
MATCH_RATE = {"moe": 0.02, "survey": 0.9}
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "moe": {
        "first_name:exact": 9.0, "first_name:close": 7.84, "first_name:fuzzy": 0.58, "first_name:phonetic": -0.41,
        "first_name:different": -10.65,
        "last_name:exact": 10.9, "last_name:close": 8.84, "last_name:fuzzy": 1.05, "last_name:phonetic": 1.45,
        "last_name:different": -11.65,
        "birth_date:exact": 12.96, "birth_date:known_parts_agree": 6.0, "birth_date:day_month_swapped": 6.6,
        "birth_date:one_day_off": 4.07,
        "birth_date:same_year_month": 1.78, "birth_date:same_year": -1.64, "birth_date:different": -12.59,
        "sex:agree": 1.0, "sex:disagree": -6.0,
        "id:one_edit": 12.0,
    },
    "survey": {
        "first_name:exact": 9.04, "first_name:close": 8.47, "first_name:fuzzy": 2.68, "first_name:phonetic": -0.81,
        "first_name:different": -4.31,
        "last_name:exact": 10.88, "last_name:close": 10.35, "last_name:fuzzy": 2.68, "last_name:phonetic": 2.3,
        "last_name:different": -10.92,
        "birth_date:exact": 12.83, "birth_date:known_parts_agree": 6.0, "birth_date:day_month_swapped": 6.6,
        "birth_date:one_day_off": 4.0,
        "birth_date:same_year_month": 1.01, "birth_date:same_year": -2.81, "birth_date:different": -12.14,
        "age:exact": 4.46, "age:one_year": -2.0, "age:different": -10.07,
        "sex:agree": 1.0, "sex:disagree": -6.0,
        "id:one_edit": 12.0,
        "address:same_house": 15.26, "address:same_moo": 4.92, "address:same_tambon": -5.78, "address:different": -12.92,
        # not calibrated (the default noise has no address typos): a house number agreeing in another moo or
        # tambon of the same amphoe is a typo in the code far more often than chance; the model fits them
        "address:house_number_in_tambon": 6.0, "address:house_number_in_amphoe": 4.0,
    },
}


# The weights a source is scored with. Aid payments and justice records are about the province's own children,
# like a survey visit, with the same fields (ID often missing, names, birth date): they take the survey's profile.
PROFILES = {"moe": "moe", "survey": "survey", "aid": "survey", "justice": "survey"}


def profile(source: str) -> str:
    """The weight profile (``moe`` or ``survey``) of a source."""
    return PROFILES[source]


def _check_keys(p: Path, where: str, given: dict, known) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"{p}: unknown {where} {unknown}; known: {sorted(known)}")


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, overridden by the deployment's TOML file. Strict: an unknown key, source or comparison
    level is an error (a typo would otherwise be ignored silently), and so is a value of the wrong type."""
    p = Path(path or os.environ.get("ZERO_DROPOUT_MATCHING") or DEFAULT_PATH)
    if not p.exists():
        return Settings()
    raw = tomllib.loads(p.read_text(encoding="utf-8"))
    types = {f.name: f.type for f in fields(Settings)}
    known = set(types) - {"weights", "match_rate"}
    _check_keys(p, "matching settings", raw, set(types))
    for k in known & set(raw):
        expected = {"float": (int, float), "bool": (bool,)}[types[k]]
        if not isinstance(raw[k], expected) or (types[k] == "float" and isinstance(raw[k], bool)):
            raise ValueError(f"{p}: {k} must be a {types[k]}, not {raw[k]!r}")
    given_weights = raw.get("weights", {})
    _check_keys(p, "weight sources", given_weights, DEFAULT_WEIGHTS)
    for src, levels in given_weights.items():
        _check_keys(p, f"comparison levels of {src}", levels, DEFAULT_WEIGHTS[src])
    _check_keys(p, "match_rate sources", raw.get("match_rate", {}), MATCH_RATE)
    weights = {src: {**DEFAULT_WEIGHTS[src], **given_weights.get(src, {})} for src in DEFAULT_WEIGHTS}
    rates = {**MATCH_RATE, **raw.get("match_rate", {})}
    return replace(Settings(), **{k: v for k, v in raw.items() if k in known}, weights=weights, match_rate=rates)
