"""Juvenile justice records (observation and protection centres): a child admitted, and released or not.

The dates decide which terms the child is in the downstream stage, so they are never guessed: an admission
date that cannot be read, a release date written but unreadable (an empty one means still held), or a
release before the admission quarantines the row."""

from __future__ import annotations

import polars as pl

from schemas.rules import Rule, birth_date_rules, max_chars, record_of_a_child, repairable, required


def rules(folder_province: str | None = None) -> list[Rule]:
    return [
        *record_of_a_child("case_id"),
        required("admitted_date"),
        *birth_date_rules("admitted", "admitted_date"),
        Rule("admitted_date", "full_date", lambda: pl.col("admitted_full_date").is_not_null() | pl.col("admitted_date").is_null(),
             "admitted_date must name a day (day, month and year)"),
        *birth_date_rules("released", "released_date"),
        Rule("released_date", "full_date", lambda: pl.col("released_full_date").is_not_null() | pl.col("released_date").is_null(),
             "released_date must name a day (day, month and year), or be empty while the child is held"),
        Rule("released_date", "not_before_admitted",
             lambda: (pl.col("released_full_date") >= pl.col("admitted_full_date")).fill_null(True),
             "released_date is before admitted_date"),
        *repairable(max_chars("facility", 300), "facility"),
    ]
