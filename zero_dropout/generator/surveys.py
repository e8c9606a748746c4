"""Field survey records: what กศน. teachers and อสม. volunteers write down at the door."""

from __future__ import annotations

import numpy as np
import polars as pl

from zero_dropout.generator.population import choice
from zero_dropout.terms import Term

FOUND = {"found": 0.78, "not found": 0.12, "moved": 0.08, "deceased": 0.01, "studying elsewhere": 0.01}
REASONS = {"poverty": 0.3, "family": 0.18, "work": 0.12, "disability": 0.07, "health": 0.06, "pregnancy": 0.04,
           "migration": 0.08, "behaviour": 0.05, "transport": 0.05, "other": 0.05}
NEEDS = {"return to school": 0.35, "flexible learning / กศน.": 0.3, "vocational training": 0.15,
         "scholarship": 0.12, "none": 0.08}
ORGS = np.array(["กศน.อำเภอ", "อสม.", "อบต.", "โรงเรียน", "พมจ."])
FOUND_TH = {"found": "พบตัว", "not found": "ไม่พบตัว", "moved": "ย้ายที่อยู่", "deceased": "เสียชีวิต",
            "studying elsewhere": "กำลังศึกษาที่อื่น"}
REASON_TH = {"poverty": "ความยากจน", "family": "ปัญหาครอบครัว", "work": "ต้องทำงาน", "disability": "ความพิการ",
             "health": "ปัญหาสุขภาพ", "pregnancy": "ตั้งครรภ์", "migration": "ย้ายถิ่น", "behaviour": "ปัญหาพฤติกรรม",
             "transport": "การเดินทาง", "other": "อื่นๆ"}
NEED_TH = {"return to school": "กลับเข้าเรียน", "flexible learning / กศน.": "การศึกษายืดหยุ่น/กศน.",
           "vocational training": "ฝึกอาชีพ", "scholarship": "ทุนการศึกษา", "none": "ไม่ต้องการ"}


def survey_records(
    rng: np.random.Generator, people: pl.DataFrame, status: pl.DataFrame, term: Term, coverage: float
) -> pl.DataFrame:
    """True survey visits of one province and term.

    Field teams visit most of the out-of-school target children they can reach,
    a few in-school ones (often wrongly listed) and some who moved away.
    """
    st = status.filter(pl.col("term") == str(term)).select("citizen_id", "in_target", pl.col("category").alias("truth_category"))
    base = people.join(st, on="citizen_id", how="left")
    r = pl.Series(rng.random(base.height))
    out_target = base["in_target"].fill_null(False) & (base["truth_category"] != "in_school")
    in_target_school = base["in_target"].fill_null(False) & (base["truth_category"] == "in_school")
    moved = base["person_status"] == 9
    visit = (out_target & (r < coverage)) | (in_target_school & (r < 0.01)) | (moved & (r < 0.1))
    v = base.filter(visit)
    n = v.height
    found = choice(rng, FOUND, n)
    found = np.where(v["person_status"].to_numpy() == 9, "moved", found)
    found = np.where(v["truth_category"].to_numpy() == "in_school", "studying elsewhere", found)
    reason = choice(rng, REASONS, n)
    need = choice(rng, NEEDS, n)
    start = np.datetime64(term.snapshot_date) + np.timedelta64(10, "D")
    when = start + rng.integers(0, 90, n).astype("timedelta64[D]")
    return v.with_columns(
        pl.Series("survey_date", when).cast(pl.Date),
        pl.Series("surveyor_org", ORGS[rng.integers(0, len(ORGS), n)]),
        pl.Series("found_status", found),
        pl.when(pl.Series(found) == "found").then(pl.Series(reason)).otherwise(None).alias("reason"),
        pl.when(pl.Series(found) == "found").then(pl.Series(need)).otherwise(None).alias("need"),
        pl.lit(str(term)).alias("term"),
        (pl.lit(term.year_be) - pl.col("birth_year_be")).alias("age"),
    ).with_columns(*_field_evidence(rng, v["province_code"].cast(pl.Int64).to_numpy(), found))


def _field_evidence(rng: np.random.Generator, provinces: np.ndarray, found: np.ndarray) -> list[pl.Series]:
    """Where the app recorded the visit and the photo it took: most visits that found the child have both, a
    few others coordinates only. Points lie in a box around a place of the province (synthetic, no real home)."""
    n = len(found)
    code = provinces
    base_lat, base_lon = 13.0 + (code % 7) * 0.9, 98.5 + (code % 11) * 0.55
    lat = np.round(base_lat + rng.random(n) * 0.8, 6)
    lon = np.round(base_lon + rng.random(n) * 0.8, 6)
    with_point = rng.random(n) < np.where(found == "found", 0.8, 0.3)
    with_photo = with_point & (rng.random(n) < 0.75)
    photo = np.char.add(np.char.add("IMG_", np.char.mod("%06d", rng.integers(0, 10**6, n))), ".jpg")
    return [pl.Series("lat", np.where(with_point, lat, np.nan)).fill_nan(None),
            pl.Series("lon", np.where(with_point, lon, np.nan)).fill_nan(None),
            pl.Series("photo_ref", photo.tolist(), dtype=pl.String).set(pl.Series(~with_photo), None)]
