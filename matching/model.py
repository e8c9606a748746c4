"""The linkage model of one partition, learnt from the partition's own data.

A Fellegi-Sunter weight is log2(m/u) of a comparison level:
- **m** (how often a true pair shows the level) is estimated on the partition's exact-ID links: a
  valid ID found in the registry labels the pair for free. For one field, only links whose *other*
  name and birth-date fields agree are counted, so that a valid ID typed for somebody else does not
  teach the model that names disagree.
- **u** (how often a random pair shows it) is estimated on random (record, person) pairs of the
  same partition, as Splink does, so the weights do not depend on the blocking rules: the sampled
  records paired with people drawn at random.
- The calibrated defaults of ``matching/settings.py`` are the priors, as a Dirichlet prior on m:
  ``m = (n_level + k * m0) / (n + k)`` with ``m0 = u * 2^prior_weight`` (the m the prior weight implies
  at this partition's u) and ``k = prior_strength``. A partition with few exact links links as before;
  one with many follows its own data. A level no labelled pair showed keeps its prior weight (its
  absence bounds m by about 1/n, which says little when u is as small). The prior of a disagreement
  level (one most random pairs show) is at least log2(M_FLOOR / u): whatever a generator or an earlier
  province showed, a real export gets any field wrong now and then, so no disagreement is taken as
  impossible for a true pair.
- The prior odds of a candidate pair, log2(lambda / people), take lambda (the share of records whose
  person is in the province) from the records with a valid ID: how many of them are the province's.
  A national MOE record whose *valid* ID no one of the province holds is another province's child
  unless a typo turned a province child's ID into another valid number; its lambda is that chance:
  (records with a failed check digit) x VALID_TYPO_RATIO x lambda / (valid IDs held elsewhere).
  VALID_TYPO_RATIO is a property of the check digit (a one-digit typo passes it about one time in
  ten), not of any data set.

The fitted model is a small table (one row per level) with a fingerprint that every link carries.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from matching.settings import Settings, profile
from zero_dropout.tables import LINKAGE_MODEL

# levels that agree (a pair showing one of these on a field is "anchored" by that field)
AGREEING = {
    "first_name": ("exact", "close"),
    "last_name": ("exact", "close"),
    "birth_date": ("exact", "known_parts_agree", "day_month_swapped", "one_day_off"),
}
# fields whose m is learnt from exact-ID links (an exact-ID pair says nothing about the ID comparison)
LEARNT = ("first_name", "last_name", "birth_date", "age", "sex", "address")
M_SAMPLE = 20_000  # labelled pairs at most
U_SAMPLE = 60_000  # random pairs
SMOOTHING = 0.5  # pseudo-count per level (u)
M_FLOOR = 0.01  # no disagreement is rarer than this among true pairs, a priori
CATCH_ALL_U = 0.1  # a level that this share of random pairs shows is a disagreement level
MIN_LAMBDA_RECORDS = 50  # records with a valid ID needed to estimate lambda
VALID_TYPO_RATIO = 1 / 9  # typos that still pass the check digit, per typo that fails it
# record groups with their own prior: no usable ID (or a valid ID that names the wrong person), and a
# valid ID that no one of the province holds
GROUPS = ("unusable_id", "valid_elsewhere")
MODEL_SCHEMA = LINKAGE_MODEL.schema


@dataclass(frozen=True)
class LinkageModel:
    """Weights in use for one source and partition, and how they were reached."""

    source: str
    weights: dict[str, float]  # "field:level" -> weight used in scoring
    log2_prior: dict[str, float]  # record group -> log2(lambda / people)
    table: pl.DataFrame  # MODEL_SCHEMA, one row per parameter
    fingerprint: str

    @classmethod
    def from_settings(cls, s: Settings, source: str, n_people: int) -> "LinkageModel":
        """The priors alone: what a partition without labelled pairs (or with fitting turned off) uses."""
        rate = s.match_rate[profile(source)]
        return _assemble(source, dict(s.weights[profile(source)]), {}, {}, {}, {}, s, {g: (rate, None) for g in GROUPS}, n_people)

    def metadata_rows(self) -> pl.DataFrame:
        return self.table.select("parameter", "m_pairs", pl.col("m").round(4), pl.col("u").round(5),
                                 pl.col("prior_weight").round(2), pl.col("weight").round(2))


def _level_counts(frame: pl.DataFrame, fields: list[str], counted: dict[str, pl.Expr] | None = None
                  ) -> dict[str, dict[str, int]]:
    """How many rows of ``frame`` show each level of each field (``<field>_level``), in one query (a query a
    field cost a small partition's model more than its counting); ``counted``: per field, the rows that count."""
    if not fields:
        return {}
    levels = [(pl.col(f"{f}_level") if counted is None else pl.when(counted[f]).then(pl.col(f"{f}_level")))
              .cast(pl.String).alias(f) for f in fields]
    long = (frame.lazy().select(levels).unpivot(variable_name="field", value_name="level").drop_nulls("level")
            .group_by("field", "level").len().collect())
    out: dict[str, dict[str, int]] = {f: {} for f in fields}
    for field, level, n in long.iter_rows():
        out[field][level] = n
    return out


def anchored(field: str) -> pl.Expr:
    """A labelled pair is trusted for ``field`` when the other core fields it has agree."""
    others = [f for f in AGREEING if f != field]
    conds = [pl.col(f"{f}_level").is_null() | pl.col(f"{f}_level").is_in(AGREEING[f]) for f in others]
    present = pl.sum_horizontal([pl.col(f"{f}_level").is_not_null().cast(pl.Int8) for f in others])
    return pl.all_horizontal(conds) & (present >= 1)


def _assemble(source: str, priors: dict[str, float], m_counts: dict[str, dict[str, int]], m_totals: dict[str, int],
              u_counts: dict[str, dict[str, int]], u_totals: dict[str, int], s: Settings,
              lambdas: dict[str, tuple[float, int | None]], n_people: int) -> "LinkageModel":
    rows, weights = [], {}
    for key, prior in priors.items():
        field, level = key.split(":", 1)
        levels = [k.split(":", 1)[1] for k in priors if k.startswith(field + ":")]
        cm, nm = m_counts.get(field, {}).get(level, 0), m_totals.get(field, 0)
        cu, nu = u_counts.get(field, {}).get(level, 0), u_totals.get(field, 0)
        if nm and nu:
            u = (cu + SMOOTHING) / (nu + SMOOTHING * len(levels))
            fitted = math.log2(max(cm, SMOOTHING) / nm / u)
            # a disagreement level: never taken as impossible for a true pair
            floored = max(prior, math.log2(M_FLOOR / u)) if u >= CATCH_ALL_U else prior
            m0 = min(u * 2.0 ** floored, 1.0)
            m = (cm + s.prior_strength * m0) / (nm + s.prior_strength)
            # a level no labelled pair showed keeps its prior: absence among n pairs bounds m by about 1/n,
            # which says little when u is as small
            weight = math.log2(m / u) if cm else floored
        else:
            m = u = fitted = None
            weight = prior
        weights[key] = weight
        rows.append({"source": source, "parameter": key, "m": m, "u": u, "m_pairs": cm, "u_pairs": cu,
                     "fitted_weight": fitted, "prior_weight": prior, "weight": weight})
    log2_prior = {}
    for group, (lam, lam_from) in lambdas.items():
        log2_prior[group] = math.log2(lam) - math.log2(max(n_people, 1))
        rows.append({"source": source, "parameter": f"lambda:{group}", "m": lam, "u": None, "m_pairs": lam_from or 0,
                     "u_pairs": n_people, "fitted_weight": None,
                     "prior_weight": math.log2(s.match_rate[profile(source)]) - math.log2(max(n_people, 1)), "weight": log2_prior[group]})
    table = pl.DataFrame(rows, schema={k: v for k, v in MODEL_SCHEMA.items() if k != "fingerprint"}, orient="row")
    text = json.dumps({"source": source, "weights": {k: round(v, 6) for k, v in weights.items()},
                       "prior": {k: round(v, 6) for k, v in log2_prior.items()}}, sort_keys=True)
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
    return LinkageModel(source, weights, log2_prior, table.with_columns(pl.lit(fingerprint).alias("fingerprint")), fingerprint)


def sample_rows(frame: pl.DataFrame, n: int, seed: int = 0) -> pl.DataFrame:
    return frame if frame.height <= n else frame.sample(n, seed=seed)


def random_pairs(n_records: int, n_people: int, n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` random (record, person) pairs as row numbers (``record_row`` of the records, ``person_rank`` of the
    people in citizen_id order), each distinct pair once, in the order drawn; reproducible for the same sizes."""
    rng = np.random.default_rng(seed)
    if n_records == 0 or n_people == 0:
        return pl.DataFrame(schema={"record_row": pl.Int64, "person_rank": pl.Int64})
    record, person = rng.integers(0, n_records, n), rng.integers(0, n_people, n)
    # a pair drawn again is dropped: its first draw kept, by one number per pair (a third of the time of a
    # unique over the two columns)
    first = pl.Series(record * n_people + person).is_first_distinct().to_numpy()
    return pl.DataFrame({"record_row": record[first], "person_rank": person[first]})


@dataclass(frozen=True)
class IdCounts:
    """What the partition's IDs say about lambda."""

    valid: int  # records with a valid ID
    linked: int  # of which the ID is a person's of the province
    failed_check_digit: int  # records whose 13 digits fail the check digit


def lambdas(source: str, s: Settings, ids: IdCounts) -> dict[str, tuple[float, int | None]]:
    """Share of records whose person is in the province, per record group, with the count it came from."""
    if ids.valid < MIN_LAMBDA_RECORDS:
        return {g: (s.match_rate[profile(source)], None) for g in GROUPS}
    lam = min(max(ids.linked / ids.valid, 1e-5), 0.99)
    if profile(source) == "survey":  # a survey (aid, justice) visits the province's children: a valid ID held elsewhere is a typo too
        return {g: (lam, ids.valid) for g in GROUPS}
    elsewhere = max(ids.valid - ids.linked, 1)
    lam_elsewhere = min(max(ids.failed_check_digit * VALID_TYPO_RATIO * lam / elsewhere, 1e-6), lam)
    return {"unusable_id": (lam, ids.valid), "valid_elsewhere": (lam_elsewhere, elsewhere)}


def fit(source: str, s: Settings, labelled: pl.DataFrame, random: pl.DataFrame, *, n_people: int,
        ids: IdCounts) -> LinkageModel:
    """Fit the model from compared labelled pairs (exact-ID links) and compared random pairs.

    Both frames hold ``<field>_level`` columns as the linker's comparison step writes them.
    """
    priors = dict(s.weights[profile(source)])
    m_totals, u_totals = {}, {}
    learnt = [f for f in LEARNT if f"{f}_level" in labelled.columns]
    # m from the labelled pairs each field is anchored in (the other fields agree), u from every random pair
    m_counts = _level_counts(labelled, learnt, {f: anchored(f) for f in learnt})
    u_counts = _level_counts(random, [f for f in learnt if f"{f}_level" in random.columns])
    for field in learnt:
        u_counts.setdefault(field, {})
        m_totals[field], u_totals[field] = sum(m_counts[field].values()), sum(u_counts[field].values())
    return _assemble(source, priors, m_counts, m_totals, u_counts, u_totals, s, lambdas(source, s, ids), n_people)
