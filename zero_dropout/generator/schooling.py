"""True school careers per term and the MOE records they leave behind."""

from __future__ import annotations

import numpy as np
import polars as pl

from zero_dropout import areas, thai_id
from zero_dropout.generator.names import names_from_index, sample_name_index
from zero_dropout.generator.population import choice
from zero_dropout.terms import Term

AGES = np.arange(0, 40)
# probability of being in school in the first term, by age in years
_ENROL = {3: 0.70, 4: 0.85, 5: 0.90, 6: 0.97, 7: 0.98, 8: 0.98, 9: 0.98, 10: 0.98, 11: 0.975, 12: 0.96,
          13: 0.95, 14: 0.94, 15: 0.86, 16: 0.82, 17: 0.78, 18: 0.45, 19: 0.10, 20: 0.05, 21: 0.03}
ENROL_P = np.array([_ENROL.get(a, 0.0) for a in AGES])
# per term: leaving school (in -> out) and entering or returning (out -> in)
DROP_P = np.where(AGES < 15, 0.008, np.where(AGES < 18, 0.03, 0.25))
ENTER_P = np.where(AGES <= 6, 0.5, np.where(AGES < 18, 0.08, 0.01))
ENTER_P[AGES < 3] = 0.0
NON_THAI_FACTOR = 0.8
NOT_SCHOOLABLE_STATUSES = (1, 4, 11, 12)  # dead, abroad, reported dead, renounced: no MOE record
MIDTERM_TRANSFER = 0.02
LEAVER_RECORD = 0.6  # a child who left keeps a record with a leaving status in the term they left

AFFILIATIONS = {"10": 0.76, "11": 0.09, "30": 0.07, "12": 0.03, "13": 0.04, "70": 0.005, "55": 0.005}
STATUS_TH = {"studying": "กำลังศึกษา", "transferred out": "ย้ายออก", "dropped out": "ออกกลางคัน",
             "graduated": "จบการศึกษา", "suspended": "แขวนลอย"}
TITLE_SHORT = {(1, True): "ด.ช.", (2, True): "ด.ญ.", (1, False): "นาย", (2, False): "น.ส."}
TITLE_LONG = {(1, True): "เด็กชาย", (2, True): "เด็กหญิง", (1, False): "นาย", (2, False): "นางสาว"}


def simulate_careers(rng: np.random.Generator, people: pl.DataFrame, terms: tuple[Term, ...]) -> pl.DataFrame:
    """In-school flag per person and term (the ground truth), one row per (person, term)."""
    n = people.height
    by = people["birth_year_be"].to_numpy()
    status = people["person_status"].to_numpy()
    schoolable = ~np.isin(status, NOT_SCHOOLABLE_STATUSES)
    factor = np.where(people["non_thai"].to_numpy(), NON_THAI_FACTOR, 1.0)
    frames, prev = [], None
    for term in terms:
        age = np.clip(term.year_be - by, 0, len(AGES) - 1)
        r = rng.random(n)
        if prev is None:
            now = r < ENROL_P[age] * factor
        else:
            now = np.where(prev, r > DROP_P[age], r < ENTER_P[age] * factor)
        now &= schoolable
        # in the first term loaded, some out-of-school children left earlier in the same year
        left = (prev & ~now) if prev is not None else (~now & schoolable & (age >= 7) & (rng.random(n) < 0.3))
        frames.append(pl.DataFrame({"citizen_id": people["citizen_id"], "term": str(term), "in_school": now,
                                    "left_school": left}))
        prev = now
    return pl.concat(frames)


def grade(age: pl.Expr, affiliation: pl.Expr) -> pl.Expr:
    """Grade written in the MOE export for a child of this age in this affiliation."""
    return (
        pl.when(affiliation == "12").then(pl.lit("ม.ปลาย"))
        .when((affiliation == "13") & (age >= 15)).then(pl.format("ปวช.{}", (age - 14).clip(1, 3)))
        .when(age <= 5).then(pl.format("อ.{}", (age - 2).clip(1, 3)))
        .when(age <= 11).then(pl.format("ป.{}", age - 5))
        .otherwise(pl.format("ม.{}", (age - 11).clip(1, 6)))
    )


def moe_records(
    rng: np.random.Generator,
    people: pl.DataFrame,
    careers: pl.DataFrame,
    term: Term,
    all_provinces: tuple[str, ...],
    other_province_school: float,
) -> pl.DataFrame:
    """True (noise-free) MOE records of one term for one province's registry people."""
    cur = careers.filter(pl.col("term") == str(term))
    base = people.join(cur, on="citizen_id")
    n = base.height
    home_school = rng.integers(0, 40, n)  # a child's school among those of its amphoe
    affiliation = choice(rng, AFFILIATIONS, n)
    age = term.year_be - base["birth_year_be"].to_numpy()
    affiliation = np.where((affiliation == "13") & (age < 15), "10", affiliation)
    affiliation = np.where((affiliation == "12") & (age < 15), "10", affiliation)
    away = rng.random(n) < other_province_school
    other = [p for p in areas.province_codes() if p not in all_provinces] or list(areas.province_codes())
    away_province = np.array(sorted(other))[rng.integers(0, len(other), n)]
    transfer = rng.random(n) < MIDTERM_TRANSFER
    leaver_kind = rng.choice(np.array(["dropped out", "transferred out", "suspended"]), n, p=[0.6, 0.25, 0.15])
    has_leaver_record = base["left_school"].to_numpy() & (rng.random(n) < LEAVER_RECORD)

    frame = base.with_columns(
        pl.Series("affiliation", affiliation),
        pl.Series("school_seq", home_school),
        pl.Series("away", away),
        pl.Series("away_province", away_province),
        pl.Series("transfer", transfer),
        pl.Series("leaver_kind", leaver_kind),
        pl.Series("leaver_record", has_leaver_record),
        pl.lit(str(term)).alias("term"),
        (pl.lit(term.year_be) - pl.col("birth_year_be")).alias("age"),
    )
    school_province = pl.when(pl.col("away")).then(pl.col("away_province")).otherwise(pl.col("province_code"))
    amphoe2 = pl.col("tambon_code").str.slice(2, 2)
    school_code = pl.format("{}{}{}{}", pl.col("affiliation"), school_province, amphoe2,
                            pl.col("school_seq").cast(pl.String).str.zfill(4))
    studying = frame.filter(pl.col("in_school")).with_columns(
        school_province.alias("school_province"), school_code.alias("school_code"),
        pl.when((pl.col("age") >= 18) & (pl.lit(term.semester) == 1)).then(pl.lit("graduated"))
        .otherwise(pl.lit("studying")).alias("enrollment_status"),
    )
    # a mid-term transfer leaves a 'transferred out' record at the old school
    moved_from = studying.filter(pl.col("transfer")).with_columns(
        pl.format("{}{}", pl.col("school_code").str.slice(0, 6),
                  ((pl.col("school_seq") + 1) % 10000 + 4000).cast(pl.String).str.zfill(4)).alias("school_code"),
        pl.lit("transferred out").alias("enrollment_status"),
    )
    leavers = frame.filter(~pl.col("in_school") & pl.col("leaver_record")).with_columns(
        school_province.alias("school_province"), school_code.alias("school_code"),
        pl.col("leaver_kind").alias("enrollment_status"),
    )
    cols = ["citizen_id", "province_code", "term", "age", "sex", "first_name", "last_name", "birth_date",
            "school_code", "school_province", "affiliation", "enrollment_status", "tambon_code"]
    out = pl.concat([studying.select(cols), moved_from.select(cols), leavers.select(cols)])
    return out.with_columns(pl.lit("registry").alias("person_kind"))


def extra_students(
    rng: np.random.Generator, n: int, kind: str, term: Term, province: str, id_seq: np.ndarray | None = None
) -> pl.DataFrame:
    """Students who are in no generated registry: G-code students or children of other provinces."""
    sex = rng.choice(np.array([1, 2], dtype=np.int8), size=n)
    male = names_from_index("male", sample_name_index(rng, "male", n, 0.8))
    female = names_from_index("female", sample_name_index(rng, "female", n, 0.8))
    family = names_from_index("family", sample_name_index(rng, "family", n, 0.6))
    age = rng.integers(4, 18, n)
    birth = (
        ((term.year_be - 543 - age) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        + rng.integers(0, 365, n).astype("timedelta64[D]")
    )
    if kind == "gcode":
        ids = pl.Series(rng.choice(10**8, n, replace=False)).cast(pl.String).str.zfill(8)
        sid = pl.format("G{}{}{}", pl.lit(str(term.year_be)[2:]), pl.lit(province), pl.lit(ids))
        school_province = pl.lit(province)
    else:
        other = sorted(areas.amphoes()["amphoe_code"].cast(pl.Int64).to_list())
        office = np.array(other)[rng.integers(0, len(other), n)]
        first12 = rng.choice(np.array([1, 2]), n) * 10**11 + office * 10**7 + id_seq
        digits12 = (first12[:, None] // 10 ** np.arange(11, -1, -1)) % 10
        sid = thai_id.number_to_str_expr(pl.lit(first12 * 10 + thai_id.check_digits_np(digits12)))
        school_province = pl.lit(pl.Series(office // 100)).cast(pl.String)
    tambons = areas.tambons()["tambon_code"].to_numpy()
    frame = pl.DataFrame({"sex": sex, "age": age, "birth_date": birth, "male": male, "female": female, "family": family,
                          "seq": rng.integers(0, 40, n), "aff": choice(rng, {"10": 0.85, "11": 0.1, "30": 0.05}, n),
                          "tambon_code": tambons[rng.integers(0, len(tambons), n)]})
    return frame.select(
        sid.alias("citizen_id"),
        pl.lit(None, pl.String).alias("province_code"),
        pl.lit(str(term)).alias("term"),
        pl.col("age").cast(pl.Int32),
        "sex",
        pl.when(pl.col("sex") == 1).then("male").otherwise("female").alias("first_name"),
        pl.col("family").alias("last_name"),
        pl.col("birth_date").cast(pl.Date),
        pl.format("{}{}{}", "aff", school_province, pl.col("seq").cast(pl.String).str.zfill(6)).alias("school_code"),
        school_province.alias("school_province"),
        pl.col("aff").alias("affiliation"),
        pl.lit("studying").alias("enrollment_status"),
        "tambon_code",
        pl.lit(kind).alias("person_kind"),
    )
