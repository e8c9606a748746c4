"""What a published link carries from its record besides the rule and evidence: the MOE enrolment detail,
the survey team's findings and field evidence, what an aid payment paid, a justice case's dates."""

from __future__ import annotations

import polars as pl

from matching.blocking import RECORD_KEY

MOE_DETAIL = {"enrollment_status": "enrollment_status_canonical", "school_code": "school_code", "school_name": "school_name",
              "school_province": "school_province", "affiliation": "affiliation", "grade": "grade"}
SURVEY_FINDINGS = {"found_status": "found_status_canonical", "reason": "reason_canonical", "need": "need_canonical",
                   "survey_date": "survey_full_date", "photo_ref": "photo_ref", "lat": "lat", "lon": "lon"}
AID_DETAIL = {"payment_id": "payment_id", "programme": "programme_canonical", "amount_baht": "amount_baht",
              "paid_date": "paid_full_date", "payer_org": "payer_org"}
JUSTICE_DETAIL = {"case_id": "case_id", "facility": "facility", "admitted_date": "admitted_full_date",
                  "released_date": "released_full_date"}


def _carry(links: pl.DataFrame, records: pl.LazyFrame, columns: dict[str, str]) -> pl.DataFrame:
    detail = records.select(*RECORD_KEY, *[pl.col(src).alias(out) for out, src in columns.items()]).join(
        links.lazy().select(RECORD_KEY), on=RECORD_KEY, how="semi").collect()
    return links.join(detail, on=RECORD_KEY, how="left")


def positions(sorted_numbers: pl.Series, wanted: pl.Series) -> pl.Series:
    """Where each of ``wanted`` is found in ``sorted_numbers`` (every position of a number found more than once;
    none for a number not there): two binary searches instead of a join over a large frame."""
    spans = pl.DataFrame({"lo": sorted_numbers.search_sorted(wanted, "left"),
                          "hi": sorted_numbers.search_sorted(wanted, "right")})
    return spans.filter(pl.col("hi") > pl.col("lo")).select(pl.int_ranges("lo", "hi").explode())["lo"]


class RecordIndex:
    """The rows of a large frame of records (a term's national MOE export) found by record key without reading
    the frame: each key as one number (the file and sheet numbered, then the row), sorted once; a province's
    links look theirs up (a semi join probed all 11 M records for each province)."""

    def __init__(self, records: pl.DataFrame, columns: dict[str, str]):
        self.files = records.select("source_file", "source_sheet").unique(maintain_order=True).with_row_index("file_no")
        self.detail = records.select(*RECORD_KEY, *[pl.col(src).alias(out) for out, src in columns.items()])
        number = self._numbers(records.select(RECORD_KEY))
        self.order = number.arg_sort()
        self.sorted = number.gather(self.order)

    def _numbers(self, keys: pl.DataFrame) -> pl.Series:
        numbered = keys.join(self.files, on=["source_file", "source_sheet"], how="left", maintain_order="left")
        return numbered.select(pl.col("file_no").cast(pl.Int64) * (1 << 40) + pl.col("source_row")).to_series()

    def rows(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The records of ``keys`` (a record key found once in the frame gives one row; an unknown key none)."""
        at = positions(self.sorted, self._numbers(keys.select(RECORD_KEY)).drop_nulls())
        return self.detail[self.order.gather(at.unique().sort())]


def with_moe_detail(links: pl.DataFrame, students: pl.LazyFrame, index: RecordIndex | None = None) -> pl.DataFrame:
    """MOE links with the record's enrolment status, school and grade (``index``: ``moe_index`` of the same
    students, for many provinces linked against one national export)."""
    if index is None:
        return _carry(links, students, MOE_DETAIL)
    return links.join(index.rows(links), on=RECORD_KEY, how="left")


def moe_index(students: pl.DataFrame) -> RecordIndex:
    return RecordIndex(students, MOE_DETAIL)


def with_survey_findings(links: pl.DataFrame, responses: pl.LazyFrame) -> pl.DataFrame:
    """Survey links with what the field team found, the reason, the need and the visit date."""
    return _carry(links, responses, SURVEY_FINDINGS)


def _every_record(links: pl.DataFrame, records: pl.LazyFrame, columns: dict[str, str], source: str) -> pl.DataFrame:
    """Every record with its detail, and its link where it has one (citizen_id null where it has none)."""
    have = records.collect_schema().names()
    detail = records.select(*RECORD_KEY, *[(pl.col(src) if src in have else pl.lit(None)).alias(out)
                                           for out, src in columns.items()]).collect()
    return detail.join(links.drop("source", strict=False), on=RECORD_KEY, how="left").with_columns(
        pl.lit(source).alias("source"))


def aid_payments(links: pl.DataFrame, payments: pl.LazyFrame) -> pl.DataFrame:
    """Every payment with programme, amount, date and payer, and the child it is linked to."""
    return _every_record(links, payments, AID_DETAIL, "aid")


def justice_cases(links: pl.DataFrame, cases: pl.LazyFrame) -> pl.DataFrame:
    """Every justice case with facility and dates, and the child it is linked to."""
    return _every_record(links, cases, JUSTICE_DETAIL, "justice")
