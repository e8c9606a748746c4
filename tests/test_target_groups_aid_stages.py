"""What provinces follow beyond the default cohort: target groups (provinces.toml), aid payments, juvenile justice
records and the stages of risk, checked against the generator's truth on a world whose noise the project did not
tune on (the harsh profile, typed cells and other header spellings of the other-tools style)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from zero_dropout import target_groups
from zero_dropout.terms import Term

GOOD_GROUP = '[[provinces.21.groups]]\nname = "youth"\nlabel = "เยาวชน"\nages = [7, 21]\nstatuses = [0, 8]\n'


@pytest.mark.parametrize("text, says", [
    (GOOD_GROUP + "colour = 'red'\n", "unknown key colour"),
    (GOOD_GROUP.replace("[7, 21]", "[21, 7]"), "upside down: youngest 21 is above oldest 7"),
    (GOOD_GROUP.replace("[0, 8]", "[0, 5]"), "unknown status 5"),
    (GOOD_GROUP.replace("provinces.21", "provinces.99"), "provinces.99: is not a DOPA province code"),
    (GOOD_GROUP + GOOD_GROUP, "name youth is used twice"),
    ("[provinces.21]\nname = 'Rayong'\ngroup = []\n", "unknown key group"),
    (GOOD_GROUP.replace('name = "youth"', 'name = "zero_dropout"'), "not 'zero_dropout'"),
    ("[[provinces.21.groups]\n", "not valid TOML"),
])
def test_a_bad_province_file_is_refused_in_one_line_before_any_work(tmp_path, samples, text, says):
    bad = tmp_path / "provinces.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(target_groups.ProvinceConfigError, match=says.replace("(", r"\(").replace("[", r"\[")):
        target_groups.load(bad)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env[target_groups.PATH_ENV] = str(bad)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--warehouse", str(tmp_path / "w")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and says.split(":")[-1].strip() in lines[0]
    assert not (tmp_path / "w").exists()  # nothing written


def test_the_default_file_and_the_age_rule():
    groups = target_groups.load(target_groups.DEFAULT_PATH)
    assert {g.name for g in groups["21"]} == {"early_childhood", "youth"} == {g.name for g in groups["52"]}
    term = Term.parse("2566-1")
    assert target_groups.DEFAULT.birth_years_be(term) == term.cohort_birth_years_be == (2549, 2563)
    early = next(g for g in groups["21"] if g.name == "early_childhood")
    assert early.birth_years_be(term) == (2561, 2564)  # ages 2-6 as the default reads 3-18


@pytest.fixture(scope="module")
def harsh_world(tmp_path_factory):
    """Rayong (groups configured) and Khon Kaen, 2 terms, harsh noise written the way other tools write files."""
    from pipelines.runner import run
    from zero_dropout.generator import PROFILES, GeneratorConfig, generate

    root = tmp_path_factory.mktemp("harsh14")
    noise, _ = PROFILES["harsh"]
    cfg = GeneratorConfig(provinces=("21", "40"), terms=(Term.parse("2566-2"), Term.parse("2567-1")),
                          children_per_province=2500, seed=1414, noise=noise, style="other_tools", justice_rate=0.03)
    generate(cfg, root / "gen")
    run(root / "gen" / "inbox", root / "w", pseudonym_key="k", progress=lambda _: None)
    return root / "gen" / "truth", root / "w"


def _restricted(w: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(w / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def test_each_groups_out_of_school_list_matches_the_truth(harsh_world):
    truth, w = harsh_world
    people = pl.read_parquet(truth / "people.parquet")
    status = pl.read_parquet(truth / "status.parquet")
    found = _restricted(w, "SELECT province_code, term, target_group, citizen_id FROM target_group_out_of_school")
    assert set(found["target_group"].unique()) == {"early_childhood", "youth"}
    assert set(found["province_code"].unique()) == {"21"}  # Khon Kaen configures no group
    for g in target_groups.load(target_groups.DEFAULT_PATH)["21"]:
        for term in ("2566-2", "2567-1"):
            lo, hi = g.birth_years_be(Term.parse(term))
            members = people.filter((pl.col("province_code") == "21") & pl.col("birth_year_be").is_between(lo, hi)
                                    & pl.col("person_status").is_in(list(g.statuses)))
            expected = set(members.join(status.filter((pl.col("term") == term) & (pl.col("category") != "in_school")),
                                        on="citizen_id")["citizen_id"])
            got = set(found.filter((pl.col("term") == term) & (pl.col("target_group") == g.name))["citizen_id"])
            tp = len(expected & got)
            assert expected and tp / len(got) >= 0.995 and tp / len(expected) >= 0.995, (g.name, term, len(expected), len(got), tp)
    # the default cohort stays as it is, beside the groups
    default = _restricted(w, "SELECT count(*) AS n FROM out_of_school WHERE province_code = '21'")["n"][0]
    summary = _restricted(w, "SELECT sum(out_of_school) AS n FROM target_group_summary WHERE province_code = '21' "
                             "AND target_group = 'zero_dropout'")["n"][0]
    assert default == summary > 0


def test_aid_payments_link_to_the_right_child(harsh_world):
    truth, w = harsh_world
    found = _restricted(w, "SELECT source_file, source_row, citizen_id FROM aid_payments")
    real = pl.read_parquet(truth / "aid_records.parquet")
    joined = real.join(found, on=["source_file", "source_row"], how="left")
    assert joined.height == real.height == found.height  # every payment row kept, linked or not
    linked = joined.filter(pl.col("citizen_id").is_not_null())
    right = linked.filter(pl.col("citizen_id") == pl.col("true_citizen_id")).height
    precision = right / linked.height
    recall = right / joined.filter(pl.col("true_citizen_id").is_not_null()).height
    assert precision >= 0.995 and recall >= 0.97, (precision, recall)
    # per child and term: what the linked payments add up to
    per_child = _restricted(w, "SELECT term, citizen_id, programme, amount_baht FROM aid_by_child")
    sums = linked.group_by("term", "citizen_id", "programme").agg(pl.col("amount_baht").sum().alias("paid"))
    both = per_child.join(sums, on=["term", "citizen_id", "programme"])
    assert both.height == per_child.height and (both["amount_baht"] - both["paid"]).abs().max() < 1e-6


def test_a_justice_linked_child_is_downstream_for_exactly_the_terms_its_dates_cover(harsh_world):
    truth, w = harsh_world
    cases = _restricted(w, "SELECT citizen_id, admitted_date, released_date FROM justice_cases WHERE citizen_id IS NOT NULL")
    assert cases.height >= 20
    real = pl.read_parquet(truth / "justice_records.parquet")
    found = _restricted(w, "SELECT source_file, source_row, citizen_id FROM justice_cases")
    j = real.join(found, on=["source_file", "source_row"])
    assert j.filter(pl.col("citizen_id").is_not_null() & (pl.col("citizen_id") != pl.col("true_citizen_id"))).height == 0
    stages = _restricted(w, "SELECT term, target_group, citizen_id, stage, reasons FROM risk_stages")
    members = pl.concat([
        _restricted(w, "SELECT term, 'zero_dropout' AS target_group, citizen_id FROM cohort_status WHERE in_target"),
        _restricted(w, "SELECT term, target_group, citizen_id FROM risk_stages")]).unique()
    checked = 0
    for term in ("2566-2", "2567-1"):
        t = Term.parse(term)
        held = set(cases.filter((pl.col("admitted_date") <= t.end)
                                & (pl.col("released_date").is_null() | (pl.col("released_date") >= t.start)))["citizen_id"])
        in_list = members.filter((pl.col("term") == term) & (pl.col("target_group") == "zero_dropout"))
        downstream = set(stages.filter((pl.col("term") == term) & (pl.col("target_group") == "zero_dropout")
                                       & (pl.col("stage") == "downstream"))["citizen_id"])
        expected = held & set(in_list["citizen_id"])
        assert downstream == expected
        checked += len(expected)
    assert checked >= 5
    # every listed child is in one stage per list and term, the most severe, with its reasons
    assert stages.select("term", "target_group", "citizen_id").is_duplicated().sum() == 0
    assert stages.filter((pl.col("stage") == "downstream") & ~pl.col("reasons").str.contains("justice_case")).height == 0
    assert stages.filter((pl.col("stage") == "midstream") & ~pl.col("reasons").str.contains("out_of_school")).height == 0


def test_stages_follow_the_contract_on_a_hand_made_province():
    from zero_dropout import stages

    members = pl.DataFrame({
        "province_code": "55", "term": ["2566-2", "2567-1"] * 4, "target_group": "zero_dropout",
        "citizen_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
        "category": ["never_enrolled", "in_school", "in_school", "in_school", "in_school", "in_school",
                     "dropped_out", "dropped_out"],
        "amphoe_code": "5501", "tambon_code": "550101", "age_band": "6-11"})
    moe = pl.DataFrame({"citizen_id": ["b"], "term": ["2567-1"], "enrollment_status": ["suspended"]})
    aid = pl.DataFrame({"citizen_id": ["c", "d"], "term": ["2566-2", "2567-1"], "programme": ["cct", "cct"]})
    # exported in the first term's folder, admitted in the second term: the dates decide, not the folder
    cases = pl.DataFrame({"citizen_id": ["d"], "term": ["2566-2"], "admitted_date": [Term.parse("2567-1").start],
                          "released_date": [None]}, schema={"citizen_id": pl.String, "term": pl.String,
                                                            "admitted_date": pl.Date, "released_date": pl.Date})
    got = stages.stages(members.lazy(), moe.lazy(), aid.lazy(), cases.lazy(), ["2566-2", "2567-1"])
    table = {(r["citizen_id"], r["term"]): (r["stage"], r["reasons"]) for r in got.iter_rows(named=True)}
    assert table == {
        ("a", "2566-2"): ("midstream", "out_of_school"), ("a", "2567-1"): ("upstream", "returned"),
        ("b", "2567-1"): ("upstream", "suspended"), ("c", "2566-2"): ("upstream", "cct_aid"),
        ("d", "2566-2"): ("midstream", "out_of_school"), ("d", "2567-1"): ("downstream", "justice_case; out_of_school"),
    }
    moves = stages.transitions(got, ["2566-2", "2567-1"])
    assert {(r["citizen_id"], r["previous_stage"], r["stage"]) for r in moves.iter_rows(named=True)} == {
        ("a", "midstream", "upstream"), ("b", "none", "upstream"), ("c", "upstream", "none"),
        ("d", "midstream", "downstream")}


def test_aid_and_justice_files_are_ingested_with_the_discipline_of_surveys(tmp_path):
    from schemas.ingest import ingest
    from zero_dropout import inbox

    folder = tmp_path / "inbox" / "aid" / "55" / "2567-1"
    folder.mkdir(parents=True)
    (folder / "paid.csv").write_text(
        "เลขที่รายการ,ชื่อ,นามสกุล,วันเกิด,โครงการ,จำนวนเงิน,วันที่จ่าย\n"
        'P1,สมชาย,ใจดี,01/02/2555,ทุนเสมอภาค,"1,200.50",15 มิ.ย. 2567\n'
        "P2,สมหญิง,ใจดี,2012-02-01,return to school,๔๐๐๐,2024-06-20\n"
        "P3,สมปอง,ใจดี,2012-02-01,lottery,800,2024-06-20\n"
        "P4,สมใจ,ใจดี,2012-02-01,cct,eight hundred,2024-06-20\n"
        "P4,สมศรี,ใจดี,2012-02-01,cct,800,2024-06-20\n", encoding="utf-8")
    result = ingest(inbox.files_for(tmp_path / "inbox", "aid"), "aid", province="55", term="2567-1")
    c = result.counts()
    assert c["rows_read"] == c["rows_accepted"] + c["rows_quarantined"] == 5
    assert result.accepted["amount_baht"].to_list() == [1200.5, 4000.0]
    assert result.accepted["programme_canonical"].to_list() == ["cct", "return_to_school"]
    failed = {(r["source_row"], r["column"], r["check"]) for r in result.quarantine.iter_rows(named=True)}
    assert {(3, "programme", "known_value"), (4, "amount_baht", "amount_form"), (5, "payment_id", "unique_in_file")} <= failed

    folder = tmp_path / "inbox" / "justice" / "55" / "2567-1"
    folder.mkdir(parents=True)
    (folder / "cases.csv").write_text(
        "case_id,fname,lname,dob,admitted,released\n"
        "C1,สมชาย,ใจดี,25550201,01/06/2567,\n"
        "C2,สมปอง,ดีใจ,25550201,01/06/2567,31/05/2567\n"
        "C3,สมศักดิ์,ดีใจ,25550201,2024-06-01,soon\n", encoding="utf-8")
    result = ingest(inbox.files_for(tmp_path / "inbox", "justice"), "justice", province="55", term="2567-1")
    assert result.accepted["case_id"].to_list() == ["C1"] and result.accepted["released_full_date"].to_list() == [None]
    failed = {(r["source_row"], r["check"]) for r in result.quarantine.iter_rows(named=True)}
    assert {(2, "not_before_admitted"), (3, "date_form")} <= failed


def test_the_samples_publish_every_new_table_without_identifiers_in_the_analyst_file(sample_warehouse):
    from zero_dropout.warehouse import identifier_findings

    con = duckdb.connect(str(sample_warehouse / "restricted.duckdb"), read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
            "target_group_out_of_school", "target_group_summary", "risk_stages", "stage_transitions", "aid_payments",
            "aid_by_child", "justice_cases")}
        evidence = con.execute("SELECT count(*) FROM record_links WHERE source = 'survey' AND lat IS NOT NULL").fetchone()[0]
    finally:
        con.close()
    assert all(counts.values()), counts
    assert evidence > 0  # survey coordinates reach the restricted file
    analyst = sample_warehouse / "analyst.duckdb"
    assert identifier_findings(analyst) == []
    con = duckdb.connect(str(analyst), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'out_of_school'").fetchall()}
        small = con.execute("SELECT count(*) FROM aid_summary WHERE children < 5 OR (suppressed AND amount_baht IS NOT NULL)").fetchone()[0]
    finally:
        con.close()
    assert {"summary_by_target_group", "summary_by_stage", "summary_by_stage_transition", "aid_summary",
            "return_payment_summary", "target_group_summary"} <= tables
    assert not {"survey_lat", "survey_lon", "survey_photo_ref"} & columns
    assert small == 0


def test_the_samples_report_has_the_target_group_stage_aid_and_visit_sections(sample_warehouse):
    html = (sample_warehouse / "reports" / "55" / "report_55_2567-1.html").read_text(encoding="utf-8")
    for heading in ("กลุ่มเป้าหมายที่จังหวัดติดตาม", "ระยะความเสี่ยง ต้นน้ำ กลางน้ำ ปลายน้ำ", "เงินช่วยเหลือที่ถึงตัวเด็ก",
                    "การเยี่ยมบ้านของทีมภาคสนาม รายอำเภอ", "เด็กปฐมวัย 2-6 ปี", "เงินกลับเข้าเรียน"):
        assert heading in html, heading
    # counts only: no citizen ID and no coordinate of a visit in a report that leaves the office
    import re

    assert not re.search(r"(?<![0-9])[0-9]{13}(?![0-9])", html)
    assert not re.search(r"(?<![0-9])1[0-9]\.[0-9]{4,}", html)
