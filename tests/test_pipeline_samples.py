"""End to end on the bundled samples: the real Dagster job, the real DuckDB files, checked against truth."""

from __future__ import annotations

import duckdb
import polars as pl

from zero_dropout.warehouse import identifier_findings

CONTRACT_OUT_OF_SCHOOL = {"province_code", "term", "citizen_id", "category", "amphoe_code", "tambon_code",
                          "birth_year_be", "sex"}
CONTRACT_LINKS = {"source", "source_file", "source_row", "citizen_id", "rule", "score"}


def _table(warehouse, name, db="restricted") -> pl.DataFrame:
    con = duckdb.connect(str(warehouse / f"{db}.duckdb"), read_only=True)
    try:
        return con.sql(f"SELECT * FROM {name}").pl()
    finally:
        con.close()


def test_tables_have_the_contract_columns(sample_warehouse):
    assert CONTRACT_OUT_OF_SCHOOL <= set(_table(sample_warehouse, "out_of_school").columns)
    assert CONTRACT_LINKS <= set(_table(sample_warehouse, "record_links").columns)
    files = _table(sample_warehouse, "ingest_files")
    assert files.height == 18 and (files["outcome"] == "accepted").all()
    assert (files["rows_read"] == files["rows_accepted"] + files["rows_quarantined"]).all()


def test_target_population_matches_truth_exactly(sample_warehouse, samples):
    truth = pl.read_parquet(samples / "truth" / "status.parquet").filter("in_target")
    summary = _table(sample_warehouse, "partition_summary")
    expected = truth.group_by("province_code", "term").len()
    got = summary.select("province_code", "term", pl.col("target_population").cast(pl.UInt32).alias("len"))
    assert got.sort("province_code", "term").equals(expected.sort("province_code", "term"))


def _compare_with_truth(warehouse, samples) -> pl.DataFrame:
    truth = pl.read_parquet(samples / "truth" / "status.parquet").filter("in_target")
    out = _table(warehouse, "out_of_school").select("province_code", "term", "citizen_id", "category")
    return truth.join(out, on=["province_code", "term", "citizen_id"], how="left").with_columns(
        pl.col("category_right").fill_null("in_school").alias("pipeline"))


def test_out_of_school_matches_truth_for_children_with_clean_moe_ids(sample_warehouse, samples):
    got = _compare_with_truth(sample_warehouse, samples)
    clean = got.filter("moe_ids_clean")
    mismatched = clean.filter(pl.col("pipeline") != pl.col("category"))
    print(f"\nclean-ID children: {clean.height}, classified differently from truth: {mismatched.height}")
    assert clean.height > 7000
    assert mismatched.height == 0


def test_out_of_school_list_matches_truth_for_every_child(sample_warehouse, samples):
    """Children whose MOE IDs were mistyped, blanked or mangled are rescued by the fallback linkage."""
    got = _compare_with_truth(sample_warehouse, samples)
    listed = got.filter(pl.col("pipeline") != "in_school")
    truly_out = got.filter(pl.col("category") != "in_school")
    hits = listed.filter(pl.col("category") != "in_school").height
    precision, recall = hits / listed.height, hits / truly_out.height
    print(f"\nout-of-school list: precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.995 and recall >= 0.995
    noisy = got.filter(~pl.col("moe_ids_clean"))
    assert noisy.height > 100
    assert noisy.filter(pl.col("pipeline") != pl.col("category")).height <= noisy.height * 0.02  # the rest wait in review


def test_every_link_has_a_rule_and_per_field_evidence(sample_warehouse):
    links = _table(sample_warehouse, "record_links")
    assert links["rule"].null_count() == 0 and links["evidence"].null_count() == 0
    assert {"exact_id", "fallback_name_birth"} <= set(links["rule"].unique())
    fallback = links.filter(pl.col("rule") == "fallback_name_birth")
    assert fallback["evidence"].str.contains('"first_name":').all() and fallback["evidence"].str.contains('"birth_date":').all()
    assert (links.group_by("source", "source_file", "source_sheet", "source_row").len()["len"] == 1).all()


def test_children_studying_in_another_province_are_in_school(sample_warehouse, samples):
    links = _table(sample_warehouse, "record_links").filter(pl.col("source") == "moe")
    away = links.filter(pl.col("school_province") != pl.col("province_code"))
    assert away.height > 0
    out = _table(sample_warehouse, "out_of_school")
    studying_away = away.filter(pl.col("enrollment_status") == "studying")
    assert studying_away.join(out, on=["citizen_id", "term"], how="semi").height == 0


def test_analyst_file_has_no_identifier_and_no_name(sample_warehouse, samples):
    analyst = sample_warehouse / "analyst.duckdb"
    assert identifier_findings(analyst) == []
    people = pl.read_parquet(samples / "truth" / "people.parquet")
    con = duckdb.connect(str(analyst), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        assert {"out_of_school", "partition_summary", "summary_by_amphoe", "summary_by_reason"} <= set(tables)
        # area names are public (some Thai surnames are also place names): the area tables are left out
        text = "\n".join(
            con.sql(f"SELECT * FROM {t}").pl().cast(pl.String).write_csv() for t in tables
            if t not in ("provinces", "amphoes", "tambons")
        )
    finally:
        con.close()
    for value in people["citizen_id"].head(500).to_list():
        assert value not in text
    surnames = set(people["last_name"].unique().to_list())
    cells = set(text.replace("\n", ",").split(","))
    assert not (cells & surnames)


def test_pseudonym_is_stable_across_terms_and_keyed(sample_warehouse):
    out = _table(sample_warehouse, "out_of_school", db="analyst")
    restricted = _table(sample_warehouse, "out_of_school")
    assert out.height == restricted.height
    per_child = out.group_by("child_key").agg(pl.col("term").n_unique())
    assert per_child["term"].max() == 2  # the same child followed across the two terms
    assert out["child_key"].str.len_chars().unique().to_list() == [32]


def test_small_counts_are_suppressed(sample_warehouse):
    for table in ("summary_by_amphoe", "summary_by_tambon", "summary_by_age_band", "summary_by_reason"):
        frame = _table(sample_warehouse, table, db="analyst")
        assert frame.filter(pl.col("suppressed")).select(pl.col("children").is_null().all()).item()
        assert (frame.filter(~pl.col("suppressed"))["children"] >= 5).all()
    amphoe = _table(sample_warehouse, "summary_by_amphoe", db="analyst")
    assert amphoe.filter(~pl.col("suppressed")).height > 0 and amphoe.filter(pl.col("suppressed")).height > 0


def test_every_table_and_column_is_documented(sample_warehouse):
    from zero_dropout import PROJECT_ROOT
    from zero_dropout.catalog import markdown

    assert (PROJECT_ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8") == markdown(), \
        "docs/warehouse.md is generated: python -c 'from zero_dropout.catalog import markdown; print(markdown())'"
    for db in ("restricted", "analyst"):
        con = duckdb.connect(str(sample_warehouse / f"{db}.duckdb"), read_only=True)
        try:
            undocumented = con.execute("SELECT table_name FROM duckdb_tables() WHERE comment IS NULL").fetchall()
            assert undocumented == []
            columns = con.sql("SELECT table_name, column_name, comment FROM duckdb_columns() "
                              "WHERE NOT internal AND schema_name = 'main'").fetchall()
        finally:
            con.close()
        assert [(t, c) for t, c, comment in columns if not comment] == []  # COMMENT ON every column
        docs = markdown()
        assert [(t, c) for t, c, _ in columns if f"`{c}`" not in docs] == []  # and on the docs page


def test_term_to_term_transitions_follow_every_child_once(sample_warehouse, samples):
    transitions = _table(sample_warehouse, "transitions")
    assert transitions.select(pl.struct("province_code", "term", "citizen_id").is_unique().all()).item()
    kinds = set(transitions["transition"].unique())
    assert {"returned_to_school", "newly_out", "still_out", "still_in_school", "aged_out"} <= kinds
    # every child of the previous term's target population has a transition
    prev = _table(sample_warehouse, "cohort_status").filter(pl.col("in_target") & (pl.col("term") == "2566-2"))
    assert prev.join(transitions.filter(pl.col("term") == "2567-1"), on=["province_code", "citizen_id"], how="anti").height == 0
    # returned to school: out in 2566-2 and in school in 2567-1, as the truth says
    truth = pl.read_parquet(samples / "truth" / "status.parquet").filter("in_target")
    wide = truth.pivot(on="term", index=["province_code", "citizen_id"], values="category").drop_nulls()
    returned = wide.filter((pl.col("2566-2") != "in_school") & (pl.col("2567-1") == "in_school"))
    got = transitions.filter(pl.col("transition") == "returned_to_school")
    overlap = got.join(returned, on=["province_code", "citizen_id"], how="semi").height
    assert overlap >= 0.95 * returned.height and overlap >= 0.95 * got.height
    analyst = _table(sample_warehouse, "summary_by_transition", db="analyst")
    assert analyst.filter(~pl.col("suppressed"))["children"].min() >= 5


def test_children_whose_possible_record_waits_for_review_are_marked_and_counted(sample_warehouse):
    oos = _table(sample_warehouse, "out_of_school")
    review = _table(sample_warehouse, "review_queue").filter(pl.col("source") == "moe")
    waiting = oos.join(review.select("province_code", "term", "citizen_id").unique(),
                       on=["province_code", "term", "citizen_id"], how="semi")
    assert oos["pending_review"].sum() == waiting.height  # exactly the listed children with a queued MOE pair
    summary = _table(sample_warehouse, "partition_summary").sort("province_code", "term")
    counted = oos.group_by("province_code", "term").agg(pl.col("pending_review").sum()).sort("province_code", "term")
    assert summary["pending_review"].to_list() == counted["pending_review"].to_list()
    by_amphoe = _table(sample_warehouse, "summary_by_pending_review", db="analyst")
    assert set(by_amphoe.columns) >= {"amphoe_code", "category", "pending_review", "children", "suppressed"}


def test_the_fitted_linkage_model_is_published_and_named_on_every_link(sample_warehouse):
    links = _table(sample_warehouse, "record_links")
    model = _table(sample_warehouse, "linkage_model")
    assert links["model_fingerprint"].null_count() == 0
    per_partition = model.select("province_code", "term", "source", "fingerprint").unique()
    assert links.select("province_code", "term", "source", pl.col("model_fingerprint").alias("fingerprint")).unique().join(
        per_partition, on=["province_code", "term", "source", "fingerprint"], how="anti").height == 0
    moe = model.filter((pl.col("source") == "moe") & (pl.col("parameter") == "first_name:exact"))
    assert (moe["m_pairs"] > 1000).all()  # learnt from each partition's exact-ID links
    assert _table(sample_warehouse, "linkage_model", db="analyst").height == model.height


def test_the_analyst_file_reads_codes_as_names_and_terms_as_dates(sample_warehouse):
    import datetime as dt

    import duckdb

    con = duckdb.connect(str(sample_warehouse / "analyst.duckdb"), read_only=True)
    try:
        named = con.execute("SELECT a.amphoe_name_th, s.children FROM summary_by_amphoe s JOIN amphoes a USING (amphoe_code) "
                            "WHERE s.province_code = '55'").fetchall()
        unnamed = con.execute("SELECT count(*) FROM summary_by_amphoe s ANTI JOIN amphoes a USING (amphoe_code)").fetchone()[0]
        terms = dict((t, (start, end)) for t, start, end in con.execute("SELECT term, start_date, end_date FROM terms").fetchall())
        tambon = con.execute("SELECT tambon_name_th, amphoe_name_th, province_name_th FROM tambons "
                             "WHERE tambon_code = '550101'").fetchone()
        review = con.execute("SELECT count(*) FROM review_summary").fetchone()[0]
    finally:
        con.close()
    assert named and all(name for name, _ in named) and unnamed == 0
    assert terms["2567-1"] == (dt.date(2024, 5, 16), dt.date(2024, 10, 31))
    assert terms["2566-2"] == (dt.date(2023, 11, 1), dt.date(2024, 5, 15))
    assert tambon[2] == "น่าน" and tambon[0]
    assert review >= 0
