"""Field survey export: what a team found at a house. IDs are often missing or mistyped and are
kept as evidence, not required. A visit that still identifies a child is never quarantined for a field
the linker can do without (visit date, birth date or age that cannot be read, an address code that
names no tambon, house number, coordinates, photo reference, an unknown reason or need): that field
becomes null and the row's ``data_issues`` says what was wrong."""

from __future__ import annotations

import polars as pl

from schemas.rules import (
    ADDRESS_PARTS, TAMBON_PARTS, Rule, address_form, birth_date_rules, date_parts, known_value as _known, max_chars,
    record_of_a_child, repairable, required, tambon_exists,
)


def rules(folder_province: str | None = None) -> list[Rule]:
    return [
        *record_of_a_child("survey_id"),
        *repairable(max_chars("house_no"), "house_no"),
        *repairable(max_chars("surveyor_org", 300), "surveyor_org"),
        *repairable(max_chars("photo_ref", 500), "photo_ref"),
        *repairable(birth_date_rules("survey", "survey_date"), *date_parts("survey")),
        *repairable(Rule("age", "plausible_age", lambda: pl.col("age").is_between(0, 30).fill_null(True), "age must be 0-30"), "age"),
        *repairable(tambon_exists(), *TAMBON_PARTS),
        *repairable([address_form(), Rule(
            "address_code", "province_matches_folder",
            lambda: (pl.col("address_province") == folder_province).fill_null(True) if folder_province else pl.lit(True),
            f"address in another province than the folder's ({folder_province})")], *ADDRESS_PARTS),
        *repairable(Rule("lat", "latitude", lambda: ~pl.col("lat_unparsed") & pl.col("lat").is_between(-90, 90).fill_null(True),
                         "lat must be a number of degrees, -90 to 90"), "lat"),
        *repairable(Rule("lon", "longitude", lambda: ~pl.col("lon_unparsed") & pl.col("lon").is_between(-180, 180).fill_null(True),
                         "lon must be a number of degrees, -180 to 180"), "lon"),
        required("found_status"),
        _known("found_status", "found, not found, moved, deceased, studying elsewhere"),
        *repairable(_known("reason", "poverty, family, work, disability, health, pregnancy, migration, behaviour, transport, other"),
                    "reason_canonical"),
        *repairable(_known("need", "return to school, flexible learning / กศน., vocational training, scholarship, none"),
                    "need_canonical"),
    ]
