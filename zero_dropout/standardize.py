"""Raw text rows -> typed, canonical columns, one function per source, all Polars expressions.

Nothing here rejects a row: values that cannot be read become null and a flag
says why, so that the schemas in ``schemas/`` decide, name the column and the
check, and quarantine the row with its raw values.
"""

from __future__ import annotations

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


def first_in_file(source: str) -> pl.Expr:
    """Computed over a whole file before it is processed in chunks: is this row the first of its kind?

    Registry: first row of its citizen ID. MOE: first of identical records. Survey, aid, justice: first of
    its survey_id, payment_id or case_id.
    """
    if source == "registry":
        return digits_only(pl.col("citizen_id")).is_first_distinct()
    if source in FILE_KEYS:
        return clean_text(pl.col(FILE_KEYS[source])).is_first_distinct()
    key = [c for c in ("student_id", "first_name", "last_name", "birth_date", "school_code", "enrollment_status")]
    return pl.struct(key).is_first_distinct()


def _vocab(expr: pl.Expr, contract: Contract, name: str) -> pl.Expr:
    """Map a free-text value through a vocabulary; unknown words -> null (flagged by the schema)."""
    key = clean_text(expr).str.replace_all(KEY_NOISE, "").str.to_lowercase()
    return key.replace_strict(contract.vocabulary(name), default=None, return_dtype=pl.String)


def _ensure(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    have = set(frame.collect_schema().names())
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in columns if c not in have)


def _person_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    frame = with_split_title(frame).with_columns(clean_text(pl.col("last_name")).alias("last_name"))
    frame = frame.with_columns(
        pl.coalesce(sex_code(pl.col("sex")), title_sex(pl.col("title"))).alias("sex"),
    )
    frame = normalize_names(frame, ["first_name", "last_name"])
    return with_partial_date(frame.with_columns(clean_text(pl.col("birth_date")).alias("birth_date_text")), "birth_date_text", "birth")


def _address_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    # the code cleaned once, then cut (an expression used five times is computed five times)
    frame = frame.with_columns(digits_only(pl.col("address_code")).alias("address_code"))
    code = pl.col("address_code")
    return frame.with_columns(
        code.str.slice(0, 2).alias("address_province"),
        pl.when(code.str.len_chars() >= 4).then(code.str.slice(0, 4)).alias("amphoe_code"),
        pl.when(code.str.len_chars() >= 6).then(code.str.slice(0, 6)).alias("tambon_code"),
        pl.when(code.str.len_chars() >= 8).then(code.str.slice(6, 2)).alias("moo"),
        clean_text(pl.col("house_no")).alias("house_no"),
    )


def _id_columns(frame: pl.LazyFrame, col: str) -> pl.LazyFrame:
    cleaned = thai_id.restore_leading_zero_expr(digits_only(pl.col(col)).str.to_uppercase())
    frame = frame.with_columns(cleaned.alias(col)).with_columns(pl.col(col).alias("id_raw"))  # cleaned once
    return frame.with_columns(thai_id.id_kind_expr(pl.col(col)).alias("id_kind"))


def registry(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    frame = _id_columns(_ensure(raw, list(contract.sources["registry"].fields)), "citizen_id")
    frame = _address_columns(_person_columns(frame))
    thai_words = contract.vocabulary("nationality_thai")
    nat = clean_text(pl.col("nationality"))
    frame = frame.with_columns(
        nat.alias("nationality"),
        pl.when(nat.is_null()).then(None)
        .when(nat.str.to_lowercase().is_in(list(thai_words))).then(pl.lit("thai"))
        .otherwise(pl.lit("non_thai")).alias("nationality_group"),
        digits_only(pl.col("house_id")).alias("house_id"),
        digits_only(pl.col("person_status")).cast(pl.Int16, strict=False).alias("person_status"),
        clean_text(pl.col("move_in_date")).alias("move_in_text"),
    )
    return with_partial_date(frame, "move_in_text", "move_in").drop("move_in_text")


def moe(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    frame = _id_columns(_ensure(raw, list(contract.sources["moe"].fields)), "student_id")
    frame = _person_columns(frame)
    school = digits_only(pl.col("school_code"))
    return frame.with_columns(
        pl.when(pl.col("id_kind") == "valid").then(pl.col("student_id")).alias("citizen_id"),
        school.alias("school_code"),
        clean_text(pl.col("school_name")).alias("school_name"),
        pl.coalesce(digits_only(pl.col("affiliation")), school.str.slice(0, 2)).alias("affiliation"),
        digits_only(pl.col("school_province")).alias("school_province"),
        clean_text(pl.col("grade")).alias("grade"),
        _vocab(pl.col("enrollment_status"), contract, "enrollment_status").alias("enrollment_status_canonical"),
    )


def survey(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    frame = _id_columns(_ensure(raw, list(contract.sources["survey"].fields)), "citizen_id")
    frame = _address_columns(_person_columns(frame))
    frame = with_partial_date(frame.with_columns(clean_text(pl.col("survey_date")).alias("survey_text")), "survey_text", "survey")
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


def _dated(frame: pl.LazyFrame, column: str, prefix: str) -> pl.LazyFrame:
    text = f"{prefix}_text"
    return with_partial_date(frame.with_columns(clean_text(pl.col(column)).alias(text)), text, prefix).drop(text)


def _visit_like(raw: pl.LazyFrame, contract: Contract, source: str) -> pl.LazyFrame:
    """The person columns of an aid or justice export, as a survey's: ID, names, sex, birth date; no address."""
    frame = _id_columns(_ensure(raw, [*contract.sources[source].fields, *VISIT_ONLY]), "citizen_id")
    frame = _address_columns(_person_columns(frame))
    return frame.with_columns(
        pl.when(pl.col("id_kind") == "valid").then(pl.col("citizen_id")).alias("citizen_id"),
        whole_number(pl.col("age")).cast(pl.Int16).alias("age"),
    )


def aid(raw: pl.LazyFrame, contract: Contract) -> pl.LazyFrame:
    frame = _dated(_visit_like(raw, contract, "aid"), "paid_date", "paid")
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
    frame = _dated(_dated(_visit_like(raw, contract, "justice"), "admitted_date", "admitted"), "released_date", "released")
    return frame.with_columns(clean_text(pl.col("case_id")).alias("case_id"), clean_text(pl.col("facility")).alias("facility"))
