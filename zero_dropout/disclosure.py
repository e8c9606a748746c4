"""Small-count suppression, the one rule for every count that may leave the office.

A count of 1 to 4 children is never shown: summary tables hold NULL with ``suppressed`` true, the report
prints "<5". Zero stays zero (no one to protect). The same threshold for Polars, SQL and the report.
"""

from __future__ import annotations

import polars as pl

SUPPRESS_UNDER = 5


def suppress(n: int | None) -> int | None:
    """A count as it may be shown: None when it is under the threshold."""
    return None if n is None or n < SUPPRESS_UNDER else int(n)


def counted(frame: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    """Rows of ``frame`` counted by ``dims``; counts under 5 become NULL with ``suppressed`` true."""
    n = pl.len().cast(pl.Int64)
    return frame.group_by(dims).agg(
        pl.when(n < SUPPRESS_UNDER).then(None).otherwise(n).alias("children"), (n < SUPPRESS_UNDER).alias("suppressed"),
    ).sort(dims, nulls_last=False)


def suppressed_count_sql(expr: str = "count(*)") -> str:
    """The SQL of a count that is NULL under the threshold."""
    return f"CASE WHEN {expr} < {SUPPRESS_UNDER} THEN NULL ELSE {expr} END"
