"""What a published link carries from its record besides the rule and evidence: the MOE enrolment detail
and the survey team's findings."""

from __future__ import annotations

import polars as pl

from matching.blocking import RECORD_KEY

MOE_DETAIL = {"enrollment_status": "enrollment_status_canonical", "school_code": "school_code", "school_name": "school_name",
              "school_province": "school_province", "affiliation": "affiliation", "grade": "grade"}
SURVEY_FINDINGS = {"found_status": "found_status_canonical", "reason": "reason_canonical", "need": "need_canonical",
                   "survey_date": "survey_full_date"}


def _carry(links: pl.DataFrame, records: pl.LazyFrame, columns: dict[str, str]) -> pl.DataFrame:
    detail = records.select(*RECORD_KEY, *[pl.col(src).alias(out) for out, src in columns.items()]).join(
        links.lazy().select(RECORD_KEY), on=RECORD_KEY, how="semi").collect()
    return links.join(detail, on=RECORD_KEY, how="left")


def with_moe_detail(links: pl.DataFrame, students: pl.LazyFrame) -> pl.DataFrame:
    """MOE links with the record's enrolment status, school and grade."""
    return _carry(links, students, MOE_DETAIL)


def with_survey_findings(links: pl.DataFrame, responses: pl.LazyFrame) -> pl.DataFrame:
    """Survey links with what the field team found, the reason, the need and the visit date."""
    return _carry(links, responses, SURVEY_FINDINGS)
