"""Visit lists for field teams: one xlsx per tambon of the out-of-school children to visit.

Restricted audience: the lists hold names and addresses, read from restricted.duckdb.
A list is laid out as a survey export under the contract's Thai headers, so that
a filled-in list dropped into ``inbox/survey/<province>/<term>/`` is read back with
no editing and its rows link to the same children (the citizen ID is on the row).
The columns a team fills in carry the contract's survey values as drop-down lists.

Every text cell is written as text (the workbook converts no string to a formula,
number or link, and text columns keep the text format), so a value that begins
with ``=``, ``+``, ``-`` or ``@`` can never become a formula.

    zero-dropout worklist --province 55 --term 2567-1 [--amphoe 5501] [--tambon 550101]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from zero_dropout import areas
from zero_dropout.contract import load_contract
from zero_dropout.terms import Term, display_expr

SHEET = "รายชื่อเด็กที่ต้องติดตาม"
SEX_TH = {1: "ชาย", 2: "หญิง"}

# (header, column of the query, width); headers that are survey aliases are read back by the survey reader,
# the others (for the team's information) are ignored by it as unknown columns.
PREFILLED = [
    ("ลำดับ", "n", 6),
    ("รหัสแบบสำรวจ", "survey_id", 22),
    ("เลขประจำตัวประชาชน", "citizen_id", 17),
    ("คำนำหน้า", "title", 9),
    ("ชื่อ", "first_name", 14),
    ("นามสกุล", "last_name", 16),
    ("เพศ", "sex_th", 6),
    ("วันเกิด", "birth_date_be", 12),  # DD/MM/YYYY in Buddhist era, 00 for an unknown day
    ("อายุ", "age", 6),
    ("บ้านเลขที่", "house_no", 10),
    ("หมู่", "moo", 6),
    ("รหัสที่อยู่", "address_code", 11),
    ("รหัสประจำบ้าน", "house_id", 13),
    ("ประเภท", "category_th", 26),
    ("ภาคเรียนล่าสุดที่มีประวัติ", "last_record_term", 12),
    ("โรงเรียนล่าสุด", "last_school", 28),
    ("ผลการติดตามครั้งก่อน", "earlier_survey", 30),
]
TO_FILL = [  # (header, vocabulary for a drop-down or None, width)
    ("วันที่สำรวจ", None, 12),
    ("หน่วยงาน", None, 16),
    ("ผลการติดตาม", "found_status", 16),
    ("สาเหตุ", "reason", 16),
    ("ความต้องการ", "need", 20),
    ("หมายเหตุ", None, 30),
]
INSTRUCTIONS = [
    "คำอธิบาย",
    "รายชื่อเด็กและเยาวชนนอกระบบการศึกษาที่ต้องติดตาม (ข้อมูลส่วนบุคคล ใช้เฉพาะงานติดตาม ห้ามเผยแพร่)",
    "กรอกคอลัมน์สีเหลือง: วันที่สำรวจ (วว/ดด/ปปปป พ.ศ.), หน่วยงาน, ผลการติดตาม, สาเหตุ, ความต้องการ (เลือกจากรายการ)",
    "ห้ามแก้ไขรหัสแบบสำรวจและเลขประจำตัวประชาชน; แถวที่ยังไม่ได้ไปเยี่ยมให้เว้นผลการติดตามว่างไว้",
    "เมื่อกรอกเสร็จ ส่งไฟล์นี้คืนเจ้าหน้าที่ข้อมูลเพื่อวางในโฟลเดอร์ inbox/survey/<จังหวัด>/<ภาคเรียน>/",
]


class WorklistError(Exception):
    pass


@dataclass
class Worklist:
    path: Path
    tambon_code: str
    children: int


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}


def children_to_visit(restricted: Path, province: str, term: Term, amphoe: str | None = None,
                      tambon: str | None = None) -> pl.DataFrame:
    """The out-of-school children of a province and term with what a visit needs, sorted for walking:
    tambon, moo, house number."""
    if not Path(restricted).exists():
        raise WorklistError(f"{restricted} does not exist: run the pipeline first")
    con = duckdb.connect(str(restricted), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "registry_people" not in tables:
            raise WorklistError(f"{restricted} has no registry_people table: re-run the warehouse load")
        link_cols = _columns(con, "record_links")
        school = ("coalesce(school_name, '') || CASE WHEN school_code IS NULL THEN '' ELSE ' (' || school_code || ')' END"
                  if {"school_name", "school_code"} <= link_cols else "NULL")
        surveyed = {"found_status", "reason", "need", "survey_date"} <= link_cols
        earlier_survey = ("SELECT citizen_id, arg_max(struct_pack(found_status, reason, need, survey_date, term), "
                          "(term, survey_date)) AS s FROM record_links WHERE source = 'survey' AND province_code = $p "
                          "AND term <= $t GROUP BY citizen_id" if surveyed
                          else "SELECT NULL::VARCHAR AS citizen_id, NULL::STRUCT(found_status VARCHAR, reason VARCHAR, "
                               "need VARCHAR, survey_date DATE, term VARCHAR) AS s WHERE false")  # no survey linked yet
        filters = "".join([" AND o.amphoe_code = $a" if amphoe else "", " AND o.tambon_code = $tb" if tambon else ""])
        params = {"p": province, "t": str(term), **({"a": amphoe} if amphoe else {}), **({"tb": tambon} if tambon else {})}
        frame = con.sql(f"""
            WITH last_school AS (
                SELECT citizen_id, arg_max({school}, term) AS last_school
                FROM record_links WHERE source = 'moe' AND province_code = $p AND term <= $t GROUP BY citizen_id
            ), earlier AS ({earlier_survey})
            SELECT o.citizen_id, p.title, p.first_name, p.last_name, p.sex,
                   CASE WHEN p.birth_month IS NULL THEN p.birth_year_be::VARCHAR
                        ELSE lpad(coalesce(p.birth_day, 0)::VARCHAR, 2, '0') || '/' || lpad(p.birth_month::VARCHAR, 2, '0')
                             || '/' || p.birth_year_be END AS birth_date_be, o.age, p.house_no,
                   p.moo, p.address_code, p.house_id, o.amphoe_code, o.tambon_code,
                   CASE WHEN o.pending_review THEN o.category_th || ' (อาจกำลังเรียนอยู่: รอเจ้าหน้าที่ตรวจสอบ)'
                        ELSE o.category_th END AS category_th, o.last_record_term,
                   l.last_school, e.s.found_status AS earlier_found_status, e.s.reason AS earlier_reason,
                   e.s.need AS earlier_need,
                   strftime(e.s.survey_date, '%d/%m/') || (year(e.s.survey_date) + 543) AS earlier_survey_date
            FROM out_of_school o
            JOIN registry_people p ON p.province_code = o.province_code AND p.citizen_id = o.citizen_id
            LEFT JOIN last_school l ON l.citizen_id = o.citizen_id
            LEFT JOIN earlier e ON e.citizen_id = o.citizen_id
            WHERE o.province_code = $p AND o.term = $t {filters}
            ORDER BY o.tambon_code, try_cast(p.moo AS INTEGER) NULLS LAST, p.moo,
                     try_cast(regexp_extract(p.house_no, '^[0-9]+') AS INTEGER) NULLS LAST, p.house_no,
                     p.last_name, p.first_name, o.citizen_id""", params=params).pl()
    finally:
        con.close()
    return frame


def _prepare(frame: pl.DataFrame, term: Term) -> pl.DataFrame:
    """Display columns: Thai words for sex and earlier findings, the survey ID of each row."""
    c = load_contract()
    words = {k: c.thai_words(k) for k in ("found_status", "reason", "need")}

    def thai(col: str, vocab: str) -> pl.Expr:
        return pl.col(col).replace_strict(words[vocab], default=pl.col(col), return_dtype=pl.String)

    earlier = pl.concat_str([thai("earlier_found_status", "found_status"), thai("earlier_reason", "reason"),
                             thai("earlier_need", "need"), pl.col("earlier_survey_date")],
                            separator=" · ", ignore_nulls=True)
    n = pl.int_range(1, pl.len() + 1).over("tambon_code")
    return frame.with_columns(
        n.alias("n"),
        pl.concat_str(pl.lit(f"{term}-"), pl.col("tambon_code"), pl.lit("-"), n.cast(pl.String).str.zfill(4)).alias("survey_id"),
        pl.col("sex").replace_strict(SEX_TH, default=None, return_dtype=pl.String).alias("sex_th"),
        display_expr(pl.col("last_record_term")).alias("last_record_term"),
        pl.when(earlier != "").then(earlier).alias("earlier_survey"),
    )


def write_workbook(rows: pl.DataFrame, path: Path, title: str) -> None:
    """One tambon's list as xlsx: every text cell written as text, drop-downs for the visit's findings."""
    import xlsxwriter

    c = load_contract()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        head_fill = wb.add_format({"bold": True, "bg_color": "#FFE699", "border": 1, "text_wrap": True, "valign": "top"})
        text = wb.add_format({"num_format": "@"})
        fill = wb.add_format({"num_format": "@", "bg_color": "#FFF2CC", "border": 1})
        ws = wb.add_worksheet(SHEET)
        for col, (header, name, width) in enumerate(PREFILLED):
            ws.write_string(0, col, header, head)
            values = rows[name]
            if values.dtype.is_numeric():
                ws.set_column(col, col, width)
                ws.write_column(1, col, values.to_list())
            else:
                ws.set_column(col, col, width, text)
                ws.write_column(1, col, values.fill_null("").to_list(), text)
        last = max(rows.height, 1)
        for k, (header, vocab, width) in enumerate(TO_FILL):
            col = len(PREFILLED) + k
            ws.write_string(0, col, header, head_fill)
            ws.set_column(col, col, width, text)
            ws.write_column(1, col, [""] * rows.height, fill)
            if vocab:
                ws.data_validation(1, col, last, col, {
                    "validate": "list", "source": list(c.thai_words(vocab).values()),
                    "error_title": header, "error_message": "เลือกจากรายการ", "error_type": "warning"})
        ws.freeze_panes(1, 4)
        ws.autofilter(0, 0, last, len(PREFILLED) + len(TO_FILL) - 1)
        ws.set_header(f"&L{title}&R&P/&N")
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        notes = wb.add_worksheet("คำอธิบาย")
        notes.set_column(0, 0, 120)
        notes.write_column(0, 0, [title, *INSTRUCTIONS], text)
    finally:
        wb.close()
    tmp.replace(path)


def write_worklists(warehouse_dir: Path, province: str, term: str, out_dir: Path | None = None,
                    amphoe: str | None = None, tambon: str | None = None) -> list[Worklist]:
    """Write one xlsx per tambon; returns the files with their child counts (no names)."""
    t = Term.parse(term)
    frame = children_to_visit(Path(warehouse_dir) / "restricted.duckdb", province, t, amphoe, tambon)
    if frame.is_empty():
        return []
    out_dir = Path(out_dir) if out_dir else Path(warehouse_dir) / "worklists" / province / str(t)
    names = dict(zip(areas.tambons()["tambon_code"].to_list(), areas.tambons()["tambon_name_th"].to_list()))
    written = []
    for (code,), rows in _prepare(frame, t).partition_by("tambon_code", as_dict=True, maintain_order=True).items():
        path = out_dir / f"worklist_{province}_{t}_{code}.xlsx"
        write_workbook(rows, path, f"ตำบล{names.get(code, '')} ({code}) ภาคเรียน {t.display}")
        written.append(Worklist(path, code, rows.height))
    return written
