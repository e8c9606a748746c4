"""The review loop as a data officer uses it: export the queue, decide, import, run again."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.runner import run
from pipelines.cli import main as cli
from zero_dropout.decisions import DecisionError, import_decisions


def _q(warehouse, sql):
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def test_decisions_are_applied_on_the_next_run_and_never_return_to_the_queue(tmp_path, samples, monkeypatch):
    # a province that wants every fallback link seen by a person first (settings from configuration)
    settings = tmp_path / "matching.toml"
    settings.write_text("accept_probability = 1.01\n", encoding="utf-8")
    monkeypatch.setenv("ZERO_DROPOUT_MATCHING", str(settings))
    warehouse = tmp_path / "wh"
    args = dict(provinces=["55"], terms=["2566-2"], pseudonym_key="k", progress=lambda _: None)
    run(samples / "inbox", warehouse, **args)
    queues = []
    for province in ("55",):
        for term in ("2566-2",):
            out = tmp_path / f"queue_{province}_{term}.csv"
            assert cli(["review", "export", "--warehouse", str(warehouse), "--province", province, "--term", term,
                        "--out", str(out)]) == 0
            queues.append(pl.read_csv(out, infer_schema=False))
    queue = pl.concat(queues)
    queue_file = tmp_path / "queue.csv"
    assert queue.height >= 20
    decided = queue.with_columns(pl.Series("decision", ["accept", "reject"] + [""] * (queue.height - 2)))
    decided.write_csv(queue_file)
    assert cli(["review", "import", str(queue_file), "--warehouse", str(warehouse), "--by", "test officer"]) == 0

    run(samples / "inbox", warehouse, **args)
    key = ["source_file", "source_row", "citizen_id"]
    accepted = decided.head(1).select(key).with_columns(pl.col("source_row").cast(pl.Int64))
    rejected = decided.slice(1, 1).select(key).with_columns(pl.col("source_row").cast(pl.Int64))
    # the queue holds every linked source's pairs (MOE, survey, aid, justice): a decision lands in its source's table
    links = _q(warehouse, "SELECT source_file, source_row, citizen_id, rule FROM record_links UNION ALL "
                          "SELECT source_file, source_row, citizen_id, rule FROM aid_payments UNION ALL "
                          "SELECT source_file, source_row, citizen_id, rule FROM justice_cases")
    review = _q(warehouse, "SELECT source_file, source_row, citizen_id FROM review_queue")
    assert links.join(accepted, on=key)["rule"].to_list() == ["officer_accepted"]
    assert links.join(rejected, on=key).height == 0
    assert review.join(pl.concat([accepted, rejected]), on=key).height == 0
    assert review.height == queue.height - 2
    assert _q(warehouse, "SELECT count(*) AS n FROM review_decisions")["n"][0] == 2


def test_a_bad_decision_value_is_refused_with_row_and_column(tmp_path):
    f = tmp_path / "d.csv"
    pl.DataFrame({"source": ["moe"], "source_file": ["x"], "source_sheet": [""], "source_row": ["1"],
                  "citizen_id": ["1"], "decision": ["maybe"]}).write_csv(f)
    try:
        import_decisions(tmp_path, f, "officer")
    except DecisionError as err:
        assert "row 1" in str(err) and "decision" in str(err)
    else:
        raise AssertionError("a decision other than accept or reject must be refused")


def test_the_review_workbook_decided_as_an_officer_would(tmp_path, samples, monkeypatch):
    import openpyxl

    from zero_dropout import review_workbook as rw

    settings = tmp_path / "matching.toml"
    settings.write_text("accept_probability = 1.01\n", encoding="utf-8")  # every fallback link to a person first
    monkeypatch.setenv("ZERO_DROPOUT_MATCHING", str(settings))
    warehouse = tmp_path / "wh"
    args = dict(provinces=["55"], terms=["2566-2"], pseudonym_key="k", progress=lambda _: None)
    run(samples / "inbox", warehouse, **args)
    book = tmp_path / "queue.xlsx"
    assert cli(["review", "export", "--warehouse", str(warehouse), "--province", "55", "--term", "2566-2",
                "--out", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    assert wb[rw.SUMMARY_SHEET]["B3"].value.isdigit() and int(wb[rw.SUMMARY_SHEET]["B3"].value) >= 3
    ws = wb[rw.SHEET]
    col = {c.value: c.column for c in ws[1]}
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, col["แถว"]).value == "ผู้ที่อาจใช่"]
    moe = [r for r in rows if ws.cell(r, col["source"]).value == "moe"]
    assert ws.cell(2, col["แถว"]).value == "ระเบียน" and ws.cell(2, col["ชื่อ-นามสกุล"]).value  # the record, then candidates
    assert all(ws.cell(r, col["เทียบชื่อ"]).value in ("ตรงกัน", "ใกล้เคียง", "ต่างกัน", "ไม่มีข้อมูล") for r in rows)
    pair = {r: tuple(ws.cell(r, col[c]).value for c in ("source_file", "source_row", "citizen_id")) for r in rows}
    accept, reject, unsure, edited = moe[0], moe[1], moe[2], moe[3]
    for r, word in ((accept, "ยอมรับ (accept)"), (reject, "ปฏิเสธ (reject)"), (unsure, "ไม่แน่ใจ (not sure)"),
                    (edited, "ยอมรับ (accept)")):
        ws.cell(r, col["การตัดสิน"], word)
    ws.cell(edited, col["source_row"], "99999")  # an identity cell edited after export
    wb.save(book)
    imported = ["review", "import", str(book), "--warehouse", str(warehouse), "--by", "officer"]
    assert cli(imported) == 1  # refused, naming the row
    with pytest.raises(DecisionError, match=f"row {edited}: its identity columns"):
        import_decisions(warehouse, book, "officer")
    ws.cell(edited, col["การตัดสิน"]).value = None
    wb.save(book)
    assert cli(imported) == 0

    run(samples / "inbox", warehouse, **args)
    links = _q(warehouse, "SELECT source_file, source_row::VARCHAR AS source_row, citizen_id, rule, enrollment_status "
                          "FROM record_links WHERE source = 'moe'")
    queue = _q(warehouse, "SELECT source_file, source_row::VARCHAR AS source_row, citizen_id FROM review_queue "
                          "WHERE source = 'moe'")
    as_rows = lambda f: set(f.select("source_file", "source_row", "citizen_id").rows())  # noqa: E731
    a, r, u = (tuple(str(v) for v in pair[x]) for x in (accept, reject, unsure))
    assert a in as_rows(links.filter(pl.col("rule") == "officer_accepted"))
    assert r not in as_rows(links) and r not in as_rows(queue)
    assert u in as_rows(queue) and a not in as_rows(queue)
    status = links.filter(pl.col("citizen_id") == a[2])["enrollment_status"].to_list()
    out = _q(warehouse, f"SELECT citizen_id FROM out_of_school WHERE term = '2566-2' AND citizen_id = '{a[2]}'")
    if "studying" in status:
        assert out.is_empty()  # the accepted record puts the child in school
