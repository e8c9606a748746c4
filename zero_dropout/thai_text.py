"""Thai text rules: digits, titles, sex words and name normalisation, in one place.

Heavy work runs as Polars expressions; pythainlp's orthographic normaliser (a
Python function) runs once per *distinct* name and is joined back, never once
per row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import polars as pl

from zero_dropout.thai_nlp import normalize as _pythainlp_normalize, normalize_may_change

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ARABIC_DIGITS = "0123456789"

# Title -> sex it implies (1 male, 2 female, None unknown). Child titles become
# adult ones at 15, so a title is evidence of sex, never a key.
TITLES: dict[str, int | None] = {
    "เด็กชาย": 1,
    "ด.ช.": 1,
    "ดช.": 1,
    "ด.ช": 1,
    "เด็กหญิง": 2,
    "ด.ญ.": 2,
    "ดญ.": 2,
    "ด.ญ": 2,
    "นาย": 1,
    "นางสาว": 2,
    "น.ส.": 2,
    "นส.": 2,
    "นาง": 2,
    "Mr.": 1,
    "Miss": 2,
    "Ms.": 2,
    "Mrs.": 2,
    "Master": 1,
}
CHILD_TITLES = {"เด็กชาย", "ด.ช.", "ดช.", "ด.ช", "เด็กหญิง", "ด.ญ.", "ดญ.", "ด.ญ", "Master"}
SEX_WORDS = {"1": 1, "2": 2, "ชาย": 1, "หญิง": 2, "ช": 1, "ญ": 2, "m": 1, "f": 2, "male": 1, "female": 2,
             "เพศชาย": 1, "เพศหญิง": 2, "boy": 1, "girl": 2}
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"  # ่ ้ ๊ ๋


def thai_digits_to_arabic(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(list(THAI_DIGITS), list(ARABIC_DIGITS))


# A whole number that a typed cell or column wrote with a fraction: "14.0", an example ID "1103700012345.0"
WHOLE_NUMBER_TEXT = r"^([0-9]+)\.0+$"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Arabic digits, no surrounding or doubled white space, empty -> null; a typed whole number
    loses its ``.0`` (``14.0`` -> ``14``)."""
    out = thai_digits_to_arabic(expr).str.replace_all(r"[\s\u00a0\u200b]+", " ").str.strip_chars()
    out = out.str.replace(WHOLE_NUMBER_TEXT, "$1")
    return pl.when(out == "").then(None).otherwise(out)


SPACE = r"[\s\u00a0\u200b]"  # what clean_text takes for white space


def digits_only(expr: pl.Expr) -> pl.Expr:
    """IDs and codes: Thai digits to Arabic, drop dashes, dots of grouping and spaces (a typed number's
    ``.0`` first: the example ``1103700012345.0`` is 13 digits, not 14). The same as ``clean_text`` and then
    every space, dash, underscore and dot removed, in three passes over the text instead of five (the ID of
    every row of every file goes through it)."""
    out = thai_digits_to_arabic(expr).str.replace(rf"^{SPACE}*([0-9]+)\.0+{SPACE}*$", "$1")
    out = out.str.replace_all(rf"(?:{SPACE}|[\-_.])+", "")
    return pl.when(out == "").then(None).otherwise(out)


def whole_number(expr: pl.Expr) -> pl.Expr:
    """The first whole number written in a cell ("14", "14.0", "๑๔", "14 ปี"), else null."""
    return clean_text(expr).str.extract(r"([0-9]+)", 1).cast(pl.Int32, strict=False)


def decimal_number(expr: pl.Expr) -> pl.Expr:
    """A number written as people write amounts: "1,200.50", "๑,๒๐๐", "1200 บาท", "฿800"; else null.
    Commas group thousands; a cell with anything else than one number is not guessed."""
    text = clean_text(expr).str.replace_all(r"(?i)\s*(บาท|฿|thb|baht)\s*", "").str.replace_all(r"\s", "")
    grouped = text.str.contains(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
    plain = text.str.contains(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
    return pl.when(grouped | plain).then(text.str.replace_all(",", "", literal=True)).cast(pl.Float64, strict=False)


def sex_code(expr: pl.Expr) -> pl.Expr:
    """Sex as 1/2 from codes or Thai/English words, null when unknown."""
    e = clean_text(expr).str.to_lowercase()
    return e.replace_strict(SEX_WORDS, default=None, return_dtype=pl.Int8)


def title_sex(expr: pl.Expr) -> pl.Expr:
    return clean_text(expr).replace_strict(TITLES, default=None, return_dtype=pl.Int8)


TITLE_IN_NAME = "^(" + "|".join(sorted((t.replace(".", r"\.") for t in TITLES), key=len, reverse=True)) + r")\s*"


def with_split_title(frame: pl.LazyFrame, first_name: str = "first_name", title: str = "title") -> pl.LazyFrame:
    """Separate a title written into the first-name field ("ด.ช.สมชาย"): ``title`` keeps the title column's
    value, else the one found in the name; ``first_name`` loses it. Both columns are cleaned (``clean_text``);
    the title in the name is looked for once (an expression used twice is computed twice)."""
    embedded = f"__{first_name}_title"
    frame = frame.with_columns(clean_text(pl.col(first_name)).alias(first_name)).with_columns(
        pl.col(first_name).str.extract(TITLE_IN_NAME, 1).alias(embedded))
    return frame.with_columns(
        pl.coalesce(clean_text(pl.col(title)), pl.col(embedded)).alias(title),
        pl.when(pl.col(embedded).is_not_null()).then(pl.col(first_name).str.replace(TITLE_IN_NAME, ""))
        .otherwise(pl.col(first_name)).alias(first_name),
    ).drop(embedded)


@lru_cache(maxsize=1_000_000)
def normalize_name(name: str | None) -> str | None:
    """Canonical form of one Thai name, used for matching (not for display).

    pythainlp's normaliser fixes Thai orthographic variants (เเ -> แ, repeated
    or misordered tone marks and vowels); then spaces and dots are removed.
    """
    if name is None:
        return None
    out = _pythainlp_normalize(name).replace(" ", "").replace(".", "")
    return out or None


def normalized(values: pl.Series) -> pl.Series:
    """``normalize_name`` of every value; the Python normaliser (37 us a name) runs only on the values it may
    change (``thai_nlp.normalize_may_change``), the others only lose their dots, as ``normalize_name`` does with
    them. A national MOE term holds 195,000 distinct names (typos included); a country's surnames many more."""
    may_change = values.str.contains(normalize_may_change()).fill_null(False)
    plain = values.str.replace_all(".", "", literal=True)
    out = pl.select(pl.when(plain != "").then(plain)).to_series()
    changed = values.filter(may_change)
    if changed.len():
        out = out.scatter(may_change.arg_true(), changed.map_elements(normalize_name, return_dtype=pl.String))
    return out.alias(values.name)


def per_distinct(frame: pl.LazyFrame, col: str, out: str, compute: Callable[[pl.Series], pl.Series]) -> pl.LazyFrame:
    """Add ``out``, ``compute`` of the distinct non-null values of ``col``, joined back (a name repeats over many
    rows, and its Python work is done once). ``frame`` is worked out once first: the distinct values and the
    join both read it, and Polars works a plan read twice out twice when a Python function is in it (each name
    column doubled the work before it; the MOE records a national term shares were worked out three times over
    11 M rows)."""
    frame = frame.collect().lazy()
    distinct = frame.select(pl.col(col)).unique().drop_nulls().collect()
    mapping = distinct.with_columns(compute(distinct[col]).alias(out))
    return frame.join(mapping.lazy(), on=col, how="left", nulls_equal=False, maintain_order="left")


def normalize_names(frame: pl.LazyFrame, columns: list[str], suffix: str = "_norm") -> pl.LazyFrame:
    """Add ``<col><suffix>`` with the normalised form of each name column, per distinct value (``normalized``;
    a national province's 10,600-row aid export standardised in 0.34 s instead of 0.41 s since ``per_distinct``
    works the frame out once)."""
    for col in columns:
        frame = per_distinct(frame, col, col + suffix, normalized)
    return frame
