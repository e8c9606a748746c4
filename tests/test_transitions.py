"""Term-to-term transitions and suppressed summaries on hand-made cohorts (pure Polars)."""

from __future__ import annotations

import polars as pl

from zero_dropout import transitions

COLS = ["citizen_id", "in_target", "excluded_reason", "category", "amphoe_code", "tambon_code", "age_band"]


def _cohort(rows):
    return pl.DataFrame(rows, schema=dict(zip(COLS, [pl.String, pl.Boolean, pl.String, pl.String, pl.String, pl.String,
                                                     pl.String])), orient="row")


def test_every_kind_of_transition():
    before = _cohort([
        ("a", True, None, "never_enrolled", "5501", "550101", "6-11"),   # back in school
        ("b", True, None, "dropped_out", "5501", "550101", "12-14"),     # still out
        ("c", True, None, "in_school", "5501", "550101", "12-14"),       # drops out
        ("d", True, None, "in_school", "5501", "550101", "6-11"),        # stays
        ("e", True, None, "dropped_out", "5502", "550201", "15-17"),     # too old now: not in the new cohort
        ("f", True, None, "never_enrolled", "5502", "550201", "3-5"),    # dies
        ("g", True, None, "dropped_out", "5502", "550201", "12-14"),     # moves out
        ("x", False, "moved_out", None, "5502", "550201", "6-11"),       # was never targeted
    ])
    now = _cohort([
        ("a", True, None, "in_school", "5501", "550101", "6-11"),
        ("b", True, None, "dropped_out", "5501", "550101", "12-14"),
        ("c", True, None, "dropped_out", "5501", "550101", "12-14"),
        ("d", True, None, "in_school", "5501", "550101", "6-11"),
        ("f", False, "reported_dead", None, "5502", "550201", "3-5"),
        ("g", False, "moved_out", None, "5502", "550201", "12-14"),
        ("h", True, None, "never_enrolled", "5502", "550201", "3-5"),     # born into the cohort, out
        ("i", True, None, "in_school", "5502", "550201", "3-5"),          # born into the cohort, in school
        ("x", False, "moved_out", None, "5502", "550201", "6-11"),
    ])
    got = transitions.between(now, before, "55", "2567-1", "2566-2")
    assert dict(got.select("citizen_id", "transition").iter_rows()) == {
        "a": "returned_to_school", "b": "still_out", "c": "newly_out", "d": "still_in_school", "e": "aged_out",
        "f": "died", "g": "moved_away", "h": "entered_out_of_school", "i": "entered_in_school"}
    assert got.filter(pl.col("citizen_id") == "e")["amphoe_code"].item() == "5502"  # area from the earlier term
    assert set(got["previous_term"]) == {"2566-2"} and set(got["term"]) == {"2567-1"}
    assert transitions.between(now, None, "55", "2567-1", None).is_empty()  # first term loaded


def test_summaries_suppress_counts_under_five():
    kids = pl.DataFrame({"province_code": ["55"] * 7, "term": ["2567-1"] * 7, "amphoe_code": ["5501"] * 5 + ["5502"] * 2,
                         "category": ["never_enrolled"] * 7, "survey_reason": [None] * 6 + ["poverty"]})
    moves = pl.DataFrame(schema=transitions.SCHEMA)
    tables = transitions.summaries(kids, moves, {"by_amphoe": "province_code, term, amphoe_code",
                                                 "by_reason": "province_code, term, reason"})
    # 5502's 2 are suppressed; 5501's 5 too, or the province's total of 7 minus 5 would give the 2 away
    assert tables["by_amphoe"].select("amphoe_code", "children", "suppressed").rows() == [("5501", None, True),
                                                                                          ("5502", None, True)]
    assert tables["by_reason"].select("reason", "children").rows() == [("not surveyed", None), ("poverty", None)]
    assert tables["summary_by_transition"].is_empty()
