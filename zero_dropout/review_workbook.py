"""The review queue as a workbook an officer can decide: one block per input record, its candidates below it,
both sides' names, birth date, sex, ID as written, school or visiting organisation and address, how each field
compares in Thai words, and a drop-down decision.

Restricted: the workbook holds names. Every text cell is written as text (no formulas), as in the visit lists.
Each candidate row carries ``pair_key``, a hash of its identity columns: a decision on a row whose identity was
edited is refused, naming the row.

    zero-dropout review export --province 40 --term 2567-1 --out queue.xlsx
    zero-dropout review import queue.xlsx --by "officer name"
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl

from zero_dropout.errors import Told
from zero_dropout.staging import SOURCE_RECORDS, Staging

SHEET, SUMMARY_SHEET = "คู่ที่ต้องตัดสิน", "สรุป"
KEY = ["source", "source_file", "source_sheet", "source_row", "citizen_id"]
DECISION_WORDS = {"ยอมรับ (accept)": "accept", "ปฏิเสธ (reject)": "reject", "ไม่แน่ใจ (not sure)": "not sure"}
LEVEL_WORDS = {"exact": "ตรงกัน", "agree": "ตรงกัน", "same_house": "ตรงกัน", "valid_equal": "ตรงกัน",
               "different": "ต่างกัน", "disagree": "ต่างกัน", None: "ไม่มีข้อมูล"}
COMPARED = [("first_name", "ชื่อ"), ("last_name", "นามสกุล"), ("birth_date", "วันเกิด"), ("sex", "เพศ"),
            ("id", "เลขประจำตัว"), ("age", "อายุ"), ("address", "ที่อยู่")]
SEX_TH = {1: "ชาย", 2: "หญิง"}
# (header, column, width): identity columns first (they are read back), then what a person compares
COLUMNS = [
    ("ชุดที่", "block", 6), ("แถว", "role", 9), ("ชื่อ-นามสกุล", "name", 26), ("วันเกิด (พ.ศ.)", "birth", 12),
    ("เพศ", "sex_th", 6), ("เลขประจำตัวที่เขียนไว้", "id_written", 17), ("โรงเรียน / หน่วยงาน", "where", 24),
    ("ที่อยู่", "address", 22), *[(f"เทียบ{th}", f"cmp_{f}", 10) for f, th in COMPARED], ("คะแนน", "score", 8),
    ("เหตุที่ต้องตรวจ", "reason", 30), ("การตัดสิน", "decision", 16),
    ("source", "source", 8), ("source_file", "source_file", 30), ("source_sheet", "source_sheet", 10),
    ("source_row", "source_row", 9), ("citizen_id", "citizen_id", 15), ("pair_key", "pair_key", 18),
]


class ReviewError(Told, ValueError):
    pass


def pair_key(frame: pl.DataFrame) -> pl.Series:
    """A short hash of a pair's identity columns (what a row decides)."""
    parts = frame.select([pl.col(c).cast(pl.String).fill_null("") for c in KEY]).rows()
    return pl.Series("pair_key", [hashlib.sha256("|".join(p).encode()).hexdigest()[:16] for p in parts], pl.String)


def _birth(day: pl.Expr, month: pl.Expr, year: pl.Expr) -> pl.Expr:
    return pl.when(month.is_null()).then(year.cast(pl.String)).otherwise(pl.concat_str(
        day.cast(pl.String).fill_null("00").str.zfill(2), pl.lit("/"), month.cast(pl.String).str.zfill(2), pl.lit("/"),
        year.cast(pl.String)))


def _address(house: pl.Expr, code: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("บ้านเลขที่ "), house.fill_null("-"), pl.lit(" รหัส "), code.fill_null("-"))


WHERE = {"survey": "surveyor_org", "aid": "payer_org", "justice": "facility"}  # who wrote the record, per source


def blocks(warehouse: Path, province: str, term: str) -> pl.DataFrame:
    """The queue of a partition as rows of the workbook: a record row, then its candidates, blocks ordered by
    what a decision changes (a candidate who is out of school now first), then by the best score."""
    con = duckdb.connect(str(Path(warehouse) / "restricted.duckdb"), read_only=True)
    try:
        queue = con.sql("SELECT q.*, coalesce(o.citizen_id IS NOT NULL, false) AS moves_a_child FROM review_queue q "
                        "LEFT JOIN out_of_school o ON o.province_code = q.province_code AND o.term = q.term "
                        "AND o.citizen_id = q.citizen_id WHERE q.province_code = $p AND q.term = $t",
                        params={"p": province, "t": term}).pl()
        people = con.sql("SELECT citizen_id, title, first_name, last_name, sex, birth_day, birth_month, birth_year_be, "
                         "house_no, address_code FROM registry_people WHERE province_code = $p",
                         params={"p": province}).pl().join(queue.select("citizen_id").unique(), on="citizen_id", how="semi")
    finally:
        con.close()
    if queue.is_empty():
        return pl.DataFrame()
    staging = Staging(warehouse)
    record_key = KEY[:4]
    sources = []
    scans = [("moe", staging.scan("moe", "students", term=term) if staging.exists("moe", "students", term=term) else None)]
    scans += [(source, staging.scan(d, n, province, term) if staging.exists(d, n, province, term) else None)
              for source, (d, n) in SOURCE_RECORDS.items()]
    for source, scan in scans:
        wanted = queue.filter(pl.col("source") == source).select(record_key).unique()
        if scan is None or wanted.is_empty():
            continue
        have = scan.collect_schema().names()
        where = (pl.concat_str(pl.col("school_name").fill_null(""), pl.lit(" ("), pl.col("school_code").fill_null(""), pl.lit(")"))
                 if source == "moe" else pl.col(WHERE[source]) if WHERE[source] in have else pl.lit(None, pl.String))
        rows = scan.join(wanted.lazy(), on=record_key, how="semi").select(
            *record_key, "title", "first_name", "last_name", "sex", "birth_day", "birth_month", "birth_year_be",
            pl.col("id_raw").alias("id_written"), where.alias("where"),
            (pl.col("house_no") if "house_no" in have else pl.lit(None, pl.String)).alias("house_no"),
            (pl.col("address_code") if "address_code" in have else pl.lit(None, pl.String)).alias("address_code"),
        ).collect()
        sources.append(rows.cast({"source_sheet": pl.String, "source_row": pl.Int64, "sex": pl.Int64}, strict=False))
    records = pl.concat(sources, how="diagonal_relaxed") if sources else pl.DataFrame(schema={c: pl.String for c in record_key})
    evidence = queue["why"].str.json_decode(pl.Struct({"reason": pl.String, "evidence": pl.Struct(
        {f: pl.String for f, _ in COMPARED})}))
    queue = queue.with_columns(evidence.struct.field("reason").alias("reason"),
                               *[evidence.struct.field("evidence").struct.field(f).alias(f"cmp_{f}") for f, _ in COMPARED])
    order = queue.group_by(record_key).agg(pl.col("moves_a_child").any().alias("moves"), pl.col("score").max().alias("best")) \
        .sort(["moves", "best", *record_key], descending=[True, True, False, False, False, False]) \
        .with_row_index("block", offset=1)
    name = pl.concat_str([pl.col("title").fill_null(""), pl.col("first_name").fill_null(""), pl.col("last_name").fill_null("")],
                         separator=" ").str.strip_chars()
    shown = [name.alias("name"), _birth(pl.col("birth_day"), pl.col("birth_month"), pl.col("birth_year_be")).alias("birth"),
             pl.col("sex").cast(pl.Int64, strict=False).replace_strict(SEX_TH, default=None, return_dtype=pl.String).alias("sex_th")]
    record_rows = order.join(records, on=record_key, how="left").with_columns(
        *shown, _address(pl.col("house_no"), pl.col("address_code")).alias("address"),
        pl.lit("ระเบียน").alias("role"), pl.lit(0).alias("_n"))
    candidates = queue.join(order.select(*record_key, "block"), on=record_key).join(people, on="citizen_id", how="left")
    candidates = candidates.with_columns(
        *shown, pl.col("citizen_id").alias("id_written"), pl.lit("ทะเบียนราษฎร").alias("where"),
        _address(pl.col("house_no"), pl.col("address_code")).alias("address"), pl.lit("ผู้ที่อาจใช่").alias("role"),
        *[pl.col(f"cmp_{f}").replace_strict(LEVEL_WORDS, default="ใกล้เคียง", return_dtype=pl.String).alias(f"cmp_{f}")
          for f, _ in COMPARED],
        pl.int_range(1, pl.len() + 1).over("block", order_by=pl.col("score").neg()).alias("_n"))
    candidates = candidates.with_columns(pair_key(candidates))
    columns = [name for _, name, _ in COLUMNS]
    out = pl.concat([record_rows, candidates], how="diagonal_relaxed").sort("block", "_n")
    return out.with_columns(*[pl.lit(None, pl.String).alias(c) for c in columns if c not in out.columns]).select(columns)


def export(warehouse: Path, province: str, term: str, out: Path) -> int:
    """Write the workbook; returns the number of pairs to decide."""
    import xlsxwriter

    rows = blocks(warehouse, province, term)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})
    try:
        text = wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
        record_fmt = wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top", "bold": True, "bg_color": "#DDEBF7"})
        decide = wb.add_format({"num_format": "@", "bg_color": "#FFF2CC", "border": 1})
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#BDD7EE", "border": 1})
        pairs = rows.filter(pl.col("role") != "ระเบียน").height if rows.height else 0
        summary = wb.add_worksheet(SUMMARY_SHEET)
        summary.set_column(0, 0, 60)
        summary.set_column(1, 1, 12)
        moves = rows.filter(pl.col("role") != "ระเบียน").select(pl.col("citizen_id").n_unique()).item() if pairs else 0
        for r, (label, value) in enumerate([
                ("จังหวัด / ภาคเรียน", f"{province} / {term}"), ("ระเบียนที่รอการตัดสิน", rows.filter(pl.col("role") == "ระเบียน").height if rows.height else 0),
                ("คู่ที่รอการตัดสิน", pairs), ("เด็กที่ผลการตัดสินอาจเปลี่ยนสถานะ", moves),
                ("วิธีใช้", "เลือกการตัดสินในคอลัมน์สีเหลือง (ยอมรับ / ปฏิเสธ / ไม่แน่ใจ) ห้ามแก้ไขคอลัมน์ทางขวา"),
                ("ส่งคืน", "zero-dropout review import <ไฟล์นี้> --by <ชื่อผู้ตัดสิน>")]):
            summary.write_string(r, 0, label, text)
            summary.write_string(r, 1, str(value), text)
        ws = wb.add_worksheet(SHEET)
        for c, (header, _, width) in enumerate(COLUMNS):
            ws.write_string(0, c, header, head)
            ws.set_column(c, c, width)
        decision_col = [name for _, name, _ in COLUMNS].index("decision")
        for r, row in enumerate(rows.iter_rows(), start=1):
            is_record = row[1] == "ระเบียน"
            for c, value in enumerate(row):
                if c == decision_col and not is_record:
                    ws.write_string(r, c, "", decide)
                elif value is not None:
                    ws.write_string(r, c, str(value), record_fmt if is_record else text)
        if rows.height:
            ws.data_validation(1, decision_col, rows.height, decision_col,
                               {"validate": "list", "source": list(DECISION_WORDS), "error_type": "warning"})
        ws.freeze_panes(1, 3)
        ws.autofilter(0, 0, max(rows.height, 1), len(COLUMNS) - 1)
    finally:
        wb.close()
    tmp.replace(out)
    return pairs


def read_decisions(path: Path) -> pl.DataFrame:
    """The decided rows of a filled-in workbook as (KEY..., decision); 'not sure' and blank are left out.
    Raises ReviewError naming the row when a decided row's identity columns were edited."""
    frame = pl.read_excel(path, sheet_name=SHEET, infer_schema_length=0)
    by_header = {header: name for header, name, _ in COLUMNS}
    frame = frame.rename({h: by_header[h] for h in frame.columns if h in by_header})
    missing = [c for c in [*KEY, "decision", "pair_key"] if c not in frame.columns]
    if missing:
        raise ReviewError(f"{path.name}: sheet {SHEET} has no column {', '.join(missing)}: export the queue again")
    frame = frame.with_row_index("row", offset=2).with_columns(
        pl.col("decision").str.strip_chars(), pl.col("source_sheet").fill_null(""),
        pl.col("source_row").cast(pl.Float64, strict=False).cast(pl.Int64))
    decided = frame.filter(pl.col("decision").is_not_null() & (pl.col("decision") != ""))
    unknown = decided.filter(~pl.col("decision").is_in(list(DECISION_WORDS)) & ~pl.col("decision").is_in(["accept", "reject", "not sure"]))
    if unknown.height:
        raise ReviewError(f"{path.name}: row {unknown['row'][0]}, column การตัดสิน: choose one of {', '.join(DECISION_WORDS)}")
    edited = decided.filter(pair_key(decided) != decided["pair_key"].fill_null(""))
    if edited.height:
        raise ReviewError(f"{path.name}: row {edited['row'][0]}: its identity columns (source ... citizen_id) were edited "
                          "after export; the decision cannot say which pair it is for: export the queue again")
    decided = decided.with_columns(pl.col("decision").replace(DECISION_WORDS))
    return decided.filter(pl.col("decision") != "not sure").select(*KEY, "decision")

