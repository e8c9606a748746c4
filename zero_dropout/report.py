"""The province report: one self-contained HTML file for a provincial committee, per province and term.

Built from analyst.duckdb only (pseudonyms, no names, IDs or addresses), every
count under 5 shown as "<5", charts as inline SVG, no script and nothing fetched
(a Content-Security-Policy in the page forbids it).

    zero-dropout report --province 55 --term 2567-1
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from zero_dropout import areas, charts
from zero_dropout.charts import number
from zero_dropout.contract import load_contract
from zero_dropout.population import CATEGORY_LABELS_TH
from zero_dropout.terms import Term
from zero_dropout.errors import Told
from zero_dropout.disclosure import SUPPRESS_UNDER, counted, secondary, suppress

NATIONALITY_TH = {"thai": "สัญชาติไทย", "non_thai": "ไม่มีสัญชาติไทย"}
SEX_TH = {1: "ชาย", 2: "หญิง"}
TRANSITION_TH = {
    "returned_to_school": "กลับเข้าเรียน", "newly_out": "หลุดออกใหม่", "still_out": "ยังอยู่นอกระบบ",
    "still_in_school": "ยังเรียนอยู่", "aged_out": "พ้นช่วงอายุเป้าหมาย", "moved_away": "ย้ายออก/สละสัญชาติ",
    "died": "เสียชีวิต", "entered_in_school": "เข้ากลุ่มเป้าหมาย (เรียนอยู่)",
    "entered_out_of_school": "เข้ากลุ่มเป้าหมาย (นอกระบบ)",
}
OUTCOME_TH = {"accepted": "รับแล้ว", "refused": "ปฏิเสธทั้งไฟล์", "duplicate": "ไฟล์ซ้ำ"}
SOURCE_TH = {"registry": "ทะเบียนราษฎร", "moe": "ข้อมูลนักเรียน (ศธ.)", "survey": "แบบสำรวจภาคสนาม",
             "aid": "การจ่ายเงินช่วยเหลือ", "justice": "สถานพินิจฯ"}
NOT_SURVEYED = "ยังไม่ได้สำรวจ"


class ReportError(Told):
    pass


def count(n: int | None) -> str:
    """A count for a table cell: 0 stays 0 (no one to protect), 1-4 become "<5"."""
    return "0" if n == 0 else number(suppress(n))


def percent(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "–"
    return f"{100 * part / whole:.2f}%"


@dataclass
class ReportData:
    province: str
    term: Term
    totals: dict
    previous: dict | None
    transitions: pl.DataFrame
    trend: pl.DataFrame
    frames: dict[str, pl.DataFrame]
    health: dict[str, pl.DataFrame]
    beyond: dict[str, pl.DataFrame]  # target groups, stages of risk, aid (analyst tables of the partition)


# What the report counts, by what: breakdown -> dimensions (counted on the rows before the analyst file coarsens
# them, suppressed, with secondary suppression: the analyst table report_counts)
BREAKDOWNS = {
    "category_nationality": ["category", "nationality_group"],
    "amphoe": ["amphoe_code", "category"],
    "amphoe_total": ["amphoe_code"],
    "age_total": ["age_band"],
    "tambon": ["amphoe_code", "tambon_code"],
    "age_sex": ["age_band", "sex"],
    "found_status": ["found_status"],
    "need": ["need"],
    "reason": ["reason"],
    "visit_amphoe": ["amphoe_code", "visit"],  # where field visits happened: counts per amphoe, never a point
}
VISIT_TH = {"located": "เยี่ยมแล้ว มีพิกัด", "visited": "เยี่ยมแล้ว ไม่มีพิกัด"}
STAGE_TH = {"upstream": "ต้นน้ำ (เรียนอยู่แต่มีความเสี่ยง)", "midstream": "กลางน้ำ (นอกระบบการศึกษา)",
            "downstream": "ปลายน้ำ (อยู่ในสถานพินิจฯ)", "none": "ไม่อยู่ในระยะใด"}
PROGRAMME_TH = {"cct": "ทุนเสมอภาค", "return_to_school": "เงินกลับเข้าเรียน", "provincial_fund": "กองทุนจังหวัด",
                "scholarship": "ทุนการศึกษา", "other": "อื่นๆ"}
CHILD_STATUS_TH = {"out_of_school": "ยังอยู่นอกระบบ", "returned": "กลับเข้าเรียนแล้ว", "in_school": "เรียนอยู่",
                   "not_in_target": "นอกกลุ่มเป้าหมาย 3-18 ปี", "not_linked": "เชื่อมกับทะเบียนไม่ได้"}
PARTITION = ["province_code", "term"]


def report_counts(children: pl.DataFrame) -> pl.DataFrame:
    """Every breakdown of the report for every partition of ``children`` (the out-of-school rows with their
    place, birth year and sex), small counts and the cells that would give them away suppressed."""
    located = pl.col("survey_lat").is_not_null() if "survey_lat" in children.columns else pl.lit(False)
    rows = children.with_columns(pl.coalesce("survey_found_status", pl.lit(NOT_SURVEYED)).alias("found_status"),
                                 pl.col("survey_need").alias("need"), pl.col("survey_reason").alias("reason"),
                                 pl.when(located).then(pl.lit("located"))
                                 .when(pl.col("survey_found_status").is_not_null()).then(pl.lit("visited")).alias("visit"))
    parts = []
    for name, dims in BREAKDOWNS.items():
        keep = rows.filter(pl.col(dims[-1]).is_not_null()) if name in ("need", "reason", "visit_amphoe") else rows
        cells = secondary(counted(keep, [*PARTITION, *dims]), [*PARTITION, *dims])
        parts.append(cells.with_columns(pl.lit(name).alias("breakdown")))
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.select("breakdown", *PARTITION, *dict.fromkeys(d for dims in BREAKDOWNS.values() for d in dims),
                      "children", "suppressed")


def _counts(con: duckdb.DuckDBPyConnection, breakdown: str) -> pl.DataFrame:
    """One breakdown of every partition asked for (``asked``), as report_counts holds it."""
    dims = ", ".join(BREAKDOWNS[breakdown])
    return con.sql(f"SELECT province_code, term, {dims}, children FROM report_counts JOIN asked USING (province_code, term) "
                   f"WHERE breakdown = ? ORDER BY province_code, term, {dims}", params=[breakdown]).pl()


# the sources' data health of a partition: the MOE export's of the term and the province's own exports' of the
# partition, and for files and quarantine the registry's of the province too
_TERM_EXPORTS = ("(s.source = 'moe' AND s.term = a.term) "
                 "OR (s.source IN ('survey', 'aid', 'justice') AND s.province_code = a.province_code AND s.term = a.term)")
_HEALTH_OF_PARTITION = f"(s.source = 'registry' AND s.province_code = a.province_code) OR {_TERM_EXPORTS}"


def _split(frame: pl.DataFrame, keys: list[tuple[str, str]], drop: bool = True) -> dict[tuple[str, str], pl.DataFrame]:
    """Rows of many partitions (ordered by partition first) -> one frame per partition, in the same order; a
    partition without rows gets an empty frame of the same columns. ``drop``: leave out the partition columns."""
    parts = frame.partition_by(PARTITION, maintain_order=True, as_dict=True)
    empty = frame.clear()
    out = {}
    for key in keys:
        part = parts.get(key, empty)
        out[key] = part.drop(PARTITION) if drop else part
    return out


def load(analyst: Path, province: str, term: Term) -> ReportData:
    return load_many(analyst, [(province, term)])[(province, str(term))]


def load_many(analyst: Path, partitions: list[tuple[str, Term]]) -> dict[tuple[str, str], ReportData]:
    """What the reports of many partitions read, keyed by (province, term text): each query runs once for all of
    them (a report's queries cost 2-3 ms each whatever their size, and a run reports every partition it
    loaded). A partition not loaded raises, naming it and the terms the province has."""
    if not Path(analyst).exists():
        raise ReportError(f"{analyst} does not exist: run the pipeline first")
    keys = list(dict.fromkeys((province, str(term)) for province, term in partitions))
    asked = pl.DataFrame(keys, schema={"province_code": pl.String, "term": pl.String}, orient="row")
    con = duckdb.connect(str(analyst), read_only=True)
    try:
        con.register("asked", asked)
        provinces = sorted({p for p, _ in keys})
        summary = con.sql("SELECT * FROM partition_summary WHERE list_contains(?, province_code) ORDER BY province_code, term",
                          params=[provinces]).pl()
        summaries = {p: s for (p,), s in summary.partition_by("province_code", maintain_order=True, as_dict=True).items()}
        for province, term in keys:
            known = summaries.get(province, summary.clear())
            if known.filter(pl.col("term") == term).is_empty():
                loaded = ", ".join(known["term"].to_list()) or "none"
                raise ReportError(f"province {province} term {term} is not in {analyst} (terms loaded: {loaded})")
        tables = {t for (t,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}

        def by_partition(sql: str) -> dict[tuple[str, str], pl.DataFrame]:
            return _split(con.sql(sql).pl(), keys)

        transitions = (by_partition("SELECT province_code, term, transition, children FROM summary_by_transition "
                                    "JOIN asked USING (province_code, term) ORDER BY province_code, term, transition")
                       if "summary_by_transition" in tables else None)
        frames = {name: _split(_counts(con, name), keys) for name in BREAKDOWNS}
        beyond = {}
        for name in ("target_group_summary", "summary_by_target_group", "summary_by_stage", "summary_by_stage_transition",
                     "aid_summary", "return_payment_summary"):
            if name in tables:  # every column, the partition's too, in the table's order; rows as ORDER BY ALL orders them
                rows = con.sql(f"SELECT t.* FROM {name} t SEMI JOIN asked USING (province_code, term) ORDER BY ALL").pl()
                beyond[name] = _split(rows.sort(PARTITION, maintain_order=True), keys, drop=False)
        surveyed = con.sql("SELECT province_code, term, count(*) FILTER (survey_found_status IS NOT NULL) AS surveyed, "
                           "count(*) FILTER (survey_found_status = 'found') AS found FROM out_of_school "
                           "JOIN asked USING (province_code, term) GROUP BY ALL").pl()
        surveyed = {(r["province_code"], r["term"]): (r["surveyed"], r["found"]) for r in surveyed.iter_rows(named=True)}
        health: dict[str, dict[tuple[str, str], pl.DataFrame]] = {}
        for kind, table in (("linkage", "linkage_summary"), ("review", "review_summary")):
            if table in tables:
                rows = con.sql(f"SELECT t.* FROM {table} t SEMI JOIN asked USING (province_code, term) "
                               "ORDER BY province_code, term, source").pl()
                health[kind] = _split(rows, keys, drop=False)
        for kind, table, sums, of_partition in (
                ("quarantine", "quarantine_summary", 'sum(s.rows_quarantined) AS rows', _HEALTH_OF_PARTITION),
                ("data_issues", "data_issue_summary", 'sum(s.rows_kept) AS rows', _TERM_EXPORTS)):
            if table in tables:
                health[kind] = by_partition(
                    f'SELECT a.province_code, a.term, s.source, s."column", s."check", {sums} FROM {table} s JOIN asked a '
                    f'ON {of_partition} GROUP BY ALL ORDER BY a.province_code, a.term, rows DESC, s.source, '
                    's."column", s."check"')
        if "ingest_summary" in tables:
            health["ingest"] = by_partition(
                "SELECT a.province_code, a.term, s.source, s.outcome, sum(s.files) AS files, sum(s.rows_read) AS rows_read, "
                "sum(s.rows_accepted) AS rows_accepted, sum(s.rows_quarantined) AS rows_quarantined FROM ingest_summary s "
                f"JOIN asked a ON {_HEALTH_OF_PARTITION} GROUP BY ALL ORDER BY ALL")
    finally:
        con.close()
    out = {}
    for province, term in keys:
        key = (province, term)
        summary = summaries[province]
        now = summary.filter(pl.col("term") == term)
        earlier = summary.filter(pl.col("term") < term)
        totals = now.row(0, named=True)
        totals["surveyed"], totals["found"] = surveyed.get(key, (0, 0))
        out[key] = ReportData(
            province, Term.parse(term), totals, earlier.row(-1, named=True) if earlier.height else None,
            transitions[key] if transitions is not None else pl.DataFrame(schema={"transition": pl.String, "children": pl.Int64}),
            summary, {name: parts[key] for name, parts in frames.items()},
            {kind: parts[key] for kind, parts in health.items()}, {name: parts[key] for name, parts in beyond.items()})
    return out


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i >= numeric_from else ""}">{escape(str(c))}</td>' for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>ไม่มีข้อมูล</td></tr>'}</tbody></table>"


def _names(kind: str) -> dict[str, str]:
    frame = {"amphoe": areas.amphoes, "tambon": areas.tambons}[kind]()
    return dict(zip(frame[f"{kind}_code"].to_list(), frame[f"{kind}_name_th"].to_list()))


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def render(d: ReportData) -> str:
    c = load_contract()
    words = {k: c.thai_words(k) for k in ("found_status", "reason", "need")}
    t = d.totals
    province_name = dict(zip(areas.provinces()["province_code"], areas.provinces()["province_name_th"])).get(d.province, d.province)
    amphoe_names, tambon_names = _names("amphoe"), _names("tambon")
    s = {k: suppress(t.get(k)) for k in ("target_population", "in_school", "out_of_school", "never_enrolled", "dropped_out",
                                          "central_register", "non_thai_out_of_school", "surveyed", "found")}
    returned = next((r["children"] for r in d.transitions.iter_rows(named=True) if r["transition"] == "returned_to_school"), None)
    prev_out = suppress(d.previous["out_of_school"]) if d.previous else None
    prev_label = Term.parse(d.previous["term"]).display if d.previous else None

    cards = [("กลุ่มเป้าหมาย (อายุ 3-18 ปี)", number(s["target_population"]), "คนในทะเบียนราษฎรของจังหวัด"),
             ("อยู่ในระบบการศึกษา", number(s["in_school"]), percent(s["in_school"], s["target_population"])),
             ("อยู่นอกระบบการศึกษา", number(s["out_of_school"]), percent(s["out_of_school"], s["target_population"]))]
    if d.previous:
        cards.append(("กลับเข้าเรียนจากภาคเรียนก่อน", number(returned),
                      f"{percent(returned, prev_out)} ของเด็กนอกระบบ {number(prev_out)} คนใน {prev_label}"))
    cards_html = "".join(f'<div class="card"><div class="label">{escape(a)}</div><div class="value">{escape(b)}</div>'
                         f'<div class="note">{escape(n)}</div></div>' for a, b, n in cards)

    f = d.frames
    cat_nat = f["category_nationality"]
    cat_rows = [[CATEGORY_LABELS_TH.get(r["category"], r["category"]), NATIONALITY_TH.get(r["nationality_group"], "ไม่ระบุ"),
                 number(r["children"])] for r in cat_nat.iter_rows(named=True)]
    by_category = [(CATEGORY_LABELS_TH[k], s[k]) for k in ("never_enrolled", "dropped_out")]

    amphoe = f["amphoe"].pivot(on="category", index="amphoe_code", values="children") if f["amphoe"].height else f["amphoe"]
    amphoe_totals = f["amphoe_total"].rows()
    amphoe_rows = [[f"{amphoe_names.get(r['amphoe_code'], '')} ({r['amphoe_code']})",
                    number(r.get("never_enrolled")), number(r.get("dropped_out"))] for r in amphoe.iter_rows(named=True)]
    tambon_rows = [[f"{tambon_names.get(r['tambon_code'], '')} ({r['tambon_code']})", amphoe_names.get(r["amphoe_code"], ""),
                    number(r["children"])] for r in f["tambon"].iter_rows(named=True)]

    age = f["age_sex"].with_columns(pl.col("sex").replace_strict(SEX_TH, default="ไม่ระบุ", return_dtype=pl.String))
    age_pivot = age.pivot(on="sex", index="age_band", values="children") if age.height else age
    sexes = [x for x in ("ชาย", "หญิง", "ไม่ระบุ") if x in age_pivot.columns]
    age_rows = [[r["age_band"], *[number(r[x]) for x in sexes]] for r in age_pivot.iter_rows(named=True)]
    band_order = {"3-5": 0, "6-11": 1, "12-14": 2, "15-17": 3}
    age_rows.sort(key=lambda r: band_order.get(r[0], 9))

    def labelled(frame: pl.DataFrame, col: str, vocab: dict[str, str]) -> list[tuple[str, int | None]]:
        rows = [(vocab.get(r[col], r[col]), r["children"]) for r in frame.iter_rows(named=True)]
        return sorted(rows, key=lambda r: -(r[1] or 0))  # largest first, suppressed last

    trend = d.trend
    terms = [Term.parse(x).display for x in trend["term"].to_list()]
    series = {"กลุ่มเป้าหมาย": [suppress(v) for v in trend["target_population"].to_list()],
              "อยู่ในระบบ": [suppress(v) for v in trend["in_school"].to_list()],
              "นอกระบบ": [suppress(v) for v in trend["out_of_school"].to_list()]}
    trend_rows = [[terms[i], *[number(series[k][i]) for k in series], percent(series["นอกระบบ"][i], series["กลุ่มเป้าหมาย"][i])]
                  for i in range(len(terms))]

    transitions = [(TRANSITION_TH.get(r["transition"], r["transition"]), r["children"]) for r in d.transitions.iter_rows(named=True)]

    health_parts = []
    link = d.health.get("linkage")
    if link is not None and link.height:
        health_parts.append(_table(["แหล่งข้อมูล", "ระเบียนที่เชื่อมได้", "เลขประจำตัวตรงกัน", "ชื่อ/วันเกิด", "เจ้าหน้าที่ยืนยัน",
                                    "รอตรวจสอบ", "สัดส่วนกลุ่มเป้าหมายที่เชื่อมได้"],
                                   [[SOURCE_TH.get(r["source"], r["source"]),
                                     *[count(r[k]) for k in ("records_linked", "linked_exact_id", "linked_fallback",
                                                             "linked_by_officer", "review_queue")],
                                     percent(r["target_linked"], r["target_population"])]
                                    for r in link.iter_rows(named=True)]))
    review = d.health.get("review")
    if review is not None and review.height:
        health_parts.append("<h3>คิวรอเจ้าหน้าที่ตรวจสอบ</h3>" + _table(
            ["แหล่งข้อมูล", "ระเบียนที่รอ", "คู่ที่รอ", "เด็กที่ผลอาจเปลี่ยนสถานะ", "รอนานที่สุด (วัน)"],
            [[SOURCE_TH.get(r["source"], r["source"]), count(r["pending_records"]), count(r["pending_pairs"]),
              count(r["children_could_move"]), str(r["oldest_pending_days"])] for r in review.iter_rows(named=True)],
            numeric_from=1))
    ingest = d.health.get("ingest")
    if ingest is not None and ingest.height:
        health_parts.append("<h3>ไฟล์ที่นำเข้า</h3>" + _table(
            ["แหล่งข้อมูล", "ผล (จำนวนไฟล์)", "แถวที่อ่าน", "แถวที่รับ", "แถวที่กักไว้"],
            [[SOURCE_TH.get(r["source"], r["source"]), f'{OUTCOME_TH.get(r["outcome"], r["outcome"])} ({r["files"]} ไฟล์)',
              *[count(r[k]) for k in ("rows_read", "rows_accepted", "rows_quarantined")]]
             for r in ingest.iter_rows(named=True)], numeric_from=2))
    quarantine = d.health.get("quarantine")
    if quarantine is not None:
        health_parts.append("<h3>แถวที่กักไว้ตรวจสอบ ตามสาเหตุ</h3>" + _table(
            ["แหล่งข้อมูล", "คอลัมน์", "การตรวจ", "แถว"],
            [[SOURCE_TH.get(r["source"], r["source"]), r["column"], r["check"], count(r["rows"])]
             for r in quarantine.iter_rows(named=True)], numeric_from=3))
    issues = d.health.get("data_issues")
    if issues is not None and issues.height:
        health_parts.append("<h3>แถวที่รับไว้ แต่บางช่องใช้ไม่ได้ (ตั้งเป็นค่าว่าง)</h3>" + _table(
            ["แหล่งข้อมูล", "คอลัมน์", "การตรวจ", "แถว"],
            [[SOURCE_TH.get(r["source"], r["source"]), r["column"], r["check"], count(r["rows"])]
             for r in issues.iter_rows(named=True)], numeric_from=3))

    body = [
        f'<header><h1>รายงานเด็กและเยาวชนนอกระบบการศึกษา จังหวัด{escape(province_name)}</h1>'
        f'<p>ภาคเรียนที่ {escape(d.term.display)} · รหัสจังหวัด {escape(d.province)} · จัดทำเมื่อ {dt.date.today().isoformat()} · '
        f'ตัวเลขที่น้อยกว่า {SUPPRESS_UNDER} แสดงเป็น "&lt;5" เพื่อคุ้มครองข้อมูลส่วนบุคคล</p></header>',
        f'<div class="cards">{cards_html}</div>',
        _section("เด็กนอกระบบ ตามประเภทและสัญชาติ", charts.hbar("เด็กนอกระบบ ตามประเภท", by_category),
                 _table(["ประเภท", "กลุ่มสัญชาติ", "จำนวน (คน)"], cat_rows, numeric_from=2),
                 f'<p class="note">ทะเบียนบ้านกลาง: {number(s["central_register"])} คนในกลุ่มเป้าหมาย · '
                 f'ไม่มีสัญชาติไทยและอยู่นอกระบบ: {number(s["non_thai_out_of_school"])} คน · '
                 f'อาจกำลังเรียนอยู่ รอเจ้าหน้าที่ตรวจสอบระเบียน สพฐ./ศธ. (นับรวมในเด็กนอกระบบ): '
                 f'{count(t.get("pending_review") or 0)} คน</p>'),
        _section("รายอำเภอ", charts.hbar("เด็กนอกระบบ รายอำเภอ",
                                          [(f"{amphoe_names.get(a, '')} ({a})", v) for a, v in amphoe_totals]),
                 _table(["อำเภอ", CATEGORY_LABELS_TH["never_enrolled"], CATEGORY_LABELS_TH["dropped_out"]], amphoe_rows)),
        _section("รายตำบล", _table(["ตำบล", "อำเภอ", "จำนวน (คน)"], tambon_rows, numeric_from=2)),
        _section("ตามช่วงอายุและเพศ", charts.hbar("เด็กนอกระบบ ตามช่วงอายุ",
                                                   sorted(f["age_total"].rows(), key=lambda r: band_order.get(r[0], 9))),
                 _table(["ช่วงอายุ (ปี)", *sexes], age_rows)),
        _section("ผลการติดตามภาคสนาม",
                 f'<p>สำรวจแล้ว {number(s["surveyed"])} คน ({percent(s["surveyed"], s["out_of_school"])} ของเด็กนอกระบบ) · '
                 f'พบตัว {number(s["found"])} คน</p>',
                 charts.hbar("ผลการติดตาม", labelled(f["found_status"], "found_status", words["found_status"])),
                 "<h3>ความต้องการความช่วยเหลือ</h3>", charts.hbar("ความต้องการ", labelled(f["need"], "need", words["need"])),
                 "<h3>สาเหตุ</h3>", charts.hbar("สาเหตุ", labelled(f["reason"], "reason", words["reason"]))),
        *_beyond_sections(d, amphoe_names),
        _section("การเปลี่ยนแปลงจากภาคเรียนก่อน",
                 (f"<p>เทียบกับภาคเรียน {escape(prev_label)}: กลับเข้าเรียน {number(returned)} คน จากเด็กนอกระบบ "
                  f"{number(prev_out)} คน ({percent(returned, prev_out)})</p>" + charts.hbar("การเปลี่ยนแปลง", transitions))
                 if d.previous else "<p>ยังไม่มีข้อมูลภาคเรียนก่อนหน้า</p>"),
        _section("แนวโน้มทุกภาคเรียนที่มีข้อมูล", charts.grouped_columns("แนวโน้ม", terms, series),
                 _table(["ภาคเรียน", *series, "สัดส่วนนอกระบบ"], trend_rows)),
        _section("คุณภาพข้อมูล", *health_parts),
    ]
    return PAGE.format(title=escape(f"เด็กนอกระบบ จังหวัด{province_name} {d.term.display}"), body="".join(body))


def _sum(frame: pl.DataFrame, col: str) -> int | float | None:
    """A total over cells of which some may be suppressed: None (shown "<5"/"–") when any is."""
    return None if frame.is_empty() or frame[col].null_count() else frame[col].sum()


def _baht(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def _beyond_sections(d: ReportData, amphoe_names: dict[str, str]) -> list[str]:
    """Target groups, field visits per amphoe, stages of risk, aid: what provinces follow beyond the default cohort."""
    b, out = d.beyond, []
    groups = b.get("target_group_summary", pl.DataFrame())
    if groups.height:
        rows = [[r["label"], f'{r["min_age"]}-{r["max_age"]}', number(suppress(r["target_population"])),
                 number(suppress(r["in_school"])), number(suppress(r["out_of_school"])),
                 percent(suppress(r["out_of_school"]), suppress(r["target_population"]))]
                for r in groups.sort(pl.col("target_group") != "zero_dropout", "min_age").iter_rows(named=True)]
        parts = [_table(["กลุ่มเป้าหมาย", "อายุ (ปี)", "จำนวนคน", "อยู่ในระบบ", "นอกระบบ", "สัดส่วนนอกระบบ"], rows,
                        numeric_from=2)]
        by_amphoe = b.get("summary_by_target_group", pl.DataFrame())
        if by_amphoe.height:
            labels = dict(zip(groups["target_group"], groups["label"]))
            totals = by_amphoe.group_by("target_group", "amphoe_code").agg(
                pl.when(pl.col("children").null_count() == 0).then(pl.col("children").sum()).alias("children"))
            parts.append("<h3>เด็กนอกระบบของแต่ละกลุ่ม รายอำเภอ</h3>" + _table(
                ["กลุ่มเป้าหมาย", "อำเภอ", "นอกระบบ (คน)"],
                [[labels.get(r["target_group"], r["target_group"]), f"{amphoe_names.get(r['amphoe_code'], '')} ({r['amphoe_code']})",
                  number(r["children"])] for r in totals.sort("target_group", "amphoe_code").iter_rows(named=True)],
                numeric_from=2))
        out.append(_section("กลุ่มเป้าหมายที่จังหวัดติดตาม", '<p class="note">กลุ่มอายุ 3-18 ปีเป็นกลุ่มหลักของทุกจังหวัด '
                            'กลุ่มอื่นเป็นกลุ่มที่จังหวัดกำหนดเพิ่ม (แสดงคู่กัน ไม่ได้ใช้แทน)</p>', *parts))
    visits = d.frames.get("visit_amphoe", pl.DataFrame())
    if visits.height:
        pivot = visits.pivot(on="visit", index="amphoe_code", values="children")
        kinds = [k for k in VISIT_TH if k in pivot.columns]
        out.append(_section("การเยี่ยมบ้านของทีมภาคสนาม รายอำเภอ",
                            '<p class="note">จำนวนเด็กนอกระบบที่เยี่ยมแล้ว นับรายอำเภอ (ไม่แสดงตำแหน่งของเด็กรายคน)</p>',
                            _table(["อำเภอ", *[VISIT_TH[k] for k in kinds]],
                                   [[f"{amphoe_names.get(r['amphoe_code'], '')} ({r['amphoe_code']})",
                                     *[number(r[k]) for k in kinds]] for r in pivot.sort("amphoe_code").iter_rows(named=True)])))
    stages = b.get("summary_by_stage", pl.DataFrame())
    if "summary_by_stage" in b:
        default = stages.filter(pl.col("target_group") == "zero_dropout")
        per_stage = [(STAGE_TH[s], _sum(default.filter(pl.col("stage") == s), "children"))
                     for s in ("upstream", "midstream", "downstream")]
        pivot = default.pivot(on="stage", index="amphoe_code", values="children") if default.height else default
        cols = [s for s in ("upstream", "midstream", "downstream") if s in pivot.columns]
        parts = [charts.hbar("เด็กตามระยะความเสี่ยง", per_stage),
                 _table(["อำเภอ", *[STAGE_TH[s] for s in cols]],
                        [[f"{amphoe_names.get(r['amphoe_code'], '')} ({r['amphoe_code']})", *[number(r[s]) for s in cols]]
                         for r in pivot.sort("amphoe_code").iter_rows(named=True)])]
        others = stages.filter(pl.col("target_group") != "zero_dropout")
        if others.height:
            per_group = others.group_by("target_group", "stage").agg(
                pl.when(pl.col("children").null_count() == 0).then(pl.col("children").sum()).alias("children"))
            parts.append("<h3>กลุ่มที่จังหวัดกำหนดเพิ่ม</h3>" + _table(
                ["กลุ่ม", "ระยะ", "จำนวน (คน)"], [[r["target_group"], STAGE_TH[r["stage"]], number(r["children"])]
                                               for r in per_group.sort("target_group", "stage").iter_rows(named=True)],
                numeric_from=2))
        moves = b.get("summary_by_stage_transition")
        moves = moves.filter(pl.col("target_group") == "zero_dropout") if moves is not None else pl.DataFrame()
        if moves.height:
            parts.append("<h3>การเปลี่ยนระยะจากภาคเรียนก่อน (กลุ่ม 3-18 ปี)</h3>" + _table(
                ["ระยะเดิม", "ระยะปัจจุบัน", "จำนวน (คน)"],
                [[STAGE_TH[r["previous_stage"]], STAGE_TH[r["stage"]], number(r["children"])]
                 for r in moves.iter_rows(named=True)], numeric_from=2))
        out.append(_section("ระยะความเสี่ยง ต้นน้ำ กลางน้ำ ปลายน้ำ (กลุ่ม 3-18 ปี)",
                            '<p class="note">ปลายน้ำ: อยู่ในสถานพินิจฯ ระหว่างภาคเรียน · กลางน้ำ: นอกระบบการศึกษา · '
                            'ต้นน้ำ: เรียนอยู่แต่ถูกแขวนลอย กลับเข้าเรียนหลังเคยหลุด หรือได้รับทุนเสมอภาค '
                            '(เด็กหนึ่งคนอยู่ในระยะที่รุนแรงที่สุดที่เข้าเกณฑ์)</p>', *parts))
    aid = b.get("aid_summary", pl.DataFrame())
    if "aid_summary" in b:
        by = aid.group_by("programme", "child_status").agg(
            pl.when(pl.col("children").null_count() == 0).then(pl.col("children").sum()).alias("children"),
            pl.when(pl.col("amount_baht").null_count() == 0).then(pl.col("amount_baht").sum()).alias("amount_baht"))
        parts = [_table(["โครงการ", "สถานะเด็ก", "เด็ก (คน)", "จำนวนเงิน (บาท)"],
                        [[PROGRAMME_TH.get(r["programme"], r["programme"]), CHILD_STATUS_TH.get(r["child_status"], r["child_status"]),
                          number(r["children"]), _baht(r["amount_baht"])]
                         for r in by.sort("programme", "child_status").iter_rows(named=True)], numeric_from=2)]
        amphoe = aid.filter(pl.col("amphoe_code").is_not_null()).group_by("amphoe_code", "child_status").agg(
            pl.when(pl.col("amount_baht").null_count() == 0).then(pl.col("amount_baht").sum()).alias("amount_baht"))
        if amphoe.height:
            pivot = amphoe.pivot(on="child_status", index="amphoe_code", values="amount_baht")
            cols = [c for c in CHILD_STATUS_TH if c in pivot.columns]
            parts.append("<h3>จำนวนเงิน (บาท) รายอำเภอ ตามสถานะเด็ก</h3>" + _table(
                ["อำเภอ", *[CHILD_STATUS_TH[c] for c in cols]],
                [[f"{amphoe_names.get(r['amphoe_code'], '')} ({r['amphoe_code']})", *[_baht(r[c]) for c in cols]]
                 for r in pivot.sort("amphoe_code").iter_rows(named=True)]))
        ret = b.get("return_payment_summary", pl.DataFrame())
        if ret.height:
            r = ret.row(0, named=True)
            parts.insert(0, f'<p>เด็กที่กลับเข้าเรียนภาคเรียนนี้ {number(r["children_returned"])} คน ได้รับเงินกลับเข้าเรียน '
                            f'{number(r["returned_with_return_payment"])} คน ({percent(r["returned_with_return_payment"], r["children_returned"])}) '
                            f'รวม {_baht(r["return_payment_baht"])} บาท</p>')
        out.append(_section("เงินช่วยเหลือที่ถึงตัวเด็ก", *parts))
    return out


def write_report(warehouse_dir: Path, province: str, term: str, out: Path | None = None,
                 data: ReportData | None = None) -> Path:
    """Write the report of one province and term; returns its path."""
    t = Term.parse(term)
    html = render(data or load(Path(warehouse_dir) / "analyst.duckdb", province, t))
    out = Path(out) if out else Path(warehouse_dir) / "reports" / province / f"report_{province}_{t}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out


PAGE = """<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Sarabun", "Noto Sans Thai", "Leelawadee UI", "Thonburi", "Tahoma", "Loma", "Garuda", "Waree",
       "TlwgTypo", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; line-height: 1.5; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ border-bottom: 2px solid #1f6f8b; padding-bottom: .2rem; margin-top: 2rem; }}
header p, .note {{ color: #555; font-size: .9rem; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 1rem; margin: 1.5rem 0; }}
.card {{ flex: 1 1 200px; border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1rem; background: #f7fafc; }}
.card .value {{ font-size: 2rem; font-weight: bold; color: #1f6f8b; }} .card .label {{ font-weight: bold; }}
table {{ border-collapse: collapse; margin: .8rem 0; min-width: 50%; }}
th, td {{ border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }} th {{ background: #eef3f6; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
svg.chart {{ display: block; margin: .8rem 0; max-width: 100%; height: auto; }}
svg.chart text {{ font-size: 13px; fill: #333; }} svg.chart text.muted {{ fill: #888; }} svg.chart text.small {{ font-size: 10px; }}
@media print {{ .card {{ break-inside: avoid; }} section {{ break-inside: avoid-page; }} }}
</style>
</head>
<body>
{body}
<footer class="note"><p>ที่มา: ทะเบียนราษฎร ข้อมูลนักเรียนรายภาคเรียน และแบบสำรวจภาคสนาม เชื่อมโยงด้วยเลขประจำตัวประชาชน
และชื่อ-วันเกิด · สร้างจาก analyst.duckdb (ไม่มีชื่อ เลขประจำตัว หรือที่อยู่)</p></footer>
</body>
</html>
"""
