"""Rules of the 13-digit Thai citizen ID and the MOE G-code, in one place.

Thai ID: digit 1 is the person category (0-8), digits 2-5 the registration
office, digit 13 the check digit ``(11 - sum(d[i] * (13 - i) for i in 0..11) % 11) % 10``.
Category 0 is real (people registered without Thai status), so this module,
not a generic library, decides validity.

G-code: ``G`` + 2-digit BE year + 2-digit province + 8-digit sequence, the
number MOE gives a student with no Thai ID.
"""

from __future__ import annotations

import numpy as np
import polars as pl

WEIGHTS = tuple(range(13, 1, -1))  # weights of digits 1..12
ID_PATTERN = r"^[0-8][0-9]{12}$"
GCODE_PATTERN = r"^G[0-9]{2}[0-9]{2}[0-9]{8}$"

# What each first digit means (DOPA person categories).
CATEGORIES = {
    0: "no Thai status (registered without nationality)",
    1: "Thai, birth registered on time (born 1984 or later)",
    2: "Thai, birth registered late",
    3: "Thai or legal alien in a house register before 1984",
    4: "Thai or legal alien moved in before 1984, no ID yet",
    5: "Thai added to the register by survey or court order",
    6: "alien resident temporarily or entered illegally",
    7: "child of a category-6 person born in Thailand",
    8: "alien with legal residence or naturalised Thai",
}


def check_digit(first12: str) -> int:
    """Check digit for the first 12 digits of an ID."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("a Thai ID check digit needs exactly 12 leading digits")
    total = sum(int(d) * w for d, w in zip(first12, WEIGHTS))
    return (11 - total % 11) % 10


def is_valid(pid: str | None) -> bool:
    """True for a 13-digit ID of category 0-8 with a correct check digit."""
    if pid is None or len(pid) != 13 or not pid.isdigit() or pid[0] == "9":
        return False
    return check_digit(pid[:12]) == int(pid[12])


def check_digits_np(first12: np.ndarray) -> np.ndarray:
    """Vectorised check digits for an (n, 12) array of digits."""
    total = first12.astype(np.int64) @ np.asarray(WEIGHTS, dtype=np.int64)
    return ((11 - total % 11) % 10).astype(np.uint8)


def number_to_str_expr(col: str | pl.Expr, width: int = 13) -> pl.Expr:
    """Integer column -> zero-padded digit string (keeps category-0 IDs' leading zero)."""
    c = pl.col(col) if isinstance(col, str) else col
    return c.cast(pl.String).str.zfill(width)


def is_valid_expr(col: str | pl.Expr) -> pl.Expr:
    """Polars expression: the column holds a valid Thai ID (null counts as invalid)."""
    c = pl.col(col) if isinstance(col, str) else col
    # digits by integer arithmetic on the whole number: far faster than 13 string slices
    number = pl.when(c.str.contains(ID_PATTERN)).then(c.cast(pl.Int64, strict=False))
    return valid_number_expr(number)


def valid_number_expr(number: pl.Expr) -> pl.Expr:
    """Polars expression: an ID held as a whole number (13 digits with leading zeros dropped) is valid: category
    0-8 and a correct check digit (null counts as invalid)."""
    total = pl.sum_horizontal((number // 10 ** (12 - i)) % 10 * w for i, w in enumerate(WEIGHTS))
    return ((number >= 0) & (number < 9 * 10**12) & (number % 10 == (11 - total % 11) % 10)).fill_null(False)


def is_gcode_expr(col: str | pl.Expr) -> pl.Expr:
    """Polars expression: the column holds a well-formed G-code."""
    c = pl.col(col) if isinstance(col, str) else col
    return c.str.contains(GCODE_PATTERN).fill_null(False)


EXCEL_NUMBER_PATTERN = r"(?i)^[0-9]+(\.[0-9]+)?e\+?[0-9]+$"
ID_KINDS = ("valid", "gcode", "bad_checksum", "excel_mangled", "malformed", "missing")


def id_kind_expr(col: str | pl.Expr) -> pl.Expr:
    """Classify a cleaned ID column: valid, gcode, bad_checksum, excel_mangled, malformed or missing."""
    c = pl.col(col) if isinstance(col, str) else col
    return (
        pl.when(c.is_null()).then(pl.lit("missing"))
        .when(is_valid_expr(c)).then(pl.lit("valid"))
        .when(is_gcode_expr(c.str.to_uppercase())).then(pl.lit("gcode"))
        .when(c.str.contains(EXCEL_NUMBER_PATTERN)).then(pl.lit("excel_mangled"))
        .when(c.str.contains(r"^[0-9]{13}$")).then(pl.lit("bad_checksum"))
        .otherwise(pl.lit("malformed"))
    )


def restore_leading_zero_expr(col: str | pl.Expr) -> pl.Expr:
    """An ID kept as a number lost its leading zero: 12 digits are a category-0 ID, padded back to 13
    (then checked like any other; a 12-digit value that is no such ID fails its check digit)."""
    c = pl.col(col) if isinstance(col, str) else col
    return pl.when(c.str.contains(r"^[0-9]{12}$")).then(pl.concat_str(pl.lit("0"), c)).otherwise(c)


def with_check_digit_expr(first12: pl.Expr) -> pl.Expr:
    """Append the check digit to a 12-digit string column."""
    total = pl.sum_horizontal(first12.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(WEIGHTS))
    return pl.concat_str(first12, ((11 - total % 11) % 10).cast(pl.String))


def one_typo_apart(written: pl.Series, other: pl.Series) -> pl.Series:
    """Whether two 13-digit IDs are one typo apart: one digit substituted, or two adjacent digits transposed (an
    optimal-string-alignment distance of exactly 1). Null where either is not 13 digits. Integer arithmetic on
    the digits, one position at a time over every row (as a Polars expression of 26 digit columns it cost
    2 us a pair: a third of a national province's scoring)."""
    usable = (written.str.contains(r"^[0-9]{13}$").fill_null(False)
              & other.str.contains(r"^[0-9]{13}$").fill_null(False))
    x = written.cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    y = other.cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    hamming = np.zeros(len(x), dtype=np.int8)
    swapped = np.zeros(len(x), dtype=bool)
    prev = None  # the digits one place to the right, and whether they differ
    for place in (10 ** np.arange(13, dtype=np.int64)):
        da, db = (x // place) % 10, (y // place) % 10
        differ = da != db
        hamming += differ
        if prev is not None:
            pa, pb, pdiffer = prev
            swapped |= differ & pdiffer & (da == pb) & (pa == db)
        prev = (da, db, differ)
    near = pl.Series((hamming == 1) | ((hamming == 2) & swapped))
    return pl.select(pl.when(usable).then(near)).to_series().alias(written.name)


def one_typo_apart_expr(written: str | pl.Expr, other: str | pl.Expr) -> pl.Expr:
    """``one_typo_apart`` of two string columns, as an expression."""
    a, b = (pl.col(c) if isinstance(c, str) else c for c in (written, other))
    return pl.struct(a.alias("written"), b.alias("other")).map_batches(
        lambda s: one_typo_apart(s.struct.field("written"), s.struct.field("other")), return_dtype=pl.Boolean)
