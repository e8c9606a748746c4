"""Small-count suppression, the one rule for every count that may leave the office.

A count of 1 to 4 children is never shown: summary tables hold NULL with ``suppressed`` true, the report
prints "<5". Zero stays zero (no one to protect). A cell that a published total minus the visible cells would
give away is suppressed too (``secondary``). Row-level tables that leave the office are k-anonymous
(``k_anonymous``).
"""

from __future__ import annotations

import polars as pl

SUPPRESS_UNDER = 5


def suppress(n: int | None) -> int | None:
    """A count as it may be shown: None when it is under the threshold."""
    return None if n is None or n < SUPPRESS_UNDER else int(n)


def hidden(count: pl.Expr) -> pl.Expr:
    """True where a count may not be shown: 1 to 4 (zero stays, no one to protect)."""
    return (count > 0) & (count < SUPPRESS_UNDER)


def counted(frame: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    """Rows of ``frame`` counted by ``dims``; counts under 5 become NULL with ``suppressed`` true."""
    n = pl.len().cast(pl.Int64)
    return frame.group_by(dims).agg(
        pl.when(n < SUPPRESS_UNDER).then(None).otherwise(n).alias("children"), (n < SUPPRESS_UNDER).alias("suppressed"),
    ).sort(dims, nulls_last=False)



def secondary(frame: pl.DataFrame, dims: list[str], fixed: tuple[str, ...] = ("province_code", "term")) -> pl.DataFrame:
    """Secondary suppression of a ``counted`` table: where a total is published, one suppressed cell among
    visible ones is its total minus the rest. Along every dimension (cells that differ in that one dimension
    only sum to a total), a group with exactly one suppressed cell gets its smallest visible cell suppressed
    too; repeated until no group has exactly one. Of equally small cells, the first in ``dims`` order: the same
    cells whatever order the rows came in."""
    free = [d for d in dims if d not in fixed]
    out = frame.sort(dims, nulls_last=False)
    for _ in range(2 * len(free) + 2):
        changed = False
        for d in free:
            group = [c for c in dims if c != d]
            n_suppressed = pl.col("suppressed").sum().over(group)
            lone = (n_suppressed == 1) & (pl.len().over(group) > 1)
            smallest = (pl.col("children").fill_null(2**62).rank("ordinal").over(group) == 1) & ~pl.col("suppressed")
            hit = lone & smallest
            if out.select(hit.any()).item():
                out = out.with_columns(pl.when(hit).then(None).otherwise(pl.col("children")).alias("children"),
                                       (pl.col("suppressed") | hit).alias("suppressed"))
                changed = True
        if not changed:
            break
    return out


K_ANONYMITY = 5
# the quasi-identifiers of a row-level table that leaves the office, and the order they are coarsened in:
# tambon (the amphoe stays), birth year and age (the age band stays), sex, nationality group, amphoe
QUASI_IDENTIFIERS = ["amphoe_code", "tambon_code", "birth_year_be", "sex", "nationality_group"]
COARSENING = [["tambon_code"], ["birth_year_be", "age"], ["sex"], ["nationality_group"], ["amphoe_code"]]


def k_anonymous(frame: pl.DataFrame, by: tuple[str, ...] = ("province_code", "term"), k: int = K_ANONYMITY
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows coarsened until every combination of quasi-identifiers is shared by at least ``k`` rows of its
    partition; rows still alone after every step are withheld. Returns (rows, how many rows per partition
    were coarsened at each step or withheld)."""
    key = [*by, *QUASI_IDENTIFIERS]
    out = frame.with_columns(pl.lit(0, pl.Int8).alias("_step"))
    for step, columns in enumerate(COARSENING, 1):
        small = pl.len().over(key) < k
        out = out.with_columns(*[pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in columns],
                               pl.when(small).then(pl.lit(step, pl.Int8)).otherwise(pl.col("_step")).alias("_step"))
    withheld = pl.len().over(key) < k
    out = out.with_columns(pl.when(withheld).then(pl.lit(len(COARSENING) + 1, pl.Int8)).otherwise(pl.col("_step")).alias("_step"))
    names = ["kept_as_is", *[f"coarsened_{'_'.join(c for c in cols if c != 'age')}" for cols in COARSENING], "withheld"]
    counts = out.group_by(*by).agg(*[(pl.col("_step") == i).sum().cast(pl.Int64).alias(n) for i, n in enumerate(names)]).sort(*by)
    return out.filter(~withheld).drop("_step"), counts


def smallest_group(frame: pl.DataFrame, by: tuple[str, ...] = ("province_code", "term")) -> int | None:
    """The size of the rarest quasi-identifier combination (None for no rows)."""
    if frame.height == 0:
        return None
    return frame.group_by(*by, *QUASI_IDENTIFIERS).len()["len"].min()
