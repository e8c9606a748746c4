"""Bad input, each with the outcome asserted: accepted, quarantined (file, row, column, check) or refused."""

from __future__ import annotations

import json

import polars as pl
import pytest

from inbox_builder import MOE_HEADER, REGISTRY_HEADER, csv_text, drop, make_pid, moe_row, registry_row
from zero_dropout.inbox import scan
from schemas.ingest import IngestCache, ingest


def _registry(tmp_path, name, data, encoding="utf-8"):
    f = drop(tmp_path, f"registry/55/{name}", data, encoding)
    return ingest([f], "registry", province="55")


def _moe(tmp_path, rows, name="moe.csv"):
    f = drop(tmp_path, f"moe/2567-1/{name}", csv_text(MOE_HEADER, rows))
    return ingest([f], "moe", term="2567-1")


def _balanced(result):
    files = result.files.filter(pl.col("outcome") == "accepted")
    return (files["rows_read"] == files["rows_accepted"] + files["rows_quarantined"]).all()


def _refused(result) -> str:
    assert result.files["outcome"].to_list() == ["refused"]
    assert result.accepted.height == 0
    return result.files["message"][0]


def _quarantined(result) -> set[tuple[int, str, str]]:
    q = result.quarantine
    assert (q["source_file"].str.len_chars() > 0).all()
    return set(zip(q["source_row"].to_list(), q["column"].to_list(), q["check"].to_list()))


def test_empty_file_is_refused(tmp_path):
    assert "empty file" in _refused(_registry(tmp_path, "empty.csv", b""))


def test_header_only_is_refused(tmp_path):
    assert "header only" in _refused(_registry(tmp_path, "h.csv", REGISTRY_HEADER + "\n"))


def test_binary_garbage_with_a_csv_name_is_refused(tmp_path):
    garbage = bytes(range(256)) * 40
    message = _refused(_registry(tmp_path, "garbage.csv", garbage))
    assert "binary" in message


def test_unknown_header_is_refused_naming_what_was_expected(tmp_path):
    message = _refused(_registry(tmp_path, "u.csv", "a,b,c\n1,2,3\n"))
    assert "no known header" in message and "pid" in message and "เลขประจำตัวประชาชน" in message


def test_missing_required_column_is_refused(tmp_path):
    message = _refused(_registry(tmp_path, "m.csv", "pid,fname\n" + make_pid(1) + ",สมชาย\n"))
    assert "required columns missing" in message and "last_name" in message


def test_duplicated_header_names_are_refused(tmp_path):
    header = REGISTRY_HEADER + ",fname"
    message = _refused(_registry(tmp_path, "d.csv", csv_text(header, [registry_row(1) + ",x"])))
    assert "fname" in message


def test_two_aliases_of_one_field_are_refused(tmp_path):
    header = REGISTRY_HEADER.replace("title", "ชื่อ")  # ชื่อ and fname are both first_name
    message = _refused(_registry(tmp_path, "a.csv", csv_text(header, [registry_row(1)])))
    assert "first_name" in message


def test_truncated_file_keeps_complete_rows_and_quarantines_the_cut_one(tmp_path):
    text = csv_text(REGISTRY_HEADER, [registry_row(i) for i in range(1, 6)])
    cut = text.encode("utf-8")[: -40]  # cut inside the last row (and possibly inside a Thai character)
    result = _registry(tmp_path, "t.csv", cut)
    assert result.files["outcome"].to_list() == ["accepted"]
    assert result.accepted.height == 4 and _balanced(result)
    assert {row for row, _, _ in _quarantined(result)} == {5}


def test_tis620_file_among_utf8_files_reads_the_same_names(tmp_path):
    rows = [registry_row(1, fname="ณัฐวุฒิ", lname="ศรีสุข")]
    utf8 = drop(tmp_path, "registry/55/a_utf8.csv", csv_text(REGISTRY_HEADER, rows))
    tis = drop(tmp_path, "registry/55/b_tis.csv", csv_text(REGISTRY_HEADER, [registry_row(2, fname="ณัฐวุฒิ", lname="ศรีสุข")]), "cp874")
    a = ingest([utf8], "registry", province="55")
    b = ingest([tis], "registry", province="55")
    assert b.files["encoding"].to_list() == ["cp874"] and a.files["encoding"].to_list() == ["utf-8"]
    assert a.accepted["first_name"].to_list() == b.accepted["first_name"].to_list() == ["ณัฐวุฒิ"]


def test_excel_mangled_wrong_check_digit_and_gcode_in_the_registry_are_quarantined(tmp_path):
    good = make_pid(1)
    wrong = good[:12] + str((int(good[12]) + 1) % 10)
    rows = [registry_row(1), registry_row(2, pid="1.10370E+12"), registry_row(3, pid=wrong),
            registry_row(4, pid="G644200000001"), registry_row(5, pid=make_pid(5, category=0))]
    result = _registry(tmp_path, "ids.csv", csv_text(REGISTRY_HEADER, rows))
    got = _quarantined(result)
    assert (2, "citizen_id", "not_spreadsheet_number") in got
    assert (3, "citizen_id", "thai_id_check_digit") in got
    assert (4, "citizen_id", "not_g_code") in got
    assert result.accepted["citizen_id"].to_list() == [make_pid(1), make_pid(5, category=0)]  # category 0 is valid
    assert _balanced(result)


def test_mangled_or_mistyped_moe_ids_are_kept_for_name_matching(tmp_path):
    good = make_pid(7)
    rows = [moe_row(1, cid="1.10370E+12"), moe_row(2, cid=good[:12] + str((int(good[12]) + 3) % 10)),
            moe_row(3, cid="G674200000001"), moe_row(4, cid="1-5501-00000-04-" + make_pid(4)[-1])]
    result = _moe(tmp_path, rows)
    assert result.quarantine.height == 0
    assert result.accepted["id_kind"].to_list() == ["excel_mangled", "bad_checksum", "gcode", "valid"]
    assert result.accepted["citizen_id"].to_list() == [None, None, None, make_pid(4)]


def _issues(result) -> set[tuple[int, str, str]]:
    i = result.issues
    return set(zip(i["source_row"].to_list(), i["column"].to_list(), i["check"].to_list()))


def test_impossible_birth_date_is_set_aside_when_the_id_still_identifies_and_quarantined_when_nothing_does(tmp_path):
    result = _moe(tmp_path, [moe_row(1), moe_row(2, birth="31/02/2560"), moe_row(3, cid="", birth="31/02/2560")])
    assert _issues(result) == {(2, "birth_date", "real_day")}
    kept = result.accepted.filter(pl.col("source_row") == 2).row(0, named=True)
    assert kept["birth_year_be"] is None and kept["data_issues"] == ["birth_date:real_day"]
    assert _quarantined(result) == {(3, "birth_date", "real_day"), (3, "student_id", "identity_present")}
    q = result.quarantine.row(0, named=True)
    assert q["source_file"] == "moe/2567-1/moe.csv"
    assert json.loads(q["raw_values"])["birth_date"] == "31/02/2560"
    assert result.files["rows_with_issues"].to_list() == [1] and _balanced(result)


def test_be_year_in_a_ce_field_and_the_reverse_are_read_right_and_a_double_shift_is_caught(tmp_path):
    rows = [moe_row(1, birth="15/03/2017"), moe_row(2, birth="2560-03-15"), moe_row(3, birth="15/03/1474")]
    result = _moe(tmp_path, rows)
    assert result.accepted["birth_year_be"].to_list() == [2560, 2560, None]
    assert _issues(result) == {(3, "birth_date", "plausible_year")}


def test_a_20_mb_line_is_quarantined_and_its_raw_copy_is_cut(tmp_path):
    huge = "ก" * (20 * 1024 * 1024 // 3)
    rows = [registry_row(1), registry_row(2, fname=huge), registry_row(3)]
    result = _registry(tmp_path, "big.csv", csv_text(REGISTRY_HEADER, rows))
    assert _quarantined(result) == {(2, "first_name", "at_most_100_characters"), (2, "all_fields", "readable_text")}
    assert result.quarantine["raw_values"].str.len_chars().max() < 10_000
    assert result.accepted.height == 2


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_names_beginning_with_formula_characters_are_kept_as_data(tmp_path, prefix):
    name = f"{prefix}HYPERLINK(\"http://x\")" if prefix == "=" else f"{prefix}สมชาย"
    row = registry_row(1).replace(",สมชาย,", "," + '"' + name.replace('"', '""') + '"' + ",")
    result = _registry(tmp_path, "f.csv", csv_text(REGISTRY_HEADER, [row]))
    assert result.accepted["first_name"].to_list() == [name]


def test_rows_duplicated_ten_times_keep_one(tmp_path):
    result = _registry(tmp_path, "dup.csv", csv_text(REGISTRY_HEADER, [registry_row(1)] * 10 + [registry_row(2)]))
    assert result.accepted.height == 2 and result.files["rows_quarantined"].to_list() == [9]
    assert {c for _, _, c in _quarantined(result)} == {"unique_in_file"}
    moe = _moe(tmp_path, [moe_row(1)] * 10)
    assert moe.accepted.height == 1 and {c for _, _, c in _quarantined(moe)} == {"not_repeated_row"}


def test_a_file_dropped_twice_is_ingested_once(tmp_path):
    text = csv_text(MOE_HEADER, [moe_row(i) for i in range(1, 4)])
    a = drop(tmp_path, "moe/2567-1/export.csv", text)
    b = drop(tmp_path, "moe/2567-1/export (copy).csv", text)
    cache = IngestCache(tmp_path / "cache")
    first = ingest([a, b], "moe", term="2567-1", cache=cache)
    assert sorted(first.files["outcome"].to_list()) == ["accepted", "duplicate"]
    assert first.accepted.height == 3
    again = ingest([a, b], "moe", term="2567-1", cache=cache)
    assert again.accepted.sort("source_row").drop("content_hash").equals(first.accepted.sort("source_row").drop("content_hash"))
    assert again.files.drop("content_hash").equals(first.files.drop("content_hash"))
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # read once, served from the cache after


def test_address_in_another_province_than_the_folder_and_unknown_tambon_are_quarantined(tmp_path):
    rows = [registry_row(1), registry_row(2, address="40010101"), registry_row(3, address="55999901")]
    got = _quarantined(_registry(tmp_path, "addr.csv", csv_text(REGISTRY_HEADER, rows)))
    assert (2, "address_code", "province_matches_folder") in got
    assert (3, "address_code", "dopa_tambon_exists") in got


def test_unknown_status_word_is_quarantined(tmp_path):
    assert _quarantined(_moe(tmp_path, [moe_row(1, status="เรียนอยู่บ้าง")])) == {(1, "enrollment_status", "known_status")}


def test_files_in_the_wrong_folder_are_reported(tmp_path):
    drop(tmp_path, "registry/99/x.csv", "pid\n")
    drop(tmp_path, "moe/2024-1/x.csv", "cid\n")
    drop(tmp_path, "survey/55/x.csv", "survey_id\n")
    problems = {f.rel: f.problem for f in scan(tmp_path)}
    assert all(problems.values()) and len(problems) == 3
    assert "province code" in problems["registry/99/x.csv"] and "YYYY-S" in problems["moe/2024-1/x.csv"]


def test_xlsx_reads_every_sheet_with_a_known_header(tmp_path):
    import xlsxwriter

    path = tmp_path / "moe" / "2567-1" / "book.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    header = MOE_HEADER.split("|")
    for sheet, seqs in (("obec", [1, 2]), ("notes", None), ("private", [3])):
        ws = wb.add_worksheet(sheet)
        if seqs is None:
            ws.write_row(0, 0, ["หมายเหตุ", "ไม่ใช่ข้อมูล"])
            continue
        ws.write_row(0, 0, header)
        for r, seq in enumerate(seqs, start=1):
            ws.write_row(r, 0, moe_row(seq).split("|"))
    wb.close()
    from zero_dropout.inbox import InboxFile

    result = ingest([InboxFile("moe", path, "moe/2567-1/book.xlsx", None, "2567-1")], "moe", term="2567-1")
    assert result.accepted.height == 3
    assert sorted(result.accepted["source_sheet"].unique().to_list()) == ["obec", "private"]
    assert "notes" in result.files["message"][0]
