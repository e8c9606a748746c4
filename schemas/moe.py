"""MOE student export. A mistyped, blank or mangled ID does not reject the row: the record is
kept for name and birth-date matching and its ``id_kind`` says what was wrong. A birth date or a
school field that cannot be read becomes null and is noted in ``data_issues``; the row is
quarantined only when it then identifies nobody (no ID, and no name with a birth year) or its
enrolment status is unknown (the status decides in or out of school)."""

from __future__ import annotations

import polars as pl

from zero_dropout.standardize import FIRST_IN_FILE
from schemas.rules import Rule, birth_date_rules, date_parts, max_chars, readable_text, repairable, required
from zero_dropout import areas

AFFILIATIONS = ("10", "11", "12", "13", "14", "30", "31", "55", "56", "57", "58", "70")


def rules() -> list[Rule]:
    provinces = sorted(areas.province_codes())
    return [
        readable_text(),
        *repairable(birth_date_rules(), *date_parts("birth")),
        Rule("student_id", "identity_present",
             lambda: (pl.col("id_kind") != "missing") | (pl.col("first_name").is_not_null() & pl.col("birth_year_be").is_not_null()),
             "no ID and no name with a birth date: the record cannot be linked to anyone"),
        max_chars("first_name"), max_chars("last_name"), max_chars("title"),
        *repairable(max_chars("school_name", 300), "school_name"),
        *repairable(required("school_code"), "school_code"),
        *repairable(Rule("school_code", "ten_digits", lambda: pl.col("school_code").str.contains(r"^[0-9]{10}$").fill_null(True),
                         "school_code must be 10 digits"), "school_code"),
        *repairable(Rule("affiliation", "known_affiliation", lambda: pl.col("affiliation").is_in(AFFILIATIONS).fill_null(True),
                         "affiliation must be one of " + ", ".join(AFFILIATIONS)), "affiliation"),
        *repairable(Rule("school_province", "known_province", lambda: pl.col("school_province").is_in(provinces).fill_null(True),
                         "school_province is no DOPA province code"), "school_province"),
        required("enrollment_status"),
        Rule("enrollment_status", "known_status",
             lambda: pl.col("enrollment_status_canonical").is_not_null() | pl.col("enrollment_status").is_null(),
             "status must be studying, transferred out, dropped out, graduated or suspended (Thai or English)"),
        Rule("student_id", "not_repeated_row", lambda: pl.col(FIRST_IN_FILE),
             "the same record (ID, name, birth date, school, status) appears on an earlier row"),
    ]
