"""Every cell a real export can carry: typed xlsx cells, typed Parquet columns, CSV in each encoding and
delimiter, and the date forms people write. The same rows, whatever wrote them, standardise to the same
frame; a visit that still identifies a child is never quarantined for an optional field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings, strategies as st

from inbox_builder import drop, make_pid
from zero_dropout.inbox import InboxFile
from schemas.ingest import ingest

SURVEY_HEADER = ["survey_id", "survey_date", "org", "pid", "fname", "lname", "sex", "birth_date", "age", "ccaattmm",
                 "hno", "status", "lat", "lon", "photo_ref"]
# what linkage and publishing read of a standardised survey row
COMPARED = ["survey_id", "survey_full_date", "citizen_id", "id_kind", "first_name", "last_name", "sex",
            "birth_year_be", "birth_month", "birth_day", "birth_full_date", "age", "tambon_code", "moo", "house_no",
            "found_status_canonical", "lat", "lon", "data_issues"]


def _survey(path: Path, rel: str) -> pl.DataFrame:
    result = ingest([InboxFile("survey", path, rel, "55", "2567-1")], "survey", province="55", term="2567-1")
    assert result.files["outcome"].to_list() == ["accepted"], result.files["message"].to_list()
    assert result.quarantine.height == 0, result.quarantine.select("source_row", "column", "check").to_dicts()
    return result.accepted.sort("source_row").select(COMPARED)


# ---- one row as a person keeps it (typed values), and writers that turn it into cells -------------------

def _typed(i: int, pid: str, birth: dt.date, visit: dt.datetime, age: int, lat: float | None) -> dict:
    return {"survey_id": f"S{i:04d}", "survey_date": visit, "org": "กศน.อำเภอ", "pid": int(pid), "fname": "สมหญิง",
            "lname": "ใจงาม", "sex": 2, "birth_date": birth, "age": age, "ccaattmm": 55010101, "hno": f"{i}/2",
            "status": "พบตัว", "lat": lat, "lon": 100.75 if lat is not None else None, "photo_ref": f"IMG_{i}.jpg"}


def _as_text(row: dict) -> dict:
    """What a CSV export writes for the typed row: the ID with its leading zero, dates as CE ISO."""
    out = dict(row)
    out["pid"] = str(row["pid"]).zfill(13)
    out["survey_date"] = row["survey_date"].strftime("%Y-%m-%d %H:%M:%S")
    out["birth_date"] = row["birth_date"].isoformat()
    return {k: ("" if v is None else str(v)) for k, v in out.items()}


def write_openpyxl(rows: list[dict], path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(SURVEY_HEADER)
    for r in rows:
        ws.append([r[h] for h in SURVEY_HEADER])
    wb.save(path)


def write_xlsxwriter(rows: list[dict], path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("สำรวจ")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(0, 0, SURVEY_HEADER)
    for i, r in enumerate(rows, start=1):
        for j, h in enumerate(SURVEY_HEADER):
            v = r[h]
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(i, j, v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time()), date_fmt)
            elif v is not None:
                ws.write(i, j, v)
    wb.close()


def write_parquet(rows: list[dict], path: Path) -> None:
    pl.DataFrame(rows, schema={"survey_id": pl.String, "survey_date": pl.Datetime, "org": pl.String, "pid": pl.Int64,
                               "fname": pl.String, "lname": pl.String, "sex": pl.Int8, "birth_date": pl.Date,
                               "age": pl.Float64, "ccaattmm": pl.Int64, "hno": pl.String, "status": pl.String,
                               "lat": pl.Float64, "lon": pl.Float64, "photo_ref": pl.String}).write_parquet(path)


def _csv_writer(encoding: str, delimiter: str, bom: bool = False):
    def write(rows: list[dict], path: Path) -> None:
        text = pl.DataFrame([_as_text(r) for r in rows]).select(SURVEY_HEADER).write_csv(separator=delimiter)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return write


WRITERS = {
    "openpyxl.xlsx": write_openpyxl,
    "xlsxwriter.xlsx": write_xlsxwriter,
    "typed.parquet": write_parquet,
    "utf8-comma.csv": _csv_writer("utf-8", ","),
    "utf8bom-pipe.csv": _csv_writer("utf-8", "|", bom=True),
    "cp874-tab.csv": _csv_writer("cp874", "\t"),
    "tis620-semicolon.csv": _csv_writer("tis_620", ";"),
}


ids = st.builds(lambda cat, seq: make_pid(seq, category=cat), st.integers(0, 8), st.integers(1, 9_999_999))
rows_strategy = st.lists(
    st.tuples(ids, st.dates(dt.date(2006, 1, 1), dt.date(2021, 12, 31)),
              st.datetimes(dt.datetime(2024, 5, 16), dt.datetime(2025, 3, 31)).map(lambda d: d.replace(microsecond=0)),
              st.integers(3, 18), st.one_of(st.none(), st.floats(5.6, 20.5).map(lambda x: round(x, 5)))),
    min_size=1, max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_strategy)
def test_the_same_rows_through_every_writer_standardise_to_the_same_frame(tmp_path_factory, drawn):
    rows = [_typed(i, *r) for i, r in enumerate(drawn, start=1)]
    folder = tmp_path_factory.mktemp("forms")
    frames = {}
    for name, write in WRITERS.items():
        path = folder / name
        write(rows, path)
        frames[name] = _survey(path, f"survey/55/2567-1/{name}")
    reference = frames.pop("utf8-comma.csv")
    assert reference["citizen_id"].to_list() == [str(r["pid"]).zfill(13) for r in rows]  # category 0 restored
    assert reference["birth_full_date"].to_list() == [r["birth_date"] for r in rows]
    assert reference["survey_full_date"].to_list() == [r["survey_date"].date() for r in rows]
    for name, frame in frames.items():
        assert frame.equals(reference), name


# ---- each cell form on its own ---------------------------------------------------------------------------

@pytest.mark.parametrize("written, expected", [
    ("2024-02-23 00:00:00", dt.date(2024, 2, 23)),  # an xlsx date cell read as text
    ("2024-02-23T09:30:00+07:00", dt.date(2024, 2, 23)),  # ISO date-time
    ("45345", dt.date(2024, 2, 23)),  # Excel serial written as text
    ("23 ก.พ. 2567", dt.date(2024, 2, 23)),  # Thai short month, BE
    ("23 กุมภาพันธ์ 2567", dt.date(2024, 2, 23)),  # Thai long month, BE
    ("23 กุมภาพันธ์ พ.ศ. 2567", dt.date(2024, 2, 23)),
    ("๒๓ ก.พ. ๒๕๖๗", dt.date(2024, 2, 23)),  # Thai digits
    ("23 ก.พ. 67", dt.date(2024, 2, 23)),  # two-digit BE year
    ("23 Feb 2024", dt.date(2024, 2, 23)),  # English month, CE
    ("2567-02-23", dt.date(2024, 2, 23)),  # BE ISO
    ("23/02/2024", dt.date(2024, 2, 23)),  # CE DD/MM/YYYY
    ("23.02.2567", dt.date(2024, 2, 23)),
    ("2/23/2024", dt.date(2024, 2, 23)),  # US order from a foreign tool: a month of 23 cannot be
    ("25670223", dt.date(2024, 2, 23)),  # DOPA YYYYMMDD
])
def test_each_date_form_reads_in_every_date_column(tmp_path, written, expected):
    row = ["S1", written, "อสม.", make_pid(1), "สมหญิง", "ใจงาม", "2", written, "", "55010101", "1", "found", "", "", ""]
    f = drop(tmp_path, "survey/55/2567-1/d.csv", ",".join(SURVEY_HEADER) + "\n" + ",".join(row) + "\n")
    out = _survey(f.path, f.rel)
    assert out["survey_full_date"].to_list() == [expected] and out["birth_full_date"].to_list() == [expected]
    assert out["data_issues"].to_list() == [[]]


@pytest.mark.parametrize("written, kind, expected", [
    (make_pid(5, category=0)[1:], "valid", make_pid(5, category=0)),  # a number that lost its leading zero
    (make_pid(5) + ".0", "valid", make_pid(5)),  # a float column
    ("1.10370E+12", "excel_mangled", None),  # digits lost: invalid, never guessed
    ("1-5501-00000-05-" + make_pid(5)[-1], "valid", make_pid(5)),
])
def test_ids_as_numbers_and_as_text(tmp_path, written, kind, expected):
    row = ["S1", "", "อสม.", written, "สมหญิง", "ใจงาม", "2", "", "12.0", "55010101", "1", "found", "", "", ""]
    f = drop(tmp_path, "survey/55/2567-1/i.csv", ",".join(SURVEY_HEADER) + "\n" + ",".join(f'"{v}"' for v in row) + "\n")
    out = _survey(f.path, f.rel)
    assert out["id_kind"].to_list() == [kind] and out["citizen_id"].to_list() == [expected]
    assert out["age"].to_list() == [12]


def test_xlsx_booleans_and_numbers_in_text_columns_do_not_stop_the_file(tmp_path):
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(SURVEY_HEADER)
    ws.append(["S1", True, 12, int(make_pid(3)), "สมหญิง", "ใจงาม", 2.0, 45345, 14.0, 55010101.0, 7, "found", True, "x", 5])
    wb.save(path)
    out = _survey(path, "survey/55/2567-1/b.xlsx")
    row = out.row(0, named=True)
    assert row["citizen_id"] == make_pid(3) and row["birth_full_date"] == dt.date(2024, 2, 23) and row["age"] == 14
    assert row["tambon_code"] == "550101" and row["sex"] == 2
    assert set(row["data_issues"]) == {"survey_date:date_form", "lat:latitude", "lon:longitude"}


# ---- optional fields: set aside, never a reason to lose the visit ---------------------------------------

OPTIONAL = {
    "survey_date": ("32/13/2567", "survey_full_date", "survey_date:real_day"),
    "visit date not a date": ("เมื่อวาน", "survey_full_date", "survey_date:date_form"),
    "ccaattmm": ("55999901", "tambon_code", "address_code:dopa_tambon_exists"),
    "ccaattmm short": ("550101", "tambon_code", "address_code:eight_digits"),
    "hno": ("9" * 150, "house_no", "house_no:at_most_100_characters"),
    "lat": ("north", "lat", "lat:latitude"),
    "lon": ("500", "lon", "lon:longitude"),
    "photo_ref": ("x" * 600, None, "photo_ref:at_most_500_characters"),
    "age": ("99", "age", "age:plausible_age"),
    "birth_date": ("31/02/2560", "birth_full_date", "birth_date:real_day"),
}


@pytest.mark.parametrize("case", sorted(OPTIONAL))
def test_a_visit_that_identifies_a_child_is_kept_when_an_optional_field_is_unusable(tmp_path, case):
    written, column, issue = OPTIONAL[case]
    field = case.split(" ")[0]
    values = dict(zip(SURVEY_HEADER, ["S1", "2024-02-23", "อสม.", make_pid(1), "สมหญิง", "ใจงาม", "2", "", "12",
                                      "55010101", "1", "found", "18.7", "100.7", "p.jpg"]))
    values[field if field != "visit" else "survey_date"] = written
    text = ",".join(SURVEY_HEADER) + "\n" + ",".join(f'"{values[h]}"' for h in SURVEY_HEADER) + "\n"
    f = drop(tmp_path, "survey/55/2567-1/o.csv", text)
    result = ingest([f], "survey", province="55", term="2567-1")
    assert result.quarantine.height == 0 and result.accepted.height == 1
    row = result.accepted.row(0, named=True)
    assert issue in row["data_issues"]
    if column:
        assert row[column] is None
    assert row["citizen_id"] == make_pid(1) and row["found_status_canonical"] == "found"
    got = result.issues.row(0, named=True)
    assert f"{got['column']}:{got['check']}" == issue and got["source_row"] == 1
    assert result.files["rows_with_issues"].to_list() == [1]


def test_a_visit_with_nothing_to_identify_is_still_quarantined(tmp_path):
    text = ",".join(SURVEY_HEADER) + "\n" + ",".join(["S1", "2024-02-23", "อสม.", "", "", "", "", "", "", "55999901",
                                                      "", "found", "", "", ""]) + "\n"
    f = drop(tmp_path, "survey/55/2567-1/n.csv", text)
    result = ingest([f], "survey", province="55", term="2567-1")
    assert result.accepted.height == 0
    checks = set(zip(result.quarantine["column"], result.quarantine["check"]))
    assert ("first_name", "identity_present") in checks and ("address_code", "dopa_tambon_exists") in checks


def test_registry_rows_stay_strict(tmp_path):
    from inbox_builder import REGISTRY_HEADER, csv_text, registry_row

    f = drop(tmp_path, "registry/55/r.csv", csv_text(REGISTRY_HEADER, [registry_row(1, address="55999901")]))
    result = ingest([f], "registry", province="55")
    assert result.accepted.height == 0 and result.issues.height == 0


MOE_OPTIONAL = {
    "birthdate": ("31/02/2560", "birth_full_date", "birth_date:real_day"),
    "school_id": ("10550", "school_code", "school_code:ten_digits"),
    "affiliation": ("99", "affiliation", "affiliation:known_affiliation"),
    "school_province": ("00", "school_province", "school_province:known_province"),
}


@pytest.mark.parametrize("field", sorted(MOE_OPTIONAL))
def test_an_moe_record_with_a_valid_id_is_kept_when_an_optional_field_is_unusable(tmp_path, field):
    from inbox_builder import MOE_HEADER, csv_text, moe_row

    written, column, issue = MOE_OPTIONAL[field]
    header = MOE_HEADER.split("|")
    values = dict(zip(header, moe_row(1).split("|")))
    values[field] = written
    f = drop(tmp_path, "moe/2567-1/m.csv", csv_text(MOE_HEADER, ["|".join(values[h] for h in header)]))
    result = ingest([f], "moe", term="2567-1")
    assert result.quarantine.height == 0 and result.accepted.height == 1
    row = result.accepted.row(0, named=True)
    assert row[column] is None and row["data_issues"] == [issue] and row["citizen_id"] == make_pid(1)
    assert row["enrollment_status_canonical"] == "studying"


def test_header_and_value_spellings_differ_by_case_spaces_underscores_and_hyphens(tmp_path):
    header = ["Survey ID", "SURVEY_DATE", "Citizen-ID", "First Name", "last_name ", "Sex", "Birth Date", "AGE", "Status",
              "Reason", "Need"]
    row = ["S1", "2024-02-23", make_pid(1), "สมหญิง", "ใจงาม", "Female", "2012-03-04", "", "Not_Found", "", "Return-to-School"]
    f = drop(tmp_path, "survey/55/2567-1/h.csv", ",".join(header) + "\n" + ",".join(row) + "\n")
    result = ingest([f], "survey", province="55", term="2567-1")
    assert result.files["outcome"].to_list() == ["accepted"] and result.quarantine.height == 0
    got = result.accepted.row(0, named=True)
    assert got["citizen_id"] == make_pid(1) and got["first_name"] == "สมหญิง" and got["sex"] == 2
    assert got["found_status_canonical"] == "not found" and got["need_canonical"] == "return to school"
    assert got["birth_full_date"] == dt.date(2012, 3, 4)


def test_a_title_and_blank_lines_above_the_header_are_skipped_in_csv_and_xlsx(tmp_path):
    title = ["รายงานผลการติดตามเด็กนอกระบบ จังหวัดน่าน", "ข้อมูล ณ วันที่ 23 ก.พ. 2567", ""]
    header = ["survey_id", "pid", "fname", "lname", "status"]
    rows = [["S1", make_pid(1), "สมหญิง", "ใจงาม", "found"], ["S2", make_pid(2), "สมชาย", "ใจดี", "moved"]]
    f = drop(tmp_path, "survey/55/2567-1/t.csv", "\n".join(title + [",".join(header)] + [",".join(r) for r in rows]) + "\n")
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for line in title:
        ws.append([line] if line else [])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    for out in (_survey(f.path, f.rel), _survey(path, "survey/55/2567-1/t.xlsx")):
        assert out["citizen_id"].to_list() == [make_pid(1), make_pid(2)]


def test_values_worked_out_once_per_distinct_value_equal_the_row_by_row_work(monkeypatch):
    """A large file's repeated values (dates, titles in names, school columns, address codes) are standardised once
    per distinct value and joined back; a small file's row by row. Both give the same frame, for every source."""
    from zero_dropout import standardize
    from zero_dropout.contract import load_contract
    from schemas.ingest import STANDARDIZERS

    contract = load_contract()
    dates = ["15/01/2555", "2555-01-15", "15 ม.ค. 2555", "๑๕/๐๑/๒๕๕๕", "2012-01-15 00:00:00", "00/00/2555", "31/02/2555",
             "40923", "15/1/55", "", None, "ไม่ทราบ"]
    names = [("ด.ช.สมชาย", None), ("สมชาย", "ด.ช."), ("เด็กหญิงมาลี", "ด.ญ."), (" มาลี ", None), ("Somchai", "Mr."), (None, None)]
    n = 240
    raw = pl.DataFrame({
        "student_id": [f"{1100000000000 + i * 7}" if i % 5 else None for i in range(n)],
        "citizen_id": [f"{1100000000000 + i * 7}" if i % 4 else f"๑-๑๐๐{i}" for i in range(n)],
        "first_name": [names[i % len(names)][0] for i in range(n)], "title": [names[i % len(names)][1] for i in range(n)],
        "last_name": ["ใจดี", " ใจดี", "ศรี  สุข", None][0:4] * (n // 4),
        "sex": ["1", "ชาย", "หญิง", None, "F", "2"] * (n // 6),
        "birth_date": [dates[i % len(dates)] for i in range(n)], "move_in_date": [dates[(i * 5) % len(dates)] for i in range(n)],
        "survey_date": [dates[(i * 7) % len(dates)] for i in range(n)], "paid_date": [dates[(i * 3) % len(dates)] for i in range(n)],
        "admitted_date": [dates[(i * 11) % len(dates)] for i in range(n)], "released_date": [None, dates[1]] * (n // 2),
        "school_code": ["1055-010001", "1055010001", "๑๐๕๕๐๑๐๐๐๒", None] * (n // 4),
        "school_name": ["โรงเรียน  บ้านนา", "โรงเรียนบ้านนา", None] * (n // 3), "affiliation": [None, "10", "๑๐"] * (n // 3),
        "school_province": ["55", "๕๕", None] * (n // 3), "grade": ["ป.1", " ป.1 ", "ม.๓", None] * (n // 4),
        "enrollment_status": ["กำลังศึกษา", "จบการศึกษา", "ลาออก", "xyz", None, "studying"] * (n // 6),
        "address_code": ["55010101", "5501-01-01", "๕๕๐๑๐๑๐๑", "550101", None, "12"] * (n // 6),
        "house_no": ["12/2", " 12/2", "๑๒", None] * (n // 4), "nationality": ["ไทย", "Thai", "พม่า", None] * (n // 4),
        "person_status": ["0", "๘", "1", None] * (n // 4), "house_id": ["5501-0000-1234", None] * (n // 2),
        "source_sheet": [""] * n, "source_row": list(range(1, n + 1)),
    })
    for source, standardise in STANDARDIZERS.items():
        monkeypatch.setattr(standardize, "PER_VALUE_MIN_ROWS", 0)
        joined = standardise(raw.lazy(), contract).collect()
        monkeypatch.setattr(standardize, "PER_VALUE_MIN_ROWS", 10**9)
        row_by_row = standardise(raw.lazy(), contract).collect()
        assert joined.equals(row_by_row), source
        assert joined.height == n and joined["birth_full_date"].null_count() < n and joined["first_name_norm"].null_count() < n
