"""Aid payments to children (equity scholarships, return-to-school payments, provincial funds).

Like a survey visit, a payment names a child who is linked by ID, else by name and birth date; an ID is
often missing (children without Thai status). What was paid must be readable: a payment whose programme or
amount cannot be read is quarantined (a sum over it would be wrong), a paid date that cannot be read is
set aside (the term is the folder's)."""

from __future__ import annotations

import polars as pl

from schemas.rules import Rule, birth_date_rules, date_parts, known_value, max_chars, record_of_a_child, repairable, required

PROGRAMMES = "cct, return_to_school, provincial_fund, scholarship, other"


def rules(folder_province: str | None = None) -> list[Rule]:
    return [
        *record_of_a_child("payment_id"),
        required("programme"), known_value("programme", PROGRAMMES),
        Rule("amount_baht", "required", lambda: pl.col("amount_baht").is_not_null() | pl.col("amount_unparsed"),
             "amount_baht must be present"),
        Rule("amount_baht", "amount_form", lambda: ~pl.col("amount_unparsed") & (pl.col("amount_baht") >= 0).fill_null(True),
             "amount_baht must be a number of baht, 0 or more (1200, 1,200.50, Thai digits)"),
        *repairable(birth_date_rules("paid", "paid_date"), *date_parts("paid")),
        *repairable(max_chars("payer_org", 300), "payer_org"),
    ]
