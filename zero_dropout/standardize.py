"""Raw text rows -> typed, canonical columns, one function per source, all Polars expressions.

Nothing here rejects a row: values that cannot be read become null and a flag
says why, so that the schemas in ``schemas/`` decide, name the column and the
check, and quarantine the row with its raw values.
"""

from __future__ import annotations

from typing import Callable

import polars as pl

from zero_dropout import thai_id
from zero_dropout.contract import KEY_NOISE, Contract
from zero_dropout.terms import with_partial_date
from zero_dropout.thai_text import (
    clean_text, decimal_number, digits_only, normalize_names, sex_code, title_sex, with_split_title, whole_number,
)

FIRST_IN_FILE = "first_in_file"
READABLE = "all_fields"  # false where a raw field holds no text (bytes of another encoding, control characters)
FIELD_MAX_CHARS = 2000  # no field of any source is longer; a longer one is not data


def readable(fields: list[str]) -> pl.Expr:
    """True where every raw field is text: no U+FFFD (bytes that were not text in the file's encoding),
    no NUL or other control character, none over FIELD_MAX_CHARS characters."""
    bad = [pl.col(c).str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]").fill_null(False)
           | (pl.col(c).str.len_chars() > FIELD_MAX_CHARS).fill_null(False) for c in fields]
    return ~pl.any_horizontal(bad) if bad else pl.lit(True)


# the field unique within a file, per source
FILE_KEYS = {"survey": "survey_id", "aid": "payment_id", "justice": "case_id"}


def _file_key(source: str) -> pl.Expr:
    if source == "registry":
        return digits_only(pl.col("citizen_id"))
    if source in FILE_KEYS:
        return clean_text(pl.col(FILE_KEYS[source]))
    return pl.struct("student_id", "first_name", "last_name", "birth_date", "school_code", "enrollment_status")


def first_in_file(source: str) -> pl.Expr:
    """Computed over a whole file: is this row the first of its kind? (A file read in chunks: ``FirstInFile``.)

    Registry: first row of its citizen ID. MOE: first of identical records. Survey, aid, justice: first of
    its survey_id, payment_id or case_id.
    """
    return _file_key(source).is_first_distinct()


class FirstInFile:
    """``first_in_file`` for a file read a chunk at a time, in the file's order. Each row's key is compared by two
    64-bit hashes of it (different seeds: 16 bytes a row are remembered across chunks instead of the key's text;
    two different keys pass for one with a probability near n^2 / 2^129, nil for any real file)."""

    def __init__(self, source: str):
        self.key, self.seen = _file_key(source), None

    def flags(self, chunk: pl.DataFrame) -> pl.Series:
        key = chunk.select(self.key.alias("key"))  # the key once (cleaning it costs more than hashing it twice)
        keys = key.select(pl.col("key").hash(11).alias("h1"), pl.col("key").hash(29).alias("h2"))
        first = keys.select(pl.struct("h1", "h2").is_first_distinct()).to_series()
        if self.seen is not None:  # the chunk's keys are hashed once; every key seen before probes them
            before = self.seen.join(keys.with_row_index(), on=["h1", "h2"], how="inner")["index"]
            first = first.scatter(before, False) if before.len() else first
        new = keys.filter(first)
        self.seen = new if self.seen is None else pl.concat([self.seen, new])
        return first.alias(FIRST_IN_FILE)


def _vocab(expr: pl.Expr, contract: Contract, name: str) -> pl.Expr:
    """Map a free-text value through a vocabulary; unknown words -> null (flagged by the schema)."""
    key = clean_text(expr).str.replace_all(KEY_NOISE, "").str.to_lowercase()
    return key.replace_strict(contract.vocabulary(name), default=None, return_dtype=pl.String)


PER_VALUE_MIN_ROWS = 20_000  # below this, each join costs more than the row-wise work it saves (a 257-row file: +8 ms)


def joined_back(frame: pl.LazyFrame, raw: pl.LazyFrame, keys: list[str],
                derive: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.LazyFrame:
    """Columns that ``derive`` adds from the raw ``keys`` columns alone, worked out once per distinct value of
    ``keys`` and joined back onto ``frame`` (in which ``keys`` still hold the raw values): a school name, a grade,
    a birth date or a first name repeats over thousands of rows, and cleaning its distinct values is several
    times cheaper than cleaning every row (1.8 s -> 0.5 s for the school columns of a million MOE rows). The
    distinct values come from ``raw`` (the rows as read), not from ``frame``: a plan reading ``frame`` twice cost
    more than it saved. Under PER_VALUE_MIN_ROWS rows, ``derive`` works on ``frame`` row by row (the same
    columns)."""
    if raw.select(pl.len()).collect().item() < PER_VALUE_MIN_ROWS:
        return derive(frame)
    mapping = derive(raw.select(keys).unique())
    return frame.join(mapping, on=keys, how="left", nulls_equal=True, maintain_order="left")


def with_date(frame: pl.LazyFrame, raw: pl.LazyFrame, column: str, prefix: str, text: str) -> pl.LazyFrame:
    """``text`` (the raw date column cleaned) and its parts (``with_partial_date``), once per distinct date."""
    return joined_back(frame, raw, [column], lambda f: with_partial_date(
        f.with_columns(clean_text(pl.col(column)).alias(text)), text, prefix))


def per_value(frame: pl.LazyFrame, raw: pl.LazyFrame, column: str, **derived: pl.Expr) -> pl.LazyFrame:
    """``derived`` (name -> an expression of the raw ``column`` alone) once per distinct value, under those names;
    the caller puts them in place and drops them."""
    return joined_back(frame, raw, [column], lambda f: f.with_columns(**derived))


def _ensure(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    have = set(frame.collect_schema().names())
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in columns if c not in have)


def _person_columns(frame: pl.LazyFrame, raw: pl.LazyFrame) -> pl.LazyFrame:
    """Names (a title written into the first name split off), their normalised forms, sex (else the title's) and
    the birth date, each worked out once per distinct raw value (pair of first name and title) (``joined_back``)."""
    frame = joined_back(frame, raw, ["first_name", "title"], lambda f: normalize_names(with_split_title(
        f.with_columns(pl.col("first_name").alias("__first"), pl.col("title").alias("__title")), "__first", "__title"),
        ["__first"]).with_columns(title_sex(pl.col("__title")).alias("__title_sex")))
    frame = joined_back(frame, raw, ["last_name"], lambda f: normalize_names(
        f.with_columns(clean_text(pl.col("last_name")).alias("__last")), ["__last"]))
    frame = per_value(frame, raw, "sex", __sex=sex_code(pl.col("sex")))
    frame = frame.with_columns(
        pl.col("__first").alias("first_name"), pl.col("__title").alias("title"), pl.col("__last").alias("last_name"),
        pl.coalesce(pl.col("__sex"), pl.col("__title_sex")).alias("sex"),
    ).with_columns(pl.col("__first_norm").alias("first_name_norm"), pl.col("__last_norm").alias("last_name_norm")).drop(
        "__first", "__title", "__last", "__sex", "__title_sex", "__first_norm", "__last_norm")
    return with_date(frame, raw, "birth_date", "birth", "birth_date_text")


def _address_columns(frame: pl.LazyFrame, raw: pl.LazyFrame) -> pl.LazyFrame:
    # the code cleaned once per distinct code, then cut (an expression used five times is computed five times)
    frame = per_value(per_value(frame, raw, "address_code", __code=digits_only(pl.col("address_code"))),
                      raw, "house_no", __house_no=clean_text(pl.col("house_no")))
    frame = frame.with_columns(pl.col("__code").alias("address_code"))
    code = pl.col("address_code")
    return frame.with_columns(
        code.str.slice(0, 2).alias("address_province"),
        pl.when(code.str.len_chars() >= 4).then(code.str.slice(0, 4)).alias("amphoe_code"),
        pl.when(code.str.len_chars() >= 6).then(code.str.slice(0, 6)).alias("tambon_code"),
        pl.when(code.str.len_chars() >= 8).then(code.str.slice(6, 2)).alias("moo"),
        pl.col("__house_no").alias("house_no"),
    ).drop("__code", "__house_no")


def _id_columns(frame: pl.LazyFrame, col: str) -> pl.LazyFrame:
    cleaned = thai_id.restore_leading_zero_expr(digits_only(pl.col(col)).str.to_uppercase())
    frame = frame.with_columns(cleaned.alias(col)).with_columns(pl.col(col).alias("id_raw"))  # cleaned once
    return frame.with_columns(thai_id.id_kind_expr(pl.col(col)).alias("id_kind"))


def registry(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    raw = _ensure(raw, list(contract.sources["registry"].fields))
    frame = _address_columns(_person_columns(_id_columns(raw, "citizen_id"), raw), raw)
    thai_words = contract.vocabulary("nationality_thai")
    nat = clean_text(pl.col("nationality"))
    frame = per_value(frame, raw, "nationality", __nat=nat, __group=pl.when(nat.is_null()).then(None)
                      .when(nat.str.to_lowercase().is_in(list(thai_words))).then(pl.lit("thai"))
                      .otherwise(pl.lit("non_thai")))
    frame = per_value(frame, raw, "person_status",
                      __status=digits_only(pl.col("person_status")).cast(pl.Int16, strict=False))
    frame = frame.with_columns(
        pl.col("__nat").alias("nationality"),
        pl.col("__group").alias("nationality_group"),
        digits_only(pl.col("house_id")).alias("house_id"),
        pl.col("__status").alias("person_status"),
    ).drop("__nat", "__group", "__status")
    return with_date(frame, raw, "move_in_date", "move_in", "move_in_text").drop("move_in_text")


def moe(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    raw = _ensure(raw, list(contract.sources["moe"].fields))
    frame = _person_columns(_id_columns(raw, "student_id"), raw)
    for column, cleaned in (("school_code", digits_only), ("school_name", clean_text), ("affiliation", digits_only),
                            ("school_province", digits_only), ("grade", clean_text)):
        frame = per_value(frame, raw, column, **{f"__{column}": cleaned(pl.col(column))})
    frame = per_value(frame, raw, "enrollment_status",
                      __status=_vocab(pl.col("enrollment_status"), contract, "enrollment_status"))
    school = pl.col("__school_code")
    return frame.with_columns(
        pl.when(pl.col("id_kind") == "valid").then(pl.col("student_id")).alias("citizen_id"),
        school.alias("school_code"),
        pl.col("__school_name").alias("school_name"),
        pl.coalesce(pl.col("__affiliation"), school.str.slice(0, 2)).alias("affiliation"),
        pl.col("__school_province").alias("school_province"),
        pl.col("__grade").alias("grade"),
        pl.col("__status").alias("enrollment_status_canonical"),
    ).drop("__school_code", "__school_name", "__affiliation", "__school_province", "__grade", "__status")


def survey(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    raw = _ensure(raw, list(contract.sources["survey"].fields))
    frame = _address_columns(_person_columns(_id_columns(raw, "citizen_id"), raw), raw)
    frame = with_date(frame, raw, "survey_date", "survey", "survey_text")
    return frame.with_columns(
        clean_text(pl.col("survey_id")).alias("survey_id"),
        clean_text(pl.col("surveyor_org")).alias("surveyor_org"),
        pl.when(pl.col("id_kind") == "valid").then(pl.col("citizen_id")).alias("citizen_id"),
        whole_number(pl.col("age")).cast(pl.Int16).alias("age"),
        _vocab(pl.col("found_status"), contract, "found_status").alias("found_status_canonical"),
        _vocab(pl.col("reason"), contract, "reason").alias("reason_canonical"),
        _vocab(pl.col("need"), contract, "need").alias("need_canonical"),
        *_coordinate("lat"), *_coordinate("lon"),
        clean_text(pl.col("photo_ref")).alias("photo_ref"),
    ).drop("survey_text")


def _coordinate(col: str) -> list[pl.Expr]:
    """Degrees as a number, and whether text was there that is no number (a repairable issue)."""
    text = clean_text(pl.col(col).cast(pl.String))
    value = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return [value.alias(col), (text.is_not_null() & value.is_null()).alias(f"{col}_unparsed")]


# what the survey-profile linker reads of a record that an aid or justice export does not carry
VISIT_ONLY = ["address_code", "house_no", "age"]


def _dated(frame: pl.LazyFrame, raw: pl.LazyFrame, column: str, prefix: str) -> pl.LazyFrame:
    text = f"{prefix}_text"
    return with_date(frame, raw, column, prefix, text).drop(text)


def _ensured(raw: pl.LazyFrame, contract: Contract, source: str) -> pl.LazyFrame:
    """An aid or justice export with every column the survey-profile linker reads (null where it has none)."""
    return _ensure(raw, [*contract.sources[source].fields, *VISIT_ONLY])


def _visit_like(raw: pl.LazyFrame, contract: Contract, source: str) -> pl.LazyFrame:
    """The person columns of an aid or justice export, as a survey's: ID, names, sex, birth date; no address.
    ``raw``: as ``_ensured`` gives it."""
    frame = _address_columns(_person_columns(_id_columns(raw, "citizen_id"), raw), raw)
    return frame.with_columns(
        pl.when(pl.col("id_kind") == "valid").then(pl.col("citizen_id")).alias("citizen_id"),
        whole_number(pl.col("age")).cast(pl.Int16).alias("age"),
    )


def aid(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    raw = _ensured(raw, contract, "aid")
    frame = _dated(_visit_like(raw, contract, "aid"), raw, "paid_date", "paid")
    amount_text = clean_text(pl.col("amount_baht").cast(pl.String))
    amount = decimal_number(amount_text)
    return frame.with_columns(
        clean_text(pl.col("payment_id")).alias("payment_id"),
        clean_text(pl.col("payer_org")).alias("payer_org"),
        _vocab(pl.col("programme"), contract, "programme").alias("programme_canonical"),
        amount.alias("amount_baht"),
        (amount_text.is_not_null() & amount.is_null()).alias("amount_unparsed"),
    )


def justice(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    raw = _ensured(raw, contract, "justice")
    frame = _dated(_dated(_visit_like(raw, contract, "justice"), raw, "admitted_date", "admitted"), raw, "released_date",
                   "released")
    return frame.with_columns(clean_text(pl.col("case_id")).alias("case_id"), clean_text(pl.col("facility")).alias("facility"))
