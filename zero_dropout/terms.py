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

from zero_dropout.thai_text import thai_digits_to_arabic

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
    def start(self) -> dt.date:
        """First day of the term (CE): semester 1 from 16 May, semester 2 from 1 November (``current_term``)."""
        return dt.date(self.year_ce, 5, 16) if self.semester == 1 else dt.date(self.year_ce, 11, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the term (CE): the day before the next term starts."""
        return self.next().start - dt.timedelta(days=1)

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


# Month names as people and tools write them (Thai short and long, with or without dots; English),
# longest first so that a long name is never read as a short one.
_MONTH_WORDS: dict[str, int] = {}
for _m, _words in enumerate((
    ("มกราคม", "ม.ค.", "มค.", "มค", "january", "jan"),
    ("กุมภาพันธ์", "ก.พ.", "กพ.", "กพ", "february", "feb"),
    ("มีนาคม", "มี.ค.", "มีค.", "มีค", "march", "mar"),
    ("เมษายน", "เม.ย.", "เมย.", "เมย", "april", "apr"),
    ("พฤษภาคม", "พ.ค.", "พค.", "พค", "may"),
    ("มิถุนายน", "มิ.ย.", "มิย.", "มิย", "june", "jun"),
    ("กรกฎาคม", "ก.ค.", "กค.", "กค", "july", "jul"),
    ("สิงหาคม", "ส.ค.", "สค.", "สค", "august", "aug"),
    ("กันยายน", "ก.ย.", "กย.", "กย", "september", "sept", "sep"),
    ("ตุลาคม", "ต.ค.", "ตค.", "ตค", "october", "oct"),
    ("พฤศจิกายน", "พ.ย.", "พย.", "พย", "november", "nov"),
    ("ธันวาคม", "ธ.ค.", "ธค.", "ธค", "december", "dec"),
), start=1):
    for _w in _words:
        _MONTH_WORDS[_w] = _m
MONTH_WORDS = dict(sorted(_MONTH_WORDS.items(), key=lambda kv: -len(kv[0])))
# Era words carry no information the year does not: a year above 2400 is BE whatever is written.
_ERA = r"(พ\.\s?ศ\.?|พศ\.?|ค\.\s?ศ\.?|คศ\.?|\b[bc]\.?e\.?\b)"
# A time written after a date (xlsx date-time cells read as text, ISO date-times, "0:00")
_TIME = r"[ t]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?$|t\d{2}:\d{2}.*$"
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
_SEP = r"[/.\-]"

_DATE_FORMS = (
    # (regex, order of the groups); tried on text with month words already turned into /M/
    (r"^(\d{4})(\d{2})(\d{2})$", ("y", "m", "d")),  # YYYYMMDD (BE in DOPA extracts)
    (rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})$", ("d", "m", "y")),  # DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY
    (rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})$", ("y", "m", "d")),  # YYYY-MM-DD, YYYY/MM/DD
    (r"^/(\d{1,2})/(\d{1,2}),?/?(\d{4})$", ("m", "d", "y")),  # Jan 15, 2024
    (r"^(\d{1,2})/(\d{1,2})/(\d{2})$", ("d", "m", "yy")),  # 15 ม.ค. 67, 15/01/67: a two-digit year is BE 25YY
    (r"^(\d{4})$", ("y",)),  # year only
)


def _date_text(text: pl.Expr) -> pl.Expr:
    """Free-form date text -> a canonical string the forms above read: lower case, no time, no era word,
    month words as ``/M/``."""
    t = thai_digits_to_arabic(text).str.strip_chars().str.to_lowercase().str.replace(_TIME, "").str.replace_all(_ERA, " ")
    t = t.str.replace_many(list(MONTH_WORDS), [f"/{m}/" for m in MONTH_WORDS.values()], leftmost=True)
    return t.str.replace_all(r"[\s,.\-]*/[\s,.\-]*", "/").str.replace_all(r"\s+", "").str.strip_chars(".,")


def with_partial_date(frame: pl.LazyFrame, col: str, prefix: str) -> pl.LazyFrame:
    """Parse a free-form date column into partial-date parts.

    Adds ``{prefix}_year_be``, ``{prefix}_month``, ``{prefix}_day`` (month and
    day null when written as 00 or absent: unknown, never invented),
    ``{prefix}_full_date`` (a Date when all three parts are known and form a real
    date), ``{prefix}_unparsed`` (text present but no known form) and
    ``{prefix}_impossible`` (all parts present but no such day, e.g. 31/02).
    Years above 2400 are read as BE, others as CE, whatever the file claims.

    Forms read: ``YYYYMMDD``, ``DD/MM/YYYY`` (also ``-`` or ``.``), ``YYYY-MM-DD`` (also ``/``),
    a Thai or English month name short or long (``15 ม.ค. 2567``, ``15 มกราคม พ.ศ. 2567``,
    ``15-Jan-2024``, ``Jan 15, 2024``), a two-digit year after a day and month (BE: ``67`` is 2567),
    year only, an Excel serial day number (``45321``), and any of these followed by a time
    (``2024-02-23 00:00:00``, ``2024-02-23T10:00:00+07:00``: what xlsx date-time cells and typed
    Parquet columns become as text). A month above 12 before a day of 1-12 is read in US order.
    """
    text = pl.col(col).str.strip_chars()
    tmp_c = f"__{prefix}_canon"
    frame = frame.with_columns(_date_text(text).alias(tmp_c))  # computed once, read by every form below
    canon = pl.col(tmp_c)
    ys, ms, ds = [], [], []
    for pattern, order in _DATE_FORMS:
        groups = canon.str.extract_groups(pattern)
        for i, key in enumerate(order):
            part = groups.struct[i].cast(pl.Int32, strict=False)
            if key == "yy":
                key, part = "y", part + 2500
            {"y": ys, "m": ms, "d": ds}[key].append(part)
    # an Excel serial day number (a date cell exported as a number, or 45321 typed as text)
    serial = canon.str.extract(r"^(\d{5})(\.\d+)?$", 1).cast(pl.Int32, strict=False)
    serial_date = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    ys.append(serial_date.dt.year())
    ms.append(serial_date.dt.month().cast(pl.Int32))
    ds.append(serial_date.dt.day().cast(pl.Int32))
    tmp_y, tmp_m, tmp_d = f"__{prefix}_y", f"__{prefix}_m", f"__{prefix}_d"
    frame = frame.with_columns(
        pl.coalesce(ys).alias(tmp_y), pl.coalesce(ms).alias(tmp_m), pl.coalesce(ds).alias(tmp_d)
    )
    # month above 12 with a day that can be a month: written month first (US order by a foreign tool)
    us_order = (pl.col(tmp_m) > 12) & pl.col(tmp_d).is_between(1, 12)
    frame = frame.with_columns(
        pl.when(us_order).then(pl.col(tmp_d)).otherwise(pl.col(tmp_m)).alias(tmp_m),
        pl.when(us_order).then(pl.col(tmp_m)).otherwise(pl.col(tmp_d)).alias(tmp_d),
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
    ).drop(tmp_y, tmp_m, tmp_d, tmp_c)
