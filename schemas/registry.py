"""Civil registry extract: the reference population. Strict: a row that cannot identify and
place a person is quarantined."""

from __future__ import annotations

import polars as pl

from zero_dropout.standardize import FIRST_IN_FILE
from schemas.rules import Rule, address_form, birth_date_rules, max_chars, readable_text, required, tambon_exists

PERSON_STATUSES = (0, 1, 4, 8, 9, 11, 12)


def rules(folder_province: str) -> list[Rule]:
    return [
        readable_text(),
        required("citizen_id"),
        Rule("citizen_id", "not_g_code", lambda: pl.col("id_kind") != "gcode",
             "a G-code belongs to MOE students without a Thai ID, never to the registry"),
        Rule("citizen_id", "not_spreadsheet_number", lambda: pl.col("id_kind") != "excel_mangled",
             "ID turned into a number like 1.10370E+12 by a spreadsheet: digits are lost"),
        Rule("citizen_id", "thai_id_check_digit", lambda: pl.col("id_kind").is_in(["valid", "missing", "gcode", "excel_mangled"]),
             "13-digit Thai ID, category 0-8, with a correct check digit"),
        Rule("citizen_id", "unique_in_file", lambda: pl.col(FIRST_IN_FILE) | pl.col("citizen_id").is_null(),
             "the same ID appears on an earlier row of the file"),
        required("first_name"), max_chars("first_name"),
        required("last_name"), max_chars("last_name"),
        max_chars("title"), max_chars("house_no"),
        required("birth_date"), *birth_date_rules(),
        required("address_code"), address_form(), tambon_exists(),
        Rule("address_code", "province_matches_folder",
             lambda: (pl.col("address_province") == folder_province).fill_null(True),
             f"address in another province than the folder's ({folder_province})"),
        required("person_status"),
        Rule("person_status", "known_status", lambda: pl.col("person_status").is_in(PERSON_STATUSES).fill_null(True),
             "person_status must be one of 0, 1, 4, 8, 9, 11, 12"),
    ]
