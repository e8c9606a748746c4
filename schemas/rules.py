"""Rules as data: the column an officer should look at, the check's name, and a Polars expression
that is true where a row passes. Pandera runs them; the same rules document themselves.

A rule is either *blocking* (a failing row is quarantined) or *repairable*: the field is one the
linker can do without (a visit date, an address code that names no tambon, coordinates), so a
failing row keeps its place, the field becomes null and the row's ``data_issues`` says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable

import pandera.polars as pa
import polars as pl

from zero_dropout import areas

NAME_MAX_CHARS = 100
TEXT_MAX_CHARS = 500
EARLIEST_BIRTH_YEAR_BE = 1900 + 543


@dataclass(frozen=True)
class Rule:
    column: str
    check: str
    passes: Callable[[], pl.Expr]
    description: str
    # repairable: the columns set to null on a failing row (empty: only noted); None: blocking
    clears: tuple[str, ...] | None = None

    @property
    def repairable(self) -> bool:
        return self.clears is not None

    @property
    def issue(self) -> str:
        return f"{self.column}:{self.check}"


def repairable(rules: Rule | list[Rule], *clears: str) -> list[Rule]:
    """The same rules, made repairable: a failing row loses ``clears`` and is kept, with an issue noted."""
    return [replace(r, clears=tuple(clears)) for r in ([rules] if isinstance(rules, Rule) else rules)]


DATE_PARTS = ("year_be", "month", "day", "full_date")


def date_parts(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{p}" for p in DATE_PARTS)


ADDRESS_PARTS = ("address_code", "address_province", "amphoe_code", "tambon_code", "moo")
TAMBON_PARTS = ("address_code", "tambon_code", "moo")  # a code naming no tambon may still name its amphoe


def readable_text() -> Rule:
    from zero_dropout.standardize import FIELD_MAX_CHARS, READABLE

    return Rule(READABLE, "readable_text", lambda: pl.col(READABLE),
                f"a field holds bytes that are not text in the file's encoding, a control character, or more than "
                f"{FIELD_MAX_CHARS} characters")


def required(column: str, label: str | None = None) -> Rule:
    return Rule(label or column, "required", lambda: pl.col(column).is_not_null(), f"{label or column} must be present")


def max_chars(column: str, limit: int = NAME_MAX_CHARS) -> Rule:
    return Rule(column, f"at_most_{limit}_characters", lambda: (pl.col(column).str.len_chars() <= limit).fill_null(True),
                f"{column} longer than {limit} characters")


def birth_date_rules(prefix: str = "birth", column: str = "birth_date") -> list[Rule]:
    today = dt.date.today()
    year_now_be = today.year + 543
    return [
        Rule(column, "date_form", lambda: ~pl.col(f"{prefix}_unparsed"),
             f"{column} is not in a known form (YYYYMMDD, DD/MM/YYYY, YYYY-MM-DD or YYYY)"),
        Rule(column, "real_day", lambda: ~pl.col(f"{prefix}_impossible"), f"{column} names a day that does not exist"),
        Rule(column, "plausible_year",
             lambda: pl.col(f"{prefix}_year_be").is_between(EARLIEST_BIRTH_YEAR_BE, year_now_be).fill_null(True),
             f"{column} year before 1900 CE or in the future"),
        Rule(column, "not_in_future", lambda: (pl.col(f"{prefix}_full_date") <= pl.lit(today)).fill_null(True),
             f"{column} is in the future"),
    ]


def tambon_exists(column: str = "address_code") -> Rule:
    codes = areas.tambons()["tambon_code"]
    return Rule(column, "dopa_tambon_exists", lambda: pl.col("tambon_code").is_in(codes.implode()).fill_null(False)
                | pl.col(column).is_null(), f"{column} names no DOPA tambon")


def address_form(column: str = "address_code") -> Rule:
    return Rule(column, "eight_digits", lambda: pl.col(column).str.contains(r"^[0-9]{8}$").fill_null(True),
                f"{column} must be 8 digits (province, amphoe, tambon, moo)")


def to_schema(name: str, rules: list[Rule], frame_columns: list[str]) -> pa.DataFrameSchema:
    """One pandera Column per checked column; each blocking rule a named Check over the whole row."""
    by_column: dict[str, list[pa.Check]] = {}
    for rule in rules:
        if rule.repairable:
            continue
        check = pa.Check(
            lambda data, r=rule: data.lazyframe.select(r.passes().fill_null(False).alias("passes")),
            name=rule.check, ignore_na=False,
        )
        by_column.setdefault(rule.column, []).append(check)
    missing = sorted({r.column for r in rules} - set(frame_columns))
    if missing:
        raise ValueError(f"schema {name}: rules name columns the frame lacks: {missing}")
    columns = {column: pa.Column(checks=checks, nullable=True) for column, checks in by_column.items()}
    return pa.DataFrameSchema(columns, name=name, coerce=False, strict=False)


def record_of_a_child(key: str) -> list[Rule]:
    """What every province-term source (survey, aid, justice) checks of a row about one child: its key is
    present and unique in the file, it names someone (a name or a valid ID), names fit, and a birth date that
    cannot be read is set aside (the linker does without it)."""
    from zero_dropout.standardize import FIRST_IN_FILE

    return [
        readable_text(),
        required(key), max_chars(key),
        Rule(key, "unique_in_file", lambda: pl.col(FIRST_IN_FILE) | pl.col(key).is_null(),
             f"{key} repeats an earlier row of the file"),
        Rule("first_name", "identity_present",
             lambda: pl.col("first_name").is_not_null() | (pl.col("id_kind") == "valid"),
             "neither a name nor a valid ID: the row cannot be linked to a child"),
        max_chars("first_name"), max_chars("last_name"), max_chars("title"),
        *repairable(birth_date_rules(), *date_parts("birth")),
    ]


def known_value(column: str, words: str) -> Rule:
    """A vocabulary field (standardised into ``<column>_canonical``) holds one of the contract's words."""
    return Rule(column, "known_value", lambda: pl.col(f"{column}_canonical").is_not_null() | pl.col(column).is_null(),
                f"{column} must be one of: {words}")
