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
from zero_dropout.errors import Told
from zero_dropout.population import CATEGORY_LABELS_TH
from zero_dropout.terms import Term, display_expr

SHEET = "รายชื่อเด็กที่ต้องติดตาม"
SEX_TH = {1: "ชาย", 2: "หญิง"}

# (header, column of the query, width); headers that are survey aliases are read back by the survey reader,
# the others (for the team's information) are ignored by it as unknown columns. PRINTED come first and, with the
# columns to fill in, make the print area (A4 landscape at 11 pt); TECHNICAL stay in the workbook for the return
# trip, right of the print area.
PRINTED = [
    ("ลำดับ", "n", 4),
    ("คำนำหน้า", "title", 7),
    ("ชื่อ", "first_name", 11),
    ("นามสกุล", "last_name", 12),
    ("เพศ", "sex_th", 5),
    ("อายุ", "age", 4.5),
    ("บ้านเลขที่", "house_no", 7),
    ("หมู่", "moo", 4.5),
    ("ประเภท", "category_th", 14),
    ("โรงเรียนล่าสุด", "last_school", 14),
    ("ผลการติดตามครั้งก่อน", "earlier_survey", 14),
]
TO_FILL = [  # (header, vocabulary for a drop-down or None, width)
    ("วันที่สำรวจ", None, 9),
    ("หน่วยงาน", None, 9),
    ("ผลการติดตาม", "found_status", 10),
    ("สาเหตุ", "reason", 10),
    ("ความต้องการ", "need", 10),
    ("หมายเหตุ", None, 8),
]
TECHNICAL = [
    ("รหัสแบบสำรวจ", "survey_id", 22),
    ("เลขประจำตัวประชาชน", "citizen_id", 17),
    ("วันเกิด", "birth_date_be", 12),  # DD/MM/YYYY in Buddhist era, 00 for an unknown day
    ("รหัสที่อยู่", "address_code", 11),
    ("รหัสประจำบ้าน", "house_id", 13),
    ("ภาคเรียนล่าสุดที่มีประวัติ", "last_record_term", 12),
    ("แผนที่การเยี่ยมครั้งก่อน", "map_link", 30),
]
MAP_LINK = "https://www.google.com/maps/search/?api=1&query={},{}"
PREFILLED = PRINTED + TECHNICAL
FONT_PT = 11  # printed at 100 % on A4 landscape: every line at 11 pt (the widths above fit the page)
THAI_CHARS_PER_UNIT = 1.2  # Thai letters at 11 pt per unit of column width (a unit is the width of a "0")
LINE_PT = 15  # the height of one line of 11 pt Thai text, marks above and below included
# Thai vowels and tone marks written above or below a consonant take no width of their own
THAI_MARKS = r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]"


def _lines_per_row(rows: pl.DataFrame) -> list[int]:
    """How many lines each row's longest printed text takes in its column (wrapped at the column's width)."""
    lines = [(pl.col(name).cast(pl.String).fill_null("").str.replace_all(THAI_MARKS, "").str.len_chars()
              / (width * THAI_CHARS_PER_UNIT)).ceil().cast(pl.Int32) for _, name, width in PRINTED if name in rows.columns]
    return rows.select(pl.max_horizontal(*lines, pl.lit(1, pl.Int32)).alias("lines"))["lines"].to_list()
INSTRUCTIONS = [
    "คำอธิบาย",
    "รายชื่อเด็กและเยาวชนนอกระบบการศึกษาที่ต้องติดตาม (ข้อมูลส่วนบุคคล ใช้เฉพาะงานติดตาม ห้ามเผยแพร่)",
    "กรอกคอลัมน์สีเหลือง: วันที่สำรวจ (วว/ดด/ปปปป พ.ศ.), หน่วยงาน, ผลการติดตาม, สาเหตุ, ความต้องการ (เลือกจากรายการ)",
    "ห้ามแก้ไขรหัสแบบสำรวจและเลขประจำตัวประชาชน; แถวที่ยังไม่ได้ไปเยี่ยมให้เว้นผลการติดตามว่างไว้",
    "เมื่อกรอกเสร็จ ส่งไฟล์นี้คืนเจ้าหน้าที่ข้อมูลเพื่อวางในโฟลเดอร์ inbox/survey/<จังหวัด>/<ภาคเรียน>/",
]


class WorklistError(Told):
    pass


@dataclass
class Worklist:
    path: Path
    tambon_code: str
    children: int


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}


def _children_sql(tables: set[str]) -> str:
    """The children a team visits: the default cohort's out-of-school children, and those of the province's
    target groups who are not in it (a 2-year-old, a youth of 19), each with the lists they are on."""
    labels = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CATEGORY_LABELS_TH.items())
    default = ("SELECT province_code, term, citizen_id, category_th, amphoe_code, tambon_code, age, pending_review, "
               "last_record_term, NULL::VARCHAR AS lists FROM out_of_school")
    if not {"target_group_out_of_school", "target_groups"} <= tables:
        return default
    return f"""{default}
        UNION ALL
        SELECT g.province_code, g.term, g.citizen_id, CASE any_value(g.category) {labels} END, any_value(g.amphoe_code),
               any_value(g.tambon_code), any_value(g.age), bool_or(g.pending_review), any_value(g.last_record_term),
               string_agg(t.label, ', ' ORDER BY t.label)
        FROM target_group_out_of_school g JOIN target_groups t USING (province_code, target_group)
        WHERE NOT EXISTS (SELECT 1 FROM out_of_school d WHERE d.province_code = g.province_code AND d.term = g.term
                          AND d.citizen_id = g.citizen_id)
        GROUP BY g.province_code, g.term, g.citizen_id"""


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
        evidence = "lat, lon, photo_ref" if {"lat", "lon", "photo_ref"} <= link_cols else \
            "NULL::DOUBLE AS lat, NULL::DOUBLE AS lon, NULL::VARCHAR AS photo_ref"
        earlier_survey = (f"SELECT citizen_id, arg_max(struct_pack(found_status, reason, need, survey_date, term, {evidence}), "
                          "(term, survey_date)) AS s FROM record_links WHERE source = 'survey' AND province_code = $p "
                          "AND term <= $t GROUP BY citizen_id" if surveyed
                          else "SELECT NULL::VARCHAR AS citizen_id, NULL::STRUCT(found_status VARCHAR, reason VARCHAR, "
                               "need VARCHAR, survey_date DATE, term VARCHAR, lat DOUBLE, lon DOUBLE, photo_ref VARCHAR) "
                               "AS s WHERE false")  # no survey linked yet
        kids = _children_sql(tables)
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
                   strftime(e.s.survey_date, '%d/%m/') || (year(e.s.survey_date) + 543) AS earlier_survey_date,
                   e.s.lat AS earlier_lat, e.s.lon AS earlier_lon, e.s.photo_ref AS earlier_photo_ref, o.lists
            FROM ({kids}) o
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

    point = pl.format("พิกัด {},{}", pl.col("earlier_lat").round(5), pl.col("earlier_lon").round(5))
    earlier = pl.concat_str([thai("earlier_found_status", "found_status"), thai("earlier_reason", "reason"),
                             thai("earlier_need", "need"), pl.col("earlier_survey_date"), point,
                             pl.format("ภาพ {}", pl.col("earlier_photo_ref"))],
                            separator=" · ", ignore_nulls=True)
    n = pl.int_range(1, pl.len() + 1).over("tambon_code")
    return frame.with_columns(
        n.alias("n"),
        pl.concat_str(pl.lit(f"{term}-"), pl.col("tambon_code"), pl.lit("-"), n.cast(pl.String).str.zfill(4)).alias("survey_id"),
        pl.col("sex").replace_strict(SEX_TH, default=None, return_dtype=pl.String).alias("sex_th"),
        display_expr(pl.col("last_record_term")).alias("last_record_term"),
        pl.when(earlier != "").then(earlier).alias("earlier_survey"),
        # a list beyond the default cohort (provinces.toml) said in the category cell
        pl.when(pl.col("lists").is_not_null()).then(pl.format("{} · กลุ่ม {}", pl.col("category_th"), pl.col("lists")))
        .otherwise(pl.col("category_th")).alias("category_th"),
        # where the last visit was: opens the phone's map application (a link in the workbook, not printed)
        pl.format(MAP_LINK, pl.col("earlier_lat"), pl.col("earlier_lon")).alias("map_link"),
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
        base = {"font_size": FONT_PT, "text_wrap": True, "valign": "top", "border": 1}
        head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7"})
        head_fill = wb.add_format({**base, "bold": True, "bg_color": "#FFE699"})
        text = wb.add_format({**base, "num_format": "@"})
        number = wb.add_format(base)
        fill = wb.add_format({**base, "num_format": "@", "bg_color": "#FFF2CC"})
        ws = wb.add_worksheet(SHEET)
        layout = [(h, name, w, None) for h, name, w in PRINTED] + [(h, None, w, v) for h, v, w in TO_FILL] \
            + [(h, name, w, None) for h, name, w in TECHNICAL]
        last = max(rows.height, 1)
        for col, (header, name, width, vocab) in enumerate(layout):
            if name is None:  # a column the team fills in
                ws.write_string(0, col, header, head_fill)
                ws.set_column(col, col, width, fill)
                ws.write_column(1, col, [""] * rows.height, fill)
                if vocab:
                    ws.data_validation(1, col, last, col, {
                        "validate": "list", "source": list(c.thai_words(vocab).values()),
                        "error_title": header, "error_message": "เลือกจากรายการ", "error_type": "warning"})
                continue
            ws.write_string(0, col, header, head)
            values = rows[name]
            if name == "map_link":  # a link a phone opens in its map application
                for r, url in enumerate(values.to_list(), start=1):
                    if url:
                        ws.write_url(r, col, url, text, string="เปิดแผนที่")
                ws.set_column(col, col, width, text)
                continue
            if values.dtype.is_numeric():
                ws.set_column(col, col, width, number)
                ws.write_column(1, col, values.to_list(), number)
            else:
                ws.set_column(col, col, width, text)
                ws.write_column(1, col, values.fill_null("").to_list(), text)
        # a spreadsheet program sizes no row to its wrapped text when it opens a file: each row gets the
        # height of its longest wrapped cell
        for r, lines in enumerate(_lines_per_row(rows), start=1):
            ws.set_row(r, LINE_PT * lines + 3)
        ws.set_row(0, LINE_PT * 2 + 3)
        printed = len(PRINTED) + len(TO_FILL)
        ws.freeze_panes(1, 4)
        ws.autofilter(0, 0, last, len(layout) - 1)
        # paper: A4 landscape, what a visit needs at 11 pt, the header row on every page
        ws.set_paper(9)
        ws.set_landscape()
        ws.set_margins(left=0.25, right=0.25, top=0.5, bottom=0.5)
        ws.print_area(0, 0, last, printed - 1)
        ws.repeat_rows(0)
        ws.fit_to_pages(1, 0)  # one page wide (the widths fit at 100 %); as many pages long as the children
        ws.set_header(f"&L{title}")
        ws.set_footer(f"&L{title}&Cหน้า &P จาก &N&Rข้อมูลส่วนบุคคล ใช้เฉพาะงานติดตาม (restricted: personal data)")
        notes = wb.add_worksheet("คำอธิบาย")
        notes.set_column(0, 0, 120)
        notes.write_column(0, 0, [title, *INSTRUCTIONS], wb.add_format({"num_format": "@"}))
    finally:
        wb.close()
    tmp.replace(path)


RETURN_TO = "เจ้าหน้าที่ข้อมูลของจังหวัด (ไฟล์รายชื่อที่กรอกแล้ววางใน inbox/survey/<จังหวัด>/<ภาคเรียน>/)"


def write_worklists(warehouse_dir: Path, province: str, term: str, out_dir: Path | None = None,
                    amphoe: str | None = None, tambon: str | None = None, pdf: bool = False) -> list[Worklist]:
    """Write one xlsx per tambon (and, with ``pdf``, its visit pack); returns the files with their child counts
    (no names)."""
    t = Term.parse(term)
    frame = children_to_visit(Path(warehouse_dir) / "restricted.duckdb", province, t, amphoe, tambon)
    if frame.is_empty():
        return []
    out_dir = Path(out_dir) if out_dir else Path(warehouse_dir) / "worklists" / province / str(t)
    names = dict(zip(areas.tambons()["tambon_code"].to_list(), areas.tambons()["tambon_name_th"].to_list()))
    amphoe_names = dict(zip(areas.amphoes()["amphoe_code"].to_list(), areas.amphoes()["amphoe_name_th"].to_list()))
    written = []
    for (code,), rows in _prepare(frame, t).partition_by("tambon_code", as_dict=True, maintain_order=True).items():
        path = out_dir / f"worklist_{province}_{t}_{code}.xlsx"
        title = f"ตำบล{names.get(code, '')} ({code}) ภาคเรียน {t.display}"
        write_workbook(rows, path, title)
        if pdf:
            from zero_dropout.visit_pack import write_pack

            write_pack(rows, path.with_suffix(".pdf"), title, RETURN_TO, amphoe=f"อำเภอ{amphoe_names.get(code[:4], '')} ({code[:4]})")
        written.append(Worklist(path, code, rows.height))
    return written
