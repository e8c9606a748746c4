"""Synthetic, contract-conformant inbox with ground truth: a tool for tests, samples and benchmarks.

Everything is drawn with NumPy and built with Polars expressions; nothing runs
Python once per row. The same configuration and seed give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from zero_dropout.generator import aid_justice
from zero_dropout.generator.config import PROFILES, GeneratorConfig, NoiseConfig
from zero_dropout.generator.names import NICKNAMES
from zero_dropout.generator.noise import birth_date_slips, misspell, mistype_ids, thai_digits
from zero_dropout.generator.population import make_people
from zero_dropout.generator.schooling import (
    STATUS_TH, TITLE_LONG, TITLE_SHORT, extra_students, grade, moe_records, simulate_careers,
)
from zero_dropout.generator.styles import restyle
from zero_dropout.generator.surveys import FOUND_TH, NEED_TH, REASON_TH, survey_records
from zero_dropout.generator.writers import write_form
from zero_dropout.terms import BE_OFFSET, Term

__all__ = ["GeneratorConfig", "NoiseConfig", "PROFILES", "generate", "GenerationSummary"]

IN_SCHOOL_STATUSES = ("studying", "graduated")
NATIONALITY_TH = {"099": "ไทย", "048": "เมียนมา", "056": "ลาว", "057": "กัมพูชา", "000": "ไม่มีสัญชาติ"}

REGISTRY_DOPA = ["pid", "title", "fname", "lname", "sex", "dob", "nat", "hid", "hno", "ccaattmm", "pop_st", "datemi"]
REGISTRY_TH = ["เลขประจำตัวประชาชน", "คำนำหน้าชื่อ", "ชื่อ", "นามสกุล", "เพศ", "วันเดือนปีเกิด", "สัญชาติ",
               "รหัสประจำบ้าน", "บ้านเลขที่", "รหัสที่อยู่", "สถานะบุคคล", "วันที่ย้ายเข้า"]
MOE_EN = ["cid", "title", "fname", "lname", "sex", "birthdate", "school_id", "school_name", "affiliation",
          "school_province", "class", "status"]
MOE_TH = ["เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ", "วันเกิด", "รหัสโรงเรียน", "ชื่อโรงเรียน",
          "สังกัด", "จังหวัดโรงเรียน", "ชั้น", "สถานะ"]
SURVEY_EN = ["survey_id", "survey_date", "org", "pid", "title", "fname", "lname", "sex", "birth_date", "age",
             "ccaattmm", "hno", "status", "reason", "need", "lat", "lon", "photo_ref"]
SURVEY_TH = ["รหัสแบบสำรวจ", "วันที่สำรวจ", "หน่วยงาน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ",
             "วันเกิด", "อายุ", "รหัสที่อยู่", "บ้านเลขที่", "ผลการติดตาม", "สาเหตุ", "ความต้องการ", "lat", "lon", "รูปถ่าย"]


@dataclass
class GenerationSummary:
    registry_rows: int
    moe_rows: int
    survey_rows: int
    files: list[str]


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _be_dmy(d: pl.Expr) -> pl.Expr:
    return pl.format("{}/{}/{}", d.dt.day().cast(pl.String).str.zfill(2), d.dt.month().cast(pl.String).str.zfill(2),
                     (d.dt.year() + BE_OFFSET).cast(pl.String))


def _ce_iso(d: pl.Expr) -> pl.Expr:
    return d.dt.strftime("%Y-%m-%d")


def _title(sex: pl.Expr, child: pl.Expr, long: pl.Expr) -> pl.Expr:
    out = pl.lit(None, pl.String)
    for (s, c), short_t in TITLE_SHORT.items():
        long_t = TITLE_LONG[(s, c)]
        out = pl.when((sex == s) & (child == c)).then(pl.when(long).then(pl.lit(long_t)).otherwise(pl.lit(short_t))).otherwise(out)
    return out


def _place_rows(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    return frame[rng.permutation(frame.height)]


class _Writer:
    """Chooses each file's form so that a mixed inbox holds every form the contract names."""

    def __init__(self, cfg: GeneratorConfig, inbox: Path):
        self.cfg, self.inbox, self.files = cfg, inbox, []

    def form(self, preferred: str, rows: int) -> str:
        if self.cfg.forms == "mixed":
            return "csv_utf8_comma" if preferred == "xlsx" and rows > self.cfg.xlsx_max_rows else preferred
        return "parquet" if self.cfg.forms == "parquet" else "csv_utf8_comma"

    def write(self, frame: pl.DataFrame, folder: Path, stem: str, form: str) -> str:
        path = write_form(frame, folder, stem, form)
        rel = path.relative_to(self.inbox).as_posix()
        self.files.append(rel)
        return rel


def _registry_file(people: pl.DataFrame, rng: np.random.Generator, latest: Term, thai_headers: bool) -> pl.DataFrame:
    n = people.height
    age = latest.year_be - pl.col("birth_year_be")
    r = pl.Series(rng.random(n))
    d = pl.col("birth_date")
    ymd = pl.format("{}{}{}", (d.dt.year() + BE_OFFSET).cast(pl.String), d.dt.month().cast(pl.String).str.zfill(2),
                    d.dt.day().cast(pl.String).str.zfill(2))
    dob = (
        pl.when(r < 0.005).then((d.dt.year() + BE_OFFSET).cast(pl.String))  # year only
        .when(r < 0.015).then(pl.format("{}00", ymd.str.slice(0, 6)))  # day unknown
        .when(r < 0.02).then(pl.format("{}0000", ymd.str.slice(0, 4)))  # day and month unknown
        .otherwise(ymd)
    )
    mi = pl.col("move_in_date")
    datemi = pl.format("{}{}{}", (mi.dt.year() + BE_OFFSET).cast(pl.String), mi.dt.month().cast(pl.String).str.zfill(2),
                       mi.dt.day().cast(pl.String).str.zfill(2))
    central = pl.col("person_status") == 8
    cols = [
        pl.col("citizen_id"),
        _title(pl.col("sex"), age < 15, pl.lit(False)),
        pl.col("first_name"),
        pl.col("last_name"),
        (pl.when(pl.col("sex") == 1).then(pl.lit("ชาย")).otherwise(pl.lit("หญิง")) if thai_headers
         else pl.col("sex").cast(pl.String)),
        dob,
        (pl.col("nationality").replace_strict(NATIONALITY_TH, default=None) if thai_headers else pl.col("nationality")),
        pl.when(central).then(pl.format("{}9999990", pl.col("tambon_code").str.slice(0, 4))).otherwise(pl.col("house_id")),
        pl.when(central).then(None).otherwise(pl.col("house_no")),
        pl.format("{}{}", pl.col("tambon_code"), pl.col("moo").cast(pl.String).str.zfill(2)),
        pl.col("person_status").cast(pl.String),
        datemi,
    ]
    names = REGISTRY_TH if thai_headers else REGISTRY_DOPA
    return people.select(c.alias(name) for c, name in zip(cols, names))


def _moe_noise(recs: pl.DataFrame, rng: np.random.Generator, noise: NoiseConfig) -> pl.DataFrame:
    recs = mistype_ids(recs, rng, "student_id", {
        "substitution": noise.moe_id_substitution, "transposition": noise.moe_id_transposition,
        "blank": noise.moe_id_blank, "excel": noise.moe_id_excel}, flag="id_noise")
    recs = misspell(recs, rng, "first_name", noise.moe_name_misspelling, flag="first_name_noise")
    recs = misspell(recs, rng, "last_name", noise.moe_name_misspelling, flag="last_name_noise")
    recs = birth_date_slips(recs, rng, "birth_date", noise.moe_birth_day_month_swap, noise.moe_birth_one_day_off,
                            flag="birth_noise")
    n = recs.height
    return recs.with_columns(
        pl.Series("long_title", rng.random(n) < noise.moe_long_title),
        pl.Series("title_in_name", rng.random(n) < noise.moe_title_in_name),
        pl.Series("year_swap", rng.random(n) < noise.moe_birth_be_as_ce),
    )


def _moe_file(recs: pl.DataFrame, rng: np.random.Generator, thai_headers: bool, noise: NoiseConfig) -> pl.DataFrame:
    title = _title(pl.col("sex"), pl.col("age") < 15, pl.col("long_title"))
    d = pl.col("birth_date")
    if thai_headers:  # BE DD/MM/YYYY; a year slip writes it in CE
        birth = pl.when(pl.col("year_swap")).then(d.dt.strftime("%d/%m/%Y")).otherwise(_be_dmy(d))
        status = pl.col("enrollment_status").replace_strict(STATUS_TH)
        sex = pl.when(pl.col("sex") == 1).then(pl.lit("ชาย")).otherwise(pl.lit("หญิง"))
    else:  # CE ISO; a year slip writes it in BE
        birth = pl.when(pl.col("year_swap")).then(pl.format("{}-{}", (d.dt.year() + BE_OFFSET).cast(pl.String),
                                                              d.dt.strftime("%m-%d"))).otherwise(_ce_iso(d))
        status = pl.col("enrollment_status")
        sex = pl.col("sex").cast(pl.String)
    cols = [
        pl.col("student_id"),
        pl.when(pl.col("title_in_name")).then(None).otherwise(title),
        pl.when(pl.col("title_in_name")).then(pl.concat_str(title, pl.col("first_name"))).otherwise(pl.col("first_name")),
        pl.col("last_name"), sex, birth, pl.col("school_code"),
        pl.format("โรงเรียน{}", pl.col("school_code").str.slice(4, 6)),
        pl.col("affiliation"), pl.col("school_province"), pl.col("grade"), status,
    ]
    out = recs.select(c.alias(name) for c, name in zip(cols, MOE_TH if thai_headers else MOE_EN))
    id_col = MOE_TH[0] if thai_headers else MOE_EN[0]
    date_col = MOE_TH[5] if thai_headers else MOE_EN[5]
    return thai_digits(out, rng, [id_col, date_col], noise.thai_digits)


def _survey_file(v: pl.DataFrame, rng: np.random.Generator, thai_headers: bool, noise: NoiseConfig, term: Term) -> pl.DataFrame:
    n = v.height
    v = v.with_columns(pl.col("citizen_id").alias("pid"))
    v = mistype_ids(v, rng, "pid", {"substitution": noise.survey_id_mistyped * 0.7,
                                    "transposition": noise.survey_id_mistyped * 0.3,
                                    "blank": noise.survey_id_missing}, flag="id_noise")
    v = misspell(v, rng, "first_name", noise.survey_name_misspelling, flag="first_name_noise")
    v = misspell(v, rng, "last_name", noise.survey_name_misspelling, flag="last_name_noise")
    nick = pl.Series(rng.random(n) < noise.survey_nickname)
    no_dob = pl.Series(rng.random(n) < noise.survey_birth_date_missing)
    no_age = pl.Series(rng.random(n) < noise.survey_age_missing)
    v = v.with_columns(
        pl.when(nick).then(pl.lit(pl.Series(NICKNAMES[rng.integers(0, len(NICKNAMES), n)]))).otherwise(pl.col("first_name")).alias("first_name"),
        nick.alias("nickname"),
        no_dob.alias("birth_missing"),
        (no_dob & no_age).alias("age_missing"),
    )
    d, s = pl.col("birth_date"), pl.col("survey_date")
    child = pl.col("age") < 15
    cols = [
        pl.format("S{}-{}", pl.lit(str(term).replace("-", "")), pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(6)),
        _be_dmy(s) if thai_headers else _ce_iso(s),
        pl.col("surveyor_org"),
        pl.col("pid"),
        _title(pl.col("sex"), child, pl.lit(thai_headers)),
        pl.col("first_name"), pl.col("last_name"),
        pl.when(pl.col("sex") == 1).then(pl.lit("ชาย")).otherwise(pl.lit("หญิง")) if thai_headers else pl.col("sex").cast(pl.String),
        pl.when(pl.col("birth_missing")).then(None).otherwise(_be_dmy(d) if thai_headers else _ce_iso(d)),
        pl.when(pl.col("age_missing")).then(None).otherwise(pl.col("age").cast(pl.String)),
        pl.format("{}{}", pl.col("tambon_code"), pl.col("moo").cast(pl.String).str.zfill(2)),
        pl.col("house_no"),
        pl.col("found_status").replace_strict(FOUND_TH) if thai_headers else pl.col("found_status"),
        pl.col("reason").replace_strict(REASON_TH, default=None) if thai_headers else pl.col("reason"),
        pl.col("need").replace_strict(NEED_TH, default=None) if thai_headers else pl.col("need"),
        pl.col("lat"), pl.col("lon"), pl.col("photo_ref"),
    ]
    return v, v.select(c.alias(name) for c, name in zip(cols, SURVEY_TH if thai_headers else SURVEY_EN))


def _person_noise(frame: pl.DataFrame, rng: np.random.Generator, missing: float, mistyped: float, misspelling: float
                  ) -> pl.DataFrame:
    """The ID and name slips of an aid or justice export; a child without Thai nationality is mostly written
    without an ID."""
    frame = frame.with_columns(pl.col("true_citizen_id").alias("pid"))
    frame = mistype_ids(frame, rng, "pid", {"substitution": mistyped * 0.7, "transposition": mistyped * 0.3,
                                            "blank": missing}, flag="id_noise")
    foreign = pl.lit(pl.Series(rng.random(frame.height) < 0.8)) & (pl.col("nationality") != "099")
    frame = frame.with_columns(pl.when(foreign).then(None).otherwise(pl.col("pid")).alias("pid"),
                               pl.when(foreign).then(pl.lit("blank")).otherwise(pl.col("id_noise")).alias("id_noise"))
    frame = misspell(frame, rng, "first_name", misspelling, flag="first_name_noise")
    return misspell(frame, rng, "last_name", misspelling, flag="last_name_noise")


def _aid_file(paid: pl.DataFrame, rng: np.random.Generator, thai: bool, noise: NoiseConfig, term: Term, prov: str
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    paid = _person_noise(paid, rng, noise.aid_id_missing, noise.aid_id_mistyped, noise.aid_name_misspelling)
    n = paid.height
    paid = paid.with_columns(pl.Series("__style", rng.integers(0, 4, n)))
    d, b = pl.col("paid_date"), pl.col("birth_date")
    age = term.year_be - pl.col("birth_year_be")
    cols = [
        pl.format("A{}{}-{}", pl.lit(prov), pl.lit(str(term).replace("-", "")), pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(5)),
        pl.col("pid"), _title(pl.col("sex"), age < 15, pl.lit(thai)), pl.col("first_name"), pl.col("last_name"),
        aid_justice.be_date(b) if thai else _ce_iso(b),
        pl.col("programme").replace_strict(aid_justice.PROGRAMME_TH) if thai else pl.col("programme"),
        aid_justice.amount_text(pl.col("amount_baht"), pl.col("__style")),
        aid_justice.be_date(d) if thai else _ce_iso(d),
        pl.col("payer_org"),
    ]
    table = paid.select(c.alias(name) for c, name in zip(cols, aid_justice.AID_TH if thai else aid_justice.AID_EN))
    table = thai_digits(table, rng, [table.columns[7]], 0.1)
    return paid, table


def _justice_file(cases: pl.DataFrame, rng: np.random.Generator, thai: bool, noise: NoiseConfig, prov: str, term: Term
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    cases = _person_noise(cases, rng, noise.justice_id_missing, noise.justice_id_mistyped, noise.justice_name_misspelling)
    b, a, r = pl.col("birth_date"), pl.col("admitted_date"), pl.col("released_date")
    age = term.year_be - pl.col("birth_year_be")
    cols = [
        pl.format("J{}{}-{}", pl.lit(prov), pl.lit(str(term).replace("-", "")), pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(4)),
        pl.col("pid"), _title(pl.col("sex"), age < 15, pl.lit(thai)), pl.col("first_name"), pl.col("last_name"),
        pl.when(pl.col("sex") == 1).then(pl.lit("ชาย")).otherwise(pl.lit("หญิง")) if thai else pl.col("sex").cast(pl.String),
        aid_justice.be_date(b) if thai else _ce_iso(b),
        pl.col("facility"),
        aid_justice.be_date(a) if thai else _ce_iso(a),
        aid_justice.be_date(r) if thai else _ce_iso(r),
    ]
    return cases, cases.select(c.alias(name) for c, name in zip(cols, aid_justice.JUSTICE_TH if thai else aid_justice.JUSTICE_EN))


def _sibling_ids(recs: pl.DataFrame, people: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """Write a sibling's valid ID on some clean records of children who have a sibling in the house."""
    house = ["province_code", "house_index"]
    sib = people.select("citizen_id", *house).with_columns(
        pl.coalesce(pl.col("citizen_id").shift(1).over(house), pl.col("citizen_id").shift(-1).over(house)).alias("__sib"))
    recs = recs.join(sib.select("citizen_id", "__sib"), on="citizen_id", how="left", maintain_order="left")
    hit = pl.lit(pl.Series(rng.random(recs.height) < rate)) & pl.col("__sib").is_not_null() & (pl.col("id_noise") == "none")
    return recs.with_columns(
        pl.when(hit).then(pl.col("__sib")).otherwise(pl.col("student_id")).alias("student_id"),
        pl.when(hit).then(pl.lit("sibling")).otherwise(pl.col("id_noise")).alias("id_noise"),
    ).drop("__sib")


def _address_typos(table: pl.DataFrame, col: str, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """One digit of the tambon or moo (positions 5-8 of the 8-digit code) typed wrong."""
    n = table.height
    pos = pl.lit(pl.Series(rng.integers(4, 8, n)))
    bump = pl.lit(pl.Series(rng.integers(1, 10, n)))
    c = pl.col(col)
    digit = c.str.slice(pos, 1).cast(pl.Int32, strict=False)
    typo = pl.concat_str(c.str.slice(0, pos), ((digit + bump) % 10).cast(pl.String), c.str.slice(pos + 1))
    hit = pl.lit(pl.Series(rng.random(n) < rate)) & c.str.contains(r"^[0-9]{8}$").fill_null(False)
    return table.with_columns(pl.when(hit).then(typo).otherwise(c).alias(col))


def _truth_status(people: pl.DataFrame, records: pl.DataFrame, terms: tuple[Term, ...]) -> pl.DataFrame:
    """Apply the contract's rule to the true records: the answer the pipeline should reach."""
    rec = records.filter(pl.col("person_kind") == "registry").with_columns(
        pl.col("enrollment_status").is_in(IN_SCHOOL_STATUSES).alias("studying"),
        (pl.col("id_noise") == "none").alias("clean"),
    )
    frames = []
    for term in terms:
        lo, hi = term.cohort_birth_years_be
        in_target = pl.col("person_status").is_in([0, 8]) & pl.col("birth_year_be").is_between(lo, hi)
        this = rec.filter(pl.col("term") == str(term)).group_by("citizen_id").agg(
            pl.col("studying").any().alias("this_studying"), pl.len().alias("this_records"))
        before = rec.filter(pl.col("term") <= str(term)).group_by("citizen_id").agg(
            (pl.col("term") < str(term)).any().alias("earlier"), pl.col("clean").all().alias("moe_ids_clean"))
        frames.append(
            people.select("citizen_id", "province_code", "person_status", "birth_year_be", in_target.alias("in_target"))
            .join(this, on="citizen_id", how="left").join(before, on="citizen_id", how="left")
            .select(
                "province_code", pl.lit(str(term)).alias("term"), "citizen_id", "in_target",
                pl.when(pl.col("this_studying").fill_null(False)).then(pl.lit("in_school"))
                .when(pl.col("this_records").is_not_null() | pl.col("earlier").fill_null(False)).then(pl.lit("dropped_out"))
                .otherwise(pl.lit("never_enrolled")).alias("category"),
                pl.col("moe_ids_clean").fill_null(True),
            )
        )
    return pl.concat(frames)


def _id_sequences(seed: int, n: int, n_prov: int, n_outsiders: int):
    """7-digit ID sequence numbers by position: people of province i at [i*n, (i+1)*n), outsiders (registered at the
    first province's office) after every province. Unique across everybody while they fit in 10^7; past that (a
    national population), unique within each province: an ID names its province's office, so IDs stay unique."""
    total = n * n_prov + n_outsiders
    if total <= 10**7:
        seq = _rng(seed, 0).choice(10**7, size=total, replace=False)
        return lambda lo, hi: seq[lo:hi]
    first = _rng(seed, 0).choice(10**7, size=n + n_outsiders, replace=False)  # province 0 and the outsiders

    def block(lo: int, hi: int) -> np.ndarray:
        pi = lo // n
        if pi == 0 or lo >= n * n_prov:
            offset = lo if pi == 0 else n + lo - n * n_prov
            return first[offset:offset + hi - lo]
        return _rng(seed, 0, pi).choice(10**7, size=n, replace=False)[lo - pi * n:hi - pi * n]
    return block


def generate(cfg: GeneratorConfig, out: Path) -> GenerationSummary:
    """Write ``out/inbox/...`` (contract layout) and ``out/truth/*.parquet``."""
    out = Path(out)
    inbox, truth_dir = out / "inbox", out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    terms = tuple(sorted(cfg.terms))
    latest = terms[-1]
    n = cfg.children_per_province
    n_prov = len(cfg.provinces)
    writer = _Writer(cfg, inbox)
    # ID sequence numbers, unique across every generated person and outsider
    n_outsiders = int(n * cfg.outsider_fraction) + 1
    seq = _id_sequences(cfg.seed, n, n_prov, n_outsiders * len(terms))

    people_all, careers_all, moe_true, survey_truth, status_all = [], [], [], [], []
    for pi, prov in enumerate(cfg.provinces):
        people = make_people(_rng(cfg.seed, 1, int(prov)), prov, n, latest.year_be, seq(pi * n, (pi + 1) * n))
        careers = simulate_careers(_rng(cfg.seed, 2, int(prov)), people, terms)
        people_all.append(people)
        careers_all.append(careers)
        reg = _registry_file(people, _rng(cfg.seed, 3, int(prov)), latest, thai_headers=pi % 2 == 1)
        preferred = ["csv_tis620_comma", "xlsx", "parquet"][pi % 3]
        writer.write(_place_rows(reg, _rng(cfg.seed, 4, int(prov))), inbox / "registry" / prov,
                     f"registry_{prov}_{latest.snapshot_date:%Y%m%d}", writer.form(preferred, reg.height))

    people = pl.concat(people_all)
    careers = pl.concat(careers_all)
    for ti, term in enumerate(terms):
        recs = [moe_records(_rng(cfg.seed, 5, ti, int(p)), people.filter(pl.col("province_code") == p), careers,
                            term, cfg.provinces, cfg.other_province_school) for p in cfg.provinces]
        n_term = sum(r.height for r in recs)
        lo = n * n_prov + ti * n_outsiders
        recs.append(extra_students(_rng(cfg.seed, 6, ti), n_outsiders, "outsider", term, cfg.provinces[0], seq(lo, lo + n_outsiders)))
        for p in cfg.provinces:
            recs.append(extra_students(_rng(cfg.seed, 7, ti, int(p)), max(1, int(n_term / n_prov * cfg.gcode_fraction)),
                                       "gcode", term, p))
        true = pl.concat(recs).with_columns(
            pl.col("citizen_id").alias("student_id"),
            pl.col("birth_date").cast(pl.Date),
        )
        true = true.with_columns(grade(pl.col("age"), pl.col("affiliation")).alias("grade"))
        noisy = _moe_noise(true, _rng(cfg.seed, 8, ti), cfg.noise)
        if cfg.noise.moe_sibling_id:
            noisy = _sibling_ids(noisy, people, _rng(cfg.seed, 20, ti), cfg.noise.moe_sibling_id)
        noisy = _place_rows(noisy, _rng(cfg.seed, 9, ti))
        obec = noisy.filter(pl.col("affiliation") == "10")
        other = noisy.filter(pl.col("affiliation") != "10")
        forms = [("csv_utf8bom_pipe", True, "parquet", False), ("xlsx", True, "csv_utf8_tab", False)][ti % 2]
        if cfg.style == "other_tools":  # one typed spreadsheet (or typed Parquet when too long), one text export
            forms = ("xlsx" if obec.height <= cfg.xlsx_max_rows else "parquet", False, "csv_utf8_tab", False)
        for part, stem, form, thai in ((obec, "obec", forms[0], forms[1]), (other, "other_affiliations", forms[2], forms[3])):
            table = _moe_file(part, _rng(cfg.seed, 10, ti, len(stem)), thai, cfg.noise)
            if cfg.style == "other_tools":
                table = restyle(table, "moe", MOE_EN, {"birth_date": part["birth_date"]}, _rng(cfg.seed, 21, ti, len(stem)),
                                typed=form in ("xlsx", "parquet"))
            rel = writer.write(table, inbox / "moe" / str(term), f"moe_{term}_{stem}",
                               form if cfg.style == "other_tools" else writer.form(form, part.height))
            moe_true.append(part.select(
                pl.lit(rel).alias("source_file"), pl.int_range(1, pl.len() + 1).alias("source_row"),
                pl.lit(str(term)).alias("term"), pl.col("citizen_id").alias("true_citizen_id"), "person_kind",
                "enrollment_status", "id_noise", "first_name_noise", "last_name_noise", "birth_noise",
            ))

    moe_truth = pl.concat(moe_true)
    moe_join = moe_truth.select("source_file", "source_row", "term", "true_citizen_id", "person_kind", "enrollment_status", "id_noise")
    # one pass over every record (per province it was one pass per province over the whole export), rows in the
    # order of province, then term, as before
    status = _truth_status(people, moe_join.rename({"true_citizen_id": "citizen_id"}), terms).with_columns(
        pl.col("province_code").replace_strict({p: i for i, p in enumerate(cfg.provinces)}, return_dtype=pl.Int32)
        .alias("__province")).sort("__province", "term", maintain_order=True).drop("__province")
    status_all.append(status)

    for pi, prov in enumerate(cfg.provinces):
        for ti, term in enumerate(terms):
            visits = survey_records(_rng(cfg.seed, 11, ti, int(prov)), people.filter(pl.col("province_code") == prov),
                                    status, term, cfg.survey_coverage)
            if visits.height == 0:
                continue
            thai = (pi + ti) % 2 == 0
            noisy, table = _survey_file(visits, _rng(cfg.seed, 12, ti, int(prov)), thai, cfg.noise, term)
            form = writer.form("xlsx" if thai else "csv_utf8_comma", table.height)
            if cfg.noise.survey_address_typo:
                table = _address_typos(table, table.columns[10], _rng(cfg.seed, 22, ti, int(prov)), cfg.noise.survey_address_typo)
            if cfg.style == "other_tools":
                form = "xlsx" if thai and table.height <= cfg.xlsx_max_rows else ("parquet" if thai else "csv_utf8bom_pipe")
                births = noisy.select(pl.when(pl.col("birth_missing")).then(None).otherwise(pl.col("birth_date")))
                table = restyle(table.rename(dict(zip(table.columns, SURVEY_EN))), "survey", SURVEY_EN,
                                {"birth_date": births.to_series(), "survey_date": noisy["survey_date"]},
                                _rng(cfg.seed, 23, ti, int(prov)), typed=form in ("xlsx", "parquet"))
            rel = writer.write(table, inbox / "survey" / prov / str(term), f"survey_{prov}_{term}", form)
            survey_truth.append(noisy.select(
                pl.lit(rel).alias("source_file"), pl.int_range(1, pl.len() + 1).alias("source_row"),
                pl.lit(prov).alias("province_code"), pl.lit(str(term)).alias("term"),
                pl.col("citizen_id").alias("true_citizen_id"), "id_noise", "first_name_noise", "last_name_noise",
                "nickname", "birth_missing", "age_missing", "found_status",
            ))

    aid_truth, justice_truth = [], []
    status_frame = pl.concat(status_all)
    for pi, prov in enumerate(cfg.provinces):
        mine = people.filter(pl.col("province_code") == prov)
        cases = aid_justice.justice_cases(_rng(cfg.seed, 30, int(prov)), mine, terms, cfg.justice_rate)
        for ti, term in enumerate(terms):
            thai = (pi + ti) % 2 == 1
            if cfg.aid:
                paid = aid_justice.aid_payments(_rng(cfg.seed, 31, ti, int(prov)), mine, status_frame, term,
                                                terms[ti - 1] if ti else None)
                n_strange = int(paid.height * cfg.stranger_rate)
                paid = pl.concat([paid, aid_justice.strangers(_rng(cfg.seed, 32, ti, int(prov)), n_strange, paid)])
                paid = _place_rows(paid, _rng(cfg.seed, 33, ti, int(prov)))
                if paid.height:
                    noisy, table = _aid_file(paid, _rng(cfg.seed, 34, ti, int(prov)), thai, cfg.noise, term, prov)
                    form = writer.form("xlsx" if thai else "csv_utf8_comma", table.height)
                    rel = writer.write(table, inbox / "aid" / prov / str(term), f"aid_{prov}_{term}", form)
                    aid_truth.append(noisy.select(
                        pl.lit(rel).alias("source_file"), pl.int_range(1, pl.len() + 1).alias("source_row"),
                        pl.lit(prov).alias("province_code"), pl.lit(str(term)).alias("term"), "true_citizen_id",
                        "programme", "amount_baht", "paid_date", "id_noise", "first_name_noise", "last_name_noise"))
            here = cases.filter(pl.col("folder_term") == str(term))
            n_strange = int(here.height * cfg.stranger_rate * 5 + 0.5) if here.height else 0
            here = pl.concat([here, aid_justice.strangers(_rng(cfg.seed, 35, ti, int(prov)), n_strange, here)])
            if here.height:
                noisy, table = _justice_file(_place_rows(here, _rng(cfg.seed, 36, ti, int(prov))),
                                             _rng(cfg.seed, 37, ti, int(prov)), thai, cfg.noise, prov, term)
                form = "csv_utf8_comma" if thai else "xlsx"
                rel = writer.write(table, inbox / "justice" / prov / str(term), f"justice_{prov}_{term}", form)
                justice_truth.append(noisy.select(
                    pl.lit(rel).alias("source_file"), pl.int_range(1, pl.len() + 1).alias("source_row"),
                    pl.lit(prov).alias("province_code"), pl.lit(str(term)).alias("term"), "true_citizen_id",
                    "admitted_date", "released_date", "id_noise", "first_name_noise", "last_name_noise"))
    aid_schema = {"source_file": pl.String, "source_row": pl.Int64, "province_code": pl.String, "term": pl.String,
                  "true_citizen_id": pl.String}
    (pl.concat(aid_truth) if aid_truth else pl.DataFrame(schema=aid_schema)).write_parquet(
        truth_dir / "aid_records.parquet", statistics=False)
    (pl.concat(justice_truth) if justice_truth else pl.DataFrame(schema=aid_schema)).write_parquet(
        truth_dir / "justice_records.parquet", statistics=False)

    people.write_parquet(truth_dir / "people.parquet", statistics=False)
    pl.concat(status_all).write_parquet(truth_dir / "status.parquet", statistics=False)
    moe_truth.write_parquet(truth_dir / "moe_records.parquet", statistics=False)
    survey = pl.concat(survey_truth) if survey_truth else pl.DataFrame()
    survey.write_parquet(truth_dir / "survey_records.parquet", statistics=False)
    summary = GenerationSummary(people.height, moe_truth.height, survey.height, sorted(writer.files))
    meta = {"config": {**asdict(cfg), "terms": [str(t) for t in terms]}, "summary": asdict(summary)}
    (truth_dir / "generation.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return summary
