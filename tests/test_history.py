"""A province's terms read together (zero_dropout/history.py), on hand-made terms: pure Polars, no Dagster."""

from __future__ import annotations

import datetime as dt

import polars as pl

from zero_dropout import history

COHORT = {"citizen_id": pl.String, "in_target": pl.Boolean, "excluded_reason": pl.String, "amphoe_code": pl.String,
          "tambon_code": pl.String, "moo": pl.String, "birth_year_be": pl.Int32, "age": pl.Int16, "age_band": pl.String,
          "sex": pl.Int8, "nationality_group": pl.String, "central_register": pl.Boolean}


def _cohort(ids: list[str], term: str) -> pl.LazyFrame:
    year = int(term[:4])
    rows = [(i, True, None, "5501", "550101", "1", year - 10, 10, "6-11", 1, "thai", False) for i in ids]
    return pl.DataFrame(rows, schema=COHORT, orient="row").lazy().with_columns(pl.lit(term).alias("term"))


def _moe(pairs: list[tuple[str, str]]) -> pl.LazyFrame:
    return pl.DataFrame(pairs, schema={"citizen_id": pl.String, "enrollment_status": pl.String}, orient="row").lazy()


def _survey(rows=()) -> pl.LazyFrame:
    return pl.DataFrame(list(rows), schema={"citizen_id": pl.String, "found_status": pl.String, "reason": pl.String,
                                            "need": pl.String, "survey_date": pl.Date}, orient="row").lazy()


NO_REVIEW = pl.LazyFrame(schema={"citizen_id": pl.String})


def _term(term: str, ids, moe, survey=()) -> history.TermLinks:
    return history.TermLinks(term, _cohort(ids, term), _moe(moe), NO_REVIEW, _survey(survey))


def test_an_earlier_term_decides_never_enrolled_or_dropped_out_and_since_when():
    children = ["a", "b", "c"]
    earlier = _term("2566-2", children, [("a", "studying"), ("b", "studying")])
    later = _term("2567-1", children, [("a", "studying")])
    result = history.build("55", [later, earlier], {"summary_by_amphoe": "province_code, term, amphoe_code, category"})
    got = {(r["term"], r["citizen_id"]): (r["category"], r["last_enrolled_term"]) for r in result.children.iter_rows(named=True)}
    # b studied in 2566-2 and has no record in 2567-1: dropped out since 2566-2; c never had one
    assert got == {("2566-2", "c"): ("never_enrolled", None), ("2567-1", "b"): ("dropped_out", "2566-2"),
                   ("2567-1", "c"): ("never_enrolled", None)}
    moved = dict(result.transitions.filter(pl.col("term") == "2567-1").select("citizen_id", "transition").iter_rows())
    assert moved == {"a": "still_in_school", "b": "newly_out", "c": "still_out"}
    summary = result.partition_summary.select("term", "out_of_school", "earlier_terms_loaded").rows()
    assert summary == [("2566-2", 1, 0), ("2567-1", 2, 1)]


def test_the_same_terms_in_any_order_give_the_same_history():
    terms = [_term("2566-1", ["a", "b"], [("a", "studying")]), _term("2566-2", ["a", "b"], [("b", "studying")]),
             _term("2567-1", ["a", "b"], [])]
    one = history.build("55", terms, {})
    other = history.build("55", terms[::-1], {})
    assert one.children.equals(other.children) and one.transitions.equals(other.transitions)


def test_a_link_rate_that_falls_by_more_than_ten_points_is_unstable():
    ids = [str(i) for i in range(100)]
    before = _term("2566-2", ids, [(i, "studying") for i in ids[:90]])
    after = _term("2567-1", ids, [(i, "studying") for i in ids[:79]])
    rates = history.link_rates("55", [before, after])
    assert rates.select("term", "target_link_rate", "previous_link_rate", "link_rate_stable").rows() == [
        ("2566-2", 0.9, None, True), ("2567-1", 0.79, 0.9, False)]
    assert history.build("55", [before, after], {}).unstable_terms == ["2567-1"]
    assert history.link_rate_stable(0.80, 0.90) and not history.link_rate_stable(0.799, 0.90)
    assert history.link_rate_stable(0.1, None)  # the first term loaded has nothing to fall from


def test_the_latest_survey_of_a_child_wins_and_an_undated_visit_counts_as_earliest():
    visits = _survey([("a", "found", "poverty", "money", dt.date(2024, 6, 1)),
                      ("a", "moved", None, None, dt.date(2024, 7, 1)),
                      ("b", "found", "work", None, None), ("b", "not_found", None, None, dt.date(2024, 5, 1))])
    latest = {r["citizen_id"]: r["survey_found_status"] for r in history.latest_survey(visits).collect().iter_rows(named=True)}
    assert latest == {"a": "moved", "b": "not_found"}
    # a term without any survey export yet
    assert history.latest_survey(pl.LazyFrame(schema={"citizen_id": pl.String})).collect().height == 0


def test_a_child_listed_twice_is_counted_for_the_blocking_check():
    term = _term("2567-1", ["a", "a", "b"], [])
    assert history.build("55", [term], {}).children_listed_twice == 1
