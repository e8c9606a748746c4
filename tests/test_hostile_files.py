"""Files no one should send, sent anyway: each ends as accepted (bad rows quarantined) or refused with a
reason, rows balance, and no exception escapes ingestion."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings, strategies as st

from inbox_builder import MOE_HEADER, csv_text, drop, make_pid, moe_row
from zero_dropout.inbox import InboxFile
from schemas.ingest import ingest

SURVEY = "survey_id,fname,status"


def _survey(f: InboxFile):
    return ingest([f], "survey", province="55", term="2567-1")


def _balanced(result) -> bool:
    files = result.files.filter(pl.col("outcome") == "accepted")
    return bool((files["rows_read"] == files["rows_accepted"] + files["rows_quarantined"]).all())


def test_a_csv_mixing_tis620_and_utf8_rows_is_read_row_by_row(tmp_path):
    data = (SURVEY + "\nA1,สมชาย,found\n").encode("utf-8") + "A2,สมหญิง,found\n".encode("cp874")
    result = _survey(drop(tmp_path, "survey/55/2567-1/mixed.csv", data))
    assert result.files["outcome"].to_list() == ["accepted"]
    assert result.accepted.sort("source_row")["first_name"].to_list() == ["สมชาย", "สมหญิง"]


def test_bad_bytes_and_a_nul_past_the_first_megabyte_quarantine_their_row_only(tmp_path):
    rows = [moe_row(i) for i in range(1, 20_001)]
    text = csv_text(MOE_HEADER, rows).encode("utf-8")
    assert len(text) > 1 << 20
    bad_row = ("\n" + moe_row(20_001).replace("สมชาย", "AB\x00C")).encode("utf-8")
    broken = ("\n" + moe_row(20_002)).encode("utf-8").replace("สมชาย".encode("utf-8"), b"\xff\xfe\xfa")
    f = drop(tmp_path, "moe/2567-1/big.csv", text.rstrip(b"\n") + bad_row + broken + b"\n")
    result = ingest([f], "moe", term="2567-1")
    q = set(zip(result.quarantine["source_row"], result.quarantine["check"]))
    assert {(20_001, "readable_text"), (20_002, "readable_text")} <= q
    assert result.accepted.height == 20_000 and _balanced(result)


def test_parquet_with_nested_columns_and_bytes_that_are_not_utf8(tmp_path):
    good = pa.array(["สมชาย".encode(), "\xff\xfe".encode("latin-1")], type=pa.binary()).view(pa.string())
    table = pa.table({"survey_id": ["A1", "A2"], "fname": good, "status": ["found", "found"],
                      "lat": pa.array([[1.0, 2.0], None], type=pa.list_(pa.float64())),
                      "photo_ref": pa.array([{"a": 1}, {"a": 2}])})
    path = tmp_path / "survey" / "55" / "2567-1" / "odd.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    result = _survey(InboxFile("survey", path, "survey/55/2567-1/odd.parquet", "55", "2567-1"))
    assert result.files["outcome"].to_list() == ["accepted"] and _balanced(result)
    assert result.accepted["first_name"].to_list() == ["สมชาย"]
    assert set(zip(result.quarantine["source_row"], result.quarantine["check"])) == {(2, "readable_text")}


_HEADERS = [MOE_HEADER, MOE_HEADER.replace("|", ","), "cid\tfname", "", "x"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(_HEADERS), body=st.binary(max_size=3000), cut=st.integers(0, 400),
       signature=st.sampled_from([b"", b"PK\x03\x04", b"PAR1", b"\xef\xbb\xbf"]))
def test_random_bytes_never_raise(tmp_path_factory, header, body, cut, signature):
    folder = tmp_path_factory.mktemp("fuzz")
    valid = csv_text(MOE_HEADER, [moe_row(1), moe_row(2, cid=make_pid(2)[:12])]).encode("utf-8")
    for name, data in (("random.csv", signature + header.encode() + b"\n" + body),
                       ("truncated.csv", valid[:cut] + body[:50]),
                       ("random.xlsx", b"PK\x03\x04" + body), ("random.parquet", b"PAR1" + body + b"PAR1")):
        result = ingest([drop(folder, f"moe/2567-1/{name}", data)], "moe", term="2567-1")
        assert result.files["outcome"].to_list()[0] in ("accepted", "refused")
        assert _balanced(result)


def test_every_file_in_the_inbox_is_in_ingest_files_misplaced_ones_refused_with_where_they_go(tmp_path, samples):
    import shutil

    import duckdb

    from pipelines.runner import run

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    for rel in ("registry/99/pop.csv", "survey/55/misplaced.csv", "survey/55/2567-1/visits.xls", "grants/55/2567-1/paid.csv",
                "aid/55/paid.csv"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_text("survey_id,fname,status\nA1,x,found\n", encoding="utf-8")
    run(inbox, tmp_path / "w", provinces=["55"], terms=["2567-1"], pseudonym_key="k", progress=lambda _: None)
    con = duckdb.connect(str(tmp_path / "w" / "restricted.duckdb"), read_only=True)
    try:
        refused = dict(con.execute("SELECT source_file, message FROM ingest_files WHERE outcome = 'refused'").fetchall())
    finally:
        con.close()
    assert "inbox/registry/<2-digit province code>/<file>" in refused["registry/99/pop.csv"]
    assert "inbox/survey/<2-digit province code>/<term YYYY-S>/<file>" in refused["survey/55/misplaced.csv"]
    assert "unsupported file type .xls" in refused["survey/55/2567-1/visits.xls"]
    assert "registry, moe, survey, aid or justice" in refused["grants/55/2567-1/paid.csv"]
    assert "inbox/aid/<2-digit province code>/<term YYYY-S>/<file>" in refused["aid/55/paid.csv"]


def test_an_inbox_holding_every_bad_file_finishes_both_provinces(tmp_path, samples):
    import shutil

    import duckdb

    from pipelines.runner import run

    inbox = tmp_path / "inbox"
    shutil.copytree(samples / "inbox", inbox)
    survey = inbox / "survey" / "55" / "2567-1"
    (survey / "mixed.csv").write_bytes((SURVEY + "\nA1,สมชาย,found\n").encode() + "A2,สมหญิง,found\n".encode("cp874"))
    pq.write_table(pa.table({"survey_id": ["B1"], "fname": ["x"], "status": ["found"],
                             "lat": pa.array([[1.0]], type=pa.list_(pa.float64()))}), survey / "nested.parquet")
    pq.write_table(pa.table({"survey_id": ["C1"], "fname": pa.array([b"\xff\xfe"], type=pa.binary()).view(pa.string()),
                             "status": ["found"]}), survey / "not_utf8.parquet")
    (survey / "huge_photo.csv").write_text(f"survey_id,fname,status,photo_ref\nD1,x,found,{'p' * 1_100_000}\n",
                                           encoding="utf-8")
    (inbox / "survey" / "40" / "2567-1" / "garbage.csv").write_bytes(bytes(range(256)) * 40)
    (inbox / "registry" / "40" / "registry_40_20991231.csv").write_bytes(b"")  # a newer, empty extract
    for rel in ("registry/99/pop.csv", "survey/55/misplaced.csv", "survey/55/2567-1/visits.xls"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_text(SURVEY + "\nA1,x,found\n", encoding="utf-8")
    run(inbox, tmp_path / "w", pseudonym_key="k", progress=lambda _: None)  # no exception: every partition published
    con = duckdb.connect(str(tmp_path / "w" / "restricted.duckdb"), read_only=True)
    try:
        files = con.sql("SELECT * FROM ingest_files").pl()
        published = con.execute("SELECT count(*) FROM publication_status WHERE published_version IS NOT NULL "
                                "AND refused_checks IS NULL").fetchone()[0]
        summary = con.execute("SELECT count(*) FROM partition_summary").fetchone()[0]
    finally:
        con.close()
    assert published == 2 and summary == 4  # both provinces, both terms
    accepted = files.filter(pl.col("outcome") == "accepted")
    assert (accepted["rows_read"] == accepted["rows_accepted"] + accepted["rows_quarantined"]).all()
    outcome = dict(zip(files["source_file"], files["outcome"]))
    for rel in ("survey/55/2567-1/mixed.csv", "survey/55/2567-1/nested.parquet", "survey/55/2567-1/not_utf8.parquet",
                "survey/55/2567-1/huge_photo.csv"):
        assert outcome[rel] == "accepted"  # read; what could not be used is quarantined with its check
    for rel in ("survey/40/2567-1/garbage.csv", "registry/40/registry_40_20991231.csv", "registry/99/pop.csv",
                "survey/55/misplaced.csv", "survey/55/2567-1/visits.xls"):
        assert outcome[rel] == "refused", rel
    assert files.filter(pl.col("outcome") == "refused")["message"].null_count() == 0
