"""Aid payments and juvenile justice records: what a provincial fund office and an observation and protection
centre export about the province's children, with the truth of each row."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zero_dropout.terms import BE_OFFSET, Term

# programme -> (amount in baht, who it goes to)
AMOUNTS = {"cct": 800.0, "return_to_school": 4000.0, "provincial_fund": 1500.0, "scholarship": 5000.0}
PROGRAMME_TH = {"cct": "ทุนเสมอภาค", "return_to_school": "เงินกลับเข้าเรียน", "provincial_fund": "กองทุนจังหวัด",
                "scholarship": "ทุนการศึกษา", "other": "อื่นๆ"}
PAYERS = np.array(["กสศ.", "อบจ.", "สพป.", "มูลนิธิ", "กองทุนจังหวัด"])
FACILITIES = np.array(["สถานพินิจและคุ้มครองเด็กและเยาวชนจังหวัด", "ศูนย์ฝึกและอบรมเด็กและเยาวชน"])
AID_EN = ["payment_id", "pid", "title", "fname", "lname", "birth_date", "programme", "amount", "paid_date", "payer"]
AID_TH = ["เลขที่รายการ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "วันเกิด", "โครงการ", "จำนวนเงิน",
          "วันที่จ่าย", "หน่วยงานที่จ่าย"]
JUSTICE_EN = ["case_id", "pid", "title", "fname", "lname", "sex", "dob", "facility", "admitted", "released"]
JUSTICE_TH = ["เลขคดี", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ", "วันเกิด", "สถานที่", "วันที่รับตัว",
              "วันที่ปล่อยตัว"]


def aid_payments(rng: np.random.Generator, people: pl.DataFrame, status: pl.DataFrame, term: Term,
                 previous: Term | None) -> pl.DataFrame:
    """True payments of one province and term: cct to some poor children in school, the return-to-school payment
    to most children back in school, the provincial fund to some out of school, scholarships to some older
    students, and a few payments to children the registry does not hold (no link is right for those)."""
    now = status.filter(pl.col("term") == str(term)).select("citizen_id", pl.col("in_target").alias("__target"),
                                                            pl.col("category").alias("__category"))
    base = people.join(now, on="citizen_id", how="left")
    if previous is not None:
        before = status.filter((pl.col("term") == str(previous)) & pl.col("in_target")).select(
            "citizen_id", (pl.col("category") != "in_school").alias("was_out"))
        base = base.join(before, on="citizen_id", how="left")
    else:
        base = base.with_columns(pl.lit(None, pl.Boolean).alias("was_out"))
    n = base.height
    r = pl.Series(rng.random(n))
    age = term.year_be - pl.col("birth_year_be")
    in_school = pl.col("__category") == "in_school"
    target = pl.col("__target").fill_null(False)
    out_target = target & ~in_school
    returned = target & in_school & pl.col("was_out").fill_null(False)
    programme = (pl.when(returned & (r < 0.7)).then(pl.lit("return_to_school"))
                 .when(target & in_school & (r < 0.08)).then(pl.lit("cct"))
                 .when(out_target & (r < 0.10)).then(pl.lit("provincial_fund"))
                 .when(in_school & age.is_between(12, 21) & (r > 0.98)).then(pl.lit("scholarship")))
    paid = base.with_columns(programme.alias("programme")).filter(pl.col("programme").is_not_null()).drop(
        "__target", "__category", "was_out")
    # a few children in receipt of both the return payment and cct
    both = paid.filter(pl.col("programme") == "return_to_school").sample(fraction=0.2, seed=int(rng.integers(2**31)))
    paid = pl.concat([paid, both.with_columns(pl.lit("cct").alias("programme"))])
    m = paid.height
    start = np.datetime64(term.start)
    days = rng.integers(10, 120, m).astype("timedelta64[D]")
    paid = paid.with_columns(
        pl.col("citizen_id").alias("true_citizen_id"),
        pl.col("programme").replace_strict(AMOUNTS, return_dtype=pl.Float64).alias("amount_baht"),
        pl.Series("paid_date", start + days).cast(pl.Date),
        pl.Series("payer_org", PAYERS[rng.integers(0, len(PAYERS), m)]),
    )
    return paid.sort("true_citizen_id", "programme")


def justice_cases(rng: np.random.Generator, people: pl.DataFrame, terms: tuple[Term, ...], rate: float) -> pl.DataFrame:
    """True cases of one province: some young people aged 12-19 admitted at some time from half a year before the
    first loaded term to the end of the last; about 40 % still held. Each case carries the term whose folder it is
    exported in (the term its admission falls in, or the first loaded term for an earlier one)."""
    first, last = terms[0], terms[-1]
    age = last.year_be - pl.col("birth_year_be")
    young = people.filter(age.is_between(12, 19) & pl.col("person_status").is_in([0, 8]))
    pick = young.filter(pl.Series(rng.random(young.height) < rate))
    m = pick.height
    span_from = np.datetime64(first.start - dt.timedelta(days=180))
    span_days = (last.end - first.start).days + 180
    admitted = span_from + rng.integers(0, span_days, m).astype("timedelta64[D]")
    held = rng.random(m) < 0.4
    stay = rng.integers(20, 300, m).astype("timedelta64[D]")
    released = np.where(held, np.datetime64("NaT"), admitted + stay)
    frame = pick.with_columns(
        pl.col("citizen_id").alias("true_citizen_id"),
        pl.Series("admitted_date", admitted).cast(pl.Date),
        pl.Series("released_date", released).cast(pl.Date),
        pl.Series("facility", FACILITIES[rng.integers(0, len(FACILITIES), m)]),
    )
    folder = pl.lit(str(first))
    for t in terms[1:]:
        folder = pl.when(pl.col("admitted_date") >= pl.lit(t.start)).then(pl.lit(str(t))).otherwise(folder)
    return frame.with_columns(folder.alias("folder_term")).sort("true_citizen_id")


def strangers(rng: np.random.Generator, n: int, like: pl.DataFrame) -> pl.DataFrame:
    """Payments or cases of children the registry does not hold: names recombined, no ID."""
    if n == 0 or like.height == 0:
        return like.head(0)
    rows = like.sample(n, with_replacement=True, seed=int(rng.integers(2**31)))
    shuffled = like.sample(n, with_replacement=True, seed=int(rng.integers(2**31)))
    return rows.with_columns(shuffled["first_name"].alias("first_name"), pl.lit(None, pl.String).alias("true_citizen_id"),
                             (pl.col("birth_date") + pl.duration(days=int(rng.integers(40, 400)))).alias("birth_date"))


def be_date(d: pl.Expr) -> pl.Expr:
    return pl.format("{}/{}/{}", d.dt.day().cast(pl.String).str.zfill(2), d.dt.month().cast(pl.String).str.zfill(2),
                     (d.dt.year() + BE_OFFSET).cast(pl.String))


def amount_text(amount: pl.Expr, style: pl.Expr) -> pl.Expr:
    """How people write an amount: 800, 1,200.50, 4000.00, 800 บาท."""
    whole = amount.cast(pl.Int64).cast(pl.String)
    grouped = pl.when(amount >= 1000).then(pl.format("{},{}", (amount // 1000).cast(pl.Int64).cast(pl.String),
                                                            (amount % 1000).cast(pl.Int64).cast(pl.String).str.zfill(3)))
    return (pl.when(style == 0).then(whole)
            .when(style == 1).then(pl.coalesce(pl.format("{}.00", grouped), pl.format("{}.00", whole)))
            .when(style == 2).then(pl.format("{} บาท", whole))
            .otherwise(pl.format("{}.00", whole)))
