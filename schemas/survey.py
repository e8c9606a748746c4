"""Field survey export: what a team found at a house. IDs are often missing or mistyped and are
kept as evidence, not required."""

from __future__ import annotations

import polars as pl

from zero_dropout.standardize import FIRST_IN_FILE
from schemas.rules import Rule, address_form, birth_date_rules, max_chars, required, tambon_exists


def _known(column: str, words: str) -> Rule:
    return Rule(column, "known_value", lambda: pl.col(f"{column}_canonical").is_not_null() | pl.col(column).is_null(),
                f"{column} must be one of: {words}")


def rules(folder_province: str | None = None) -> list[Rule]:
    return [
        required("survey_id"), max_chars("survey_id"),
        Rule("survey_id", "unique_in_file", lambda: pl.col(FIRST_IN_FILE) | pl.col("survey_id").is_null(),
             "survey_id repeats an earlier row of the file"),
        Rule("first_name", "identity_present",
             lambda: pl.col("first_name").is_not_null() | (pl.col("id_kind") == "valid"),
             "neither a name nor a valid ID: the visit cannot be linked to a child"),
        max_chars("first_name"), max_chars("last_name"), max_chars("title"), max_chars("house_no"),
        max_chars("surveyor_org", 300),
        *birth_date_rules(),
        *birth_date_rules("survey", "survey_date"),
        Rule("age", "plausible_age", lambda: pl.col("age").is_between(0, 30).fill_null(True), "age must be 0-30"),
        address_form(), tambon_exists(),
        Rule("address_code", "province_matches_folder",
             lambda: (pl.col("address_province") == folder_province).fill_null(True) if folder_province else pl.lit(True),
             f"address in another province than the folder's ({folder_province})"),
        required("found_status"),
        _known("found_status", "found, not found, moved, deceased, studying elsewhere"),
        _known("reason", "poverty, family, work, disability, health, pregnancy, migration, behaviour, transport, other"),
        _known("need", "return to school, flexible learning / กศน., vocational training, scholarship, none"),
    ]
