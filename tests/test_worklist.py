"""Visit lists: one xlsx per tambon, in walking order, text never a formula, and a filled-in list read back as a
survey export that links to the same children."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import duckdb
import openpyxl
import polars as pl
import pytest

from pipelines.runner import run
from zero_dropout import worklist
from zero_dropout.contract import load_contract

TERM, PROVINCE = "2567-1", "55"


def _restricted(warehouse, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def _sheet(path) -> pl.DataFrame:
    ws = openpyxl.load_workbook(path)[worklist.SHEET]
    rows = list(ws.iter_rows(values_only=True))
    return pl.DataFrame([list(r) for r in rows[1:]], schema=[str(h) for h in rows[0]], orient="row",
                        infer_schema_length=None)


@pytest.fixture(scope="module")
def lists(sample_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("worklists")
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "worklist", "--province", PROVINCE, "--term", TERM,
                           "--warehouse", str(sample_warehouse), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "RESTRICTED" in proc.stdout
    return sorted(out.glob("*.xlsx"))


# every child a list holds: the default cohort's out-of-school children and the province's target groups'
ON_THE_LISTS = ("SELECT province_code, term, citizen_id, tambon_code, amphoe_code, survey_found_status, survey_reason, "
                "survey_need FROM out_of_school UNION ALL SELECT province_code, term, citizen_id, tambon_code, amphoe_code, "
                "survey_found_status, survey_reason, survey_need FROM target_group_out_of_school")


def test_one_list_per_tambon_holding_every_out_of_school_child(lists, sample_warehouse):
    # the default cohort's children and, once each, those of the province's target groups who are not in it
    children = _restricted(sample_warehouse, f"SELECT citizen_id, tambon_code, false AS group_only FROM out_of_school "
                                             f"WHERE province_code = '{PROVINCE}' AND term = '{TERM}' UNION "
                                             f"SELECT DISTINCT citizen_id, tambon_code, true FROM target_group_out_of_school g "
                                             f"WHERE province_code = '{PROVINCE}' AND term = '{TERM}' AND NOT EXISTS (SELECT 1 "
                                             f"FROM out_of_school o WHERE o.term = g.term AND o.citizen_id = g.citizen_id)")
    assert children["group_only"].any() and not children["group_only"].all()
    assert len(lists) == children["tambon_code"].n_unique()
    listed = pl.concat([_sheet(p).select(pl.col("เลขประจำตัวประชาชน").alias("citizen_id"), pl.col("ประเภท")) for p in lists])
    assert sorted(listed["citizen_id"].to_list()) == sorted(children["citizen_id"].to_list())
    group_only = set(children.filter("group_only")["citizen_id"])
    assert listed.filter(pl.col("citizen_id").is_in(group_only))["ประเภท"].str.contains("กลุ่ม").all()
    for p in lists:
        assert p.name.endswith(".xlsx") and p.stem.split("_")[-1] in set(children["tambon_code"])


def test_rows_in_walking_order_with_the_columns_a_team_needs(lists):
    frame = _sheet(lists[0])
    expected = [h for h, _, _ in worklist.PRINTED] + [h for h, _, _ in worklist.TO_FILL] + [h for h, _, _ in worklist.TECHNICAL]
    assert frame.columns == expected
    order = frame.select(pl.col("หมู่").cast(pl.Int64, strict=False).alias("moo"),
                         pl.col("บ้านเลขที่").str.extract(r"^([0-9]+)").cast(pl.Int64, strict=False).alias("house"))
    assert order.rows() == order.sort("moo", "house", nulls_last=True, maintain_order=True).rows()
    assert frame["ชื่อ"].null_count() == 0 and frame["ประเภท"].null_count() == 0
    assert frame["ผลการติดตาม"].null_count() == frame.height  # left for the visit
    ws = openpyxl.load_workbook(lists[0])[worklist.SHEET]
    lists_offered = {re.match(r"[A-Z]+", str(dv.sqref)).group(0): dv.formula1 for dv in ws.data_validations.dataValidation}
    words = load_contract().thai_words("found_status")
    column_of = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(expected)}
    assert all(w in lists_offered[column_of["ผลการติดตาม"]] for w in words.values())
    assert {column_of["สาเหตุ"], column_of["ความต้องการ"]} <= set(lists_offered)


def test_cells_beginning_with_formula_characters_stay_text(tmp_path):
    risky = ["=HYPERLINK(\"http://x\",\"y\")", "+66812345678", "-1+2", "@SUM(A1)"]
    frame = pl.DataFrame({name: [None] * 4 for _, name, _ in worklist.PREFILLED}, schema_overrides={"n": pl.Int64, "age": pl.Int64})
    frame = frame.with_columns(pl.Series("first_name", risky), pl.Series("last_name", risky[::-1]),
                               pl.Series("house_no", risky), pl.Series("n", [1, 2, 3, 4]))
    path = tmp_path / "risky.xlsx"
    worklist.write_workbook(frame, path, "test")
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    ws = openpyxl.load_workbook(path)[worklist.SHEET]
    column = openpyxl.utils.get_column_letter([name for _, name, _ in worklist.PRINTED].index("first_name") + 1)
    first = [c.value for c in ws[column][1:]]
    assert first == risky and all(c.data_type == "s" for c in ws[column][1:])


def test_a_filled_in_list_comes_back_as_a_survey_and_links_to_the_same_children(lists, sample_warehouse, samples, tmp_path):
    path = max(lists, key=lambda p: _sheet(p).height)
    wb = openpyxl.load_workbook(path)
    ws = wb[worklist.SHEET]
    header = {c.value: c.column for c in ws[1]}
    n = ws.max_row - 1
    assert n >= 3
    for r in range(2, ws.max_row):  # a team fills every row but the last (not visited yet), after earlier visits
        ws.cell(r, header["วันที่สำรวจ"], "31/10/2567")
        ws.cell(r, header["หน่วยงาน"], "กศน.อำเภอ")
        ws.cell(r, header["ผลการติดตาม"], "พบตัว")
        ws.cell(r, header["สาเหตุ"], "ความยากจน")
        ws.cell(r, header["ความต้องการ"], "กลับเข้าเรียน")
    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    shutil.copy(samples / "provinces.toml", tmp_path)  # the same target groups as the lists were made with
    drop = inbox / "survey" / PROVINCE / TERM
    drop.mkdir(parents=True, exist_ok=True)
    wb.save(drop / path.name)
    listed = _sheet(drop / path.name).with_row_index("source_row", offset=1)

    warehouse = tmp_path / "warehouse"
    run(inbox, warehouse, provinces=[PROVINCE], pseudonym_key="test-key", progress=lambda _: None)

    rel = f"survey/{PROVINCE}/{TERM}/{path.name}"
    files = _restricted(warehouse, f"SELECT * FROM ingest_files WHERE source_file = '{rel}'")
    assert files.height == 1 and files["outcome"][0] == "accepted"
    assert (files["rows_read"][0], files["rows_accepted"][0], files["rows_quarantined"][0]) == (n, n - 1, 1)
    quarantined = _restricted(warehouse, f"SELECT source_row, \"column\" FROM quarantine WHERE source_file = '{rel}'")
    assert quarantined.rows() == [(n, "found_status")]
    links = _restricted(warehouse, f"SELECT source_row, citizen_id, rule FROM record_links WHERE source_file = '{rel}'")
    expected = listed.filter(pl.col("source_row") < n).select(
        pl.col("source_row").cast(pl.Int64), pl.col("เลขประจำตัวประชาชน").alias("citizen_id"))
    got = links.select("source_row", "citizen_id").sort("source_row")
    assert got.equals(expected.sort("source_row"))
    assert set(links["rule"]) == {"exact_id"}
    found = _restricted(warehouse, f"SELECT DISTINCT citizen_id, survey_found_status, survey_reason, survey_need FROM "
                                   f"({ON_THE_LISTS}) WHERE province_code = '{PROVINCE}' AND term = '{TERM}'")
    back = found.join(expected.select("citizen_id"), on="citizen_id")
    assert back.height == n - 1
    assert back.select(pl.col("survey_found_status").eq("found").all(), pl.col("survey_reason").eq("poverty").all(),
                       pl.col("survey_need").eq("return to school").all()).row(0) == (True, True, True)


def test_area_filters_and_an_area_with_no_children(sample_warehouse, tmp_path):
    one = _restricted(sample_warehouse, f"SELECT tambon_code, amphoe_code, count(DISTINCT citizen_id) AS n FROM ({ON_THE_LISTS}) "
                                        f"WHERE province_code = '{PROVINCE}' AND term = '{TERM}' GROUP BY ALL ORDER BY n DESC LIMIT 1")
    tambon, amphoe, n = one.row(0)
    got = worklist.write_worklists(sample_warehouse, PROVINCE, TERM, tmp_path / "t", tambon=tambon)
    assert [(w.tambon_code, w.children) for w in got] == [(tambon, n)]
    by_amphoe = worklist.write_worklists(sample_warehouse, PROVINCE, TERM, tmp_path / "a", amphoe=amphoe)
    assert {w.tambon_code[:4] for w in by_amphoe} == {amphoe}
    assert worklist.write_worklists(sample_warehouse, PROVINCE, TERM, tmp_path / "none", tambon="559999") == []


def test_lists_for_a_province_with_no_survey_linked_yet(sample_warehouse, tmp_path):
    # a province's first term: no survey has been linked, so record_links has no survey columns
    shutil.copy(sample_warehouse / "restricted.duckdb", tmp_path / "restricted.duckdb")
    con = duckdb.connect(str(tmp_path / "restricted.duckdb"))
    for column in ("found_status", "reason", "need", "survey_date"):
        con.execute(f"ALTER TABLE record_links DROP COLUMN {column}")
    con.close()
    lists = worklist.write_worklists(tmp_path, PROVINCE, TERM, tmp_path / "out")
    frame = pl.concat([_sheet(w.path) for w in lists])
    assert frame.height == sum(w.children for w in lists) > 0
    assert frame["ผลการติดตามครั้งก่อน"].null_count() == frame.height
