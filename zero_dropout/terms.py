"""Term and date rules: Buddhist era, academic terms, cohort years, date parsing.

- Buddhist era (BE) = CE + 543.
- Academic year Y (BE) runs 16 May (Y-543) to 15 May of the next year;
  semester 1 about 16 May - mid October, semester 2 about 1 November - 1 April.
- MOE snapshots: 10 June (semester 1) and 10 November (semester 2).
- A term is written ``YYYY-S`` (``2567-1``) and shown to people as ``S/YYYY``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

BE_OFFSET = 543
TERM_RE = re.compile(r"^(?P<year>25[0-9]{2})-(?P<sem>[12])$")
# A year above this is Buddhist era, below it Common era (BE 2443 = CE 1900).
BE_CE_SPLIT = 2400
COHORT_MIN_AGE = 3
COHORT_MAX_AGE = 17  # birth year Y-17 .. Y-3 inclusive: ages 3-18 during the year


@dataclass(frozen=True, order=True)
class Term:
    year_be: int
    semester: int

    @classmethod
    def parse(cls, text: str) -> "Term":
        m = TERM_RE.match(text.strip())
        if not m:
            raise ValueError(f"term {text!r} is not of the form YYYY-S in Buddhist era, e.g. 2567-1")
        return cls(int(m["year"]), int(m["sem"]))

    def __str__(self) -> str:
        return f"{self.year_be}-{self.semester}"

    @property
    def display(self) -> str:
        return f"{self.semester}/{self.year_be}"

    @property
    def year_ce(self) -> int:
        return self.year_be - BE_OFFSET

    @property
    def snapshot_date(self) -> dt.date:
        """Date of the MOE enrolment snapshot for the term (CE)."""
        if self.semester == 1:
            return dt.date(self.year_ce, 6, 10)
        return dt.date(self.year_ce, 11, 10)

    @property
    def cohort_birth_years_be(self) -> tuple[int, int]:
        """Inclusive BE birth-year range of the Zero Dropout cohort (ages 3-18)."""
        return (self.year_be - COHORT_MAX_AGE, self.year_be - COHORT_MIN_AGE)

    def previous(self) -> "Term":
        return Term(self.year_be, 1) if self.semester == 2 else Term(self.year_be - 1, 2)

    def next(self) -> "Term":
        return Term(self.year_be, 2) if self.semester == 1 else Term(self.year_be + 1, 1)


def display_expr(term: pl.Expr) -> pl.Expr:
    """Term text "2567-1" as it is shown to people: "1/2567"."""
    return pl.concat_str(term.str.slice(5, 1), pl.lit("/"), term.str.slice(0, 4))


def is_term(text: str) -> bool:
    return bool(TERM_RE.match(text))


def term_range(first: Term, last: Term) -> list[Term]:
    out, t = [], first
    while t <= last:
        out.append(t)
        t = t.next()
    return out


def current_term(today: dt.date) -> Term:
    """Academic term in force on a given (CE) date; the gap between semesters counts as the one before."""
    year_be = today.year + BE_OFFSET
    start = dt.date(today.year, 5, 16)
    if today < start:
        # January - mid May: semester 2 of the academic year that started last May
        return Term(year_be - 1, 2)
    if today < dt.date(today.year, 11, 1):
        return Term(year_be, 1)
    return Term(year_be, 2)


def to_be_year(year: pl.Expr) -> pl.Expr:
    """A 4-digit year to Buddhist era: years above 2400 are already BE, others are CE."""
    return pl.when(year > BE_CE_SPLIT).then(year).otherwise(year + BE_OFFSET)


_DATE_FORMS = (
    # (regex, order of the groups)
    (r"^(\d{4})(\d{2})(\d{2})$", ("y", "m", "d")),  # YYYYMMDD (BE in DOPA extracts)
    (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", ("d", "m", "y")),  # DD/MM/YYYY
    (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", ("y", "m", "d")),  # YYYY-MM-DD
    (r"^(\d{1,2})-(\d{1,2})-(\d{4})$", ("d", "m", "y")),  # DD-MM-YYYY
    (r"^(\d{4})$", ("y",)),  # year only
)


def with_partial_date(frame: pl.LazyFrame, col: str, prefix: str) -> pl.LazyFrame:
    """Parse a free-form date column into partial-date parts.

    Adds ``{prefix}_year_be``, ``{prefix}_month``, ``{prefix}_day`` (month and
    day null when written as 00 or absent: unknown, never invented),
    ``{prefix}_full_date`` (a Date when all three parts are known and form a real
    date), ``{prefix}_unparsed`` (text present but no known form) and
    ``{prefix}_impossible`` (all parts present but no such day, e.g. 31/02).
    Years above 2400 are read as BE, others as CE, whatever the file claims.
    """
    text = pl.col(col).str.strip_chars()
    ys, ms, ds = [], [], []
    for pattern, order in _DATE_FORMS:
        groups = text.str.extract_groups(pattern)
        for i, key in enumerate(order):
            part = groups.struct[i].cast(pl.Int32, strict=False)
            {"y": ys, "m": ms, "d": ds}[key].append(part)
    tmp_y, tmp_m, tmp_d = f"__{prefix}_y", f"__{prefix}_m", f"__{prefix}_d"
    frame = frame.with_columns(
        pl.coalesce(ys).alias(tmp_y), pl.coalesce(ms).alias(tmp_m), pl.coalesce(ds).alias(tmp_d)
    )
    year_be = to_be_year(pl.col(tmp_y))
    month = pl.when(pl.col(tmp_m) == 0).then(None).otherwise(pl.col(tmp_m))
    day = pl.when(pl.col(tmp_d) == 0).then(None).otherwise(pl.col(tmp_d))
    frame = frame.with_columns(
        year_be.alias(f"{prefix}_year_be"), month.alias(f"{prefix}_month"), day.alias(f"{prefix}_day")
    )
    full_text = pl.format(
        "{}-{}-{}",
        (pl.col(f"{prefix}_year_be") - BE_OFFSET).cast(pl.String).str.zfill(4),
        pl.col(f"{prefix}_month").cast(pl.String).str.zfill(2),
        pl.col(f"{prefix}_day").cast(pl.String).str.zfill(2),
    )
    frame = frame.with_columns(full_text.str.to_date("%Y-%m-%d", strict=False).alias(f"{prefix}_full_date"))
    all_parts = (
        pl.col(f"{prefix}_year_be").is_not_null()
        & pl.col(f"{prefix}_month").is_not_null()
        & pl.col(f"{prefix}_day").is_not_null()
    )
    return frame.with_columns(
        (text.is_not_null() & (text != "") & pl.col(tmp_y).is_null()).alias(f"{prefix}_unparsed"),
        (
            (all_parts & pl.col(f"{prefix}_full_date").is_null())
            | (pl.col(f"{prefix}_month") > 12).fill_null(False)
            | (pl.col(f"{prefix}_day") > 31).fill_null(False)
        ).alias(f"{prefix}_impossible"),
    ).drop(tmp_y, tmp_m, tmp_d)
