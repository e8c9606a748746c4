"""How other tools write the same exports: other header spellings, typed cells, other date forms.

The default style writes what the project's own samples hold. The ``other_tools`` style rewrites each
MOE and survey file as another office's software would: headers are other aliases the contract names,
a spreadsheet keeps dates as date cells and IDs as numbers (a category-0 ID loses its leading zero, a
G-code or a mangled ID becomes an empty cell), ages as numbers; a text export writes each date in one
of the forms people type (Thai month names short or long, two-digit BE years, Excel serials, ISO
date-times, CE day/month/year, BE ISO) and some IDs without their leading zero.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zero_dropout.terms import BE_OFFSET, EXCEL_EPOCH

STYLES = ("standard", "other_tools")

# other spellings the contract's alias lists allow, by canonical field
OTHER_HEADERS = {
    "moe": {"student_id": "id", "title": "คำนำหน้าชื่อ", "first_name": "first_name", "last_name": "ชื่อสกุล",
            "sex": "sex", "birth_date": "dob", "school_code": "school_code", "school_name": "ชื่อโรงเรียน",
            "affiliation": "affiliation", "school_province": "school_province", "grade": "grade",
            "enrollment_status": "enrollment_status"},
    "survey": {"survey_id": "survey_id", "survey_date": "survey_date", "surveyor_org": "surveyor_org",
               "citizen_id": "เลขบัตรประชาชน", "title": "คำนำหน้าชื่อ", "first_name": "first_name",
               "last_name": "ชื่อสกุล", "sex": "sex", "birth_date": "วันเดือนปีเกิด", "age": "age",
               "address_code": "address_code", "house_no": "house_no", "found_status": "found_status",
               "reason": "สาเหตุ", "need": "ความต้องการ", "lat": "ละติจูด", "lon": "ลองจิจูด", "photo_ref": "photo_ref"},
}
THAI_MONTHS_SHORT = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
THAI_MONTHS_LONG = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
                    "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
DATE_FORMS = ("thai_short", "thai_long", "thai_short_yy", "excel_serial", "iso_datetime", "ce_dmy", "be_iso")


def date_text(d: pl.Expr, form: pl.Expr) -> pl.Expr:
    """A Date written in the form named by ``form`` (one of DATE_FORMS)."""
    day, month, be = d.dt.day().cast(pl.String), d.dt.month(), (d.dt.year() + BE_OFFSET).cast(pl.String)
    short = month.replace_strict(dict(enumerate(THAI_MONTHS_SHORT, start=1)), return_dtype=pl.String)
    long = month.replace_strict(dict(enumerate(THAI_MONTHS_LONG, start=1)), return_dtype=pl.String)
    serial = (d - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
    return (
        pl.when(form == "thai_short").then(pl.format("{} {} {}", day, short, be))
        .when(form == "thai_long").then(pl.format("{} {} {}", day, long, be))
        .when(form == "thai_short_yy").then(pl.format("{} {} {}", day, short, be.str.slice(2, 2)))
        .when(form == "excel_serial").then(serial)
        .when(form == "iso_datetime").then(d.dt.strftime("%Y-%m-%d 00:00:00"))
        .when(form == "ce_dmy").then(pl.format("{}/{}/{}", day, month.cast(pl.String), d.dt.year().cast(pl.String)))
        .otherwise(pl.format("{}-{}", be, d.dt.strftime("%m-%d")))
    )


def restyle(frame: pl.DataFrame, source: str, headers: list[str], dates: dict[str, pl.Series], rng: np.random.Generator,
            typed: bool) -> pl.DataFrame:
    """Rewrite a text export (columns named ``headers``, canonical order) as another tool would.

    ``dates``: canonical field -> the true Date of each row (null where the export leaves it empty).
    """
    canon = list(OTHER_HEADERS[source])
    named = frame.rename(dict(zip(headers, canon)))
    n = named.height
    id_field = "student_id" if source == "moe" else "citizen_id"
    ids = pl.col(id_field)
    cols = {}
    for field, values in dates.items():
        if typed:
            cols[field] = pl.lit(values)
        else:
            forms = pl.Series(np.array(DATE_FORMS)[rng.integers(0, len(DATE_FORMS), n)])
            cols[field] = pl.when(named[field].is_null()).then(None).otherwise(date_text(pl.lit(values), pl.lit(forms)))
    if typed:
        cols[id_field] = ids.cast(pl.Int64, strict=False)  # a number cell: leading zero lost, text lost
        if "age" in named.columns:
            cols["age"] = pl.col("age").cast(pl.Int64, strict=False)
    else:
        drop_zero = pl.lit(pl.Series(rng.random(n) < 0.5))
        cols[id_field] = pl.when(drop_zero & ids.str.contains(r"^0[0-9]{12}$")).then(ids.str.slice(1)).otherwise(ids)
    out = named.with_columns(**{k: v.alias(k) for k, v in cols.items()})
    return out.rename(OTHER_HEADERS[source])
