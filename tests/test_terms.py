import datetime as dt

import polars as pl
import pytest

from zero_dropout.terms import Term, current_term, term_range, with_partial_date


def test_term_parse_display_and_order():
    t = Term.parse("2567-1")
    assert str(t) == "2567-1" and t.display == "1/2567" and t.year_ce == 2024
    assert t.previous() == Term.parse("2566-2") and t.next() == Term.parse("2567-2")
    assert [str(x) for x in term_range(Term.parse("2566-2"), Term.parse("2567-2"))] == ["2566-2", "2567-1", "2567-2"]
    with pytest.raises(ValueError):
        Term.parse("2024-1")


def test_cohort_is_birth_years_y_minus_17_to_y_minus_3():
    assert Term.parse("2566-1").cohort_birth_years_be == (2549, 2563)


def test_snapshot_dates_and_current_term():
    assert Term.parse("2567-1").snapshot_date == dt.date(2024, 6, 10)
    assert Term.parse("2567-2").snapshot_date == dt.date(2024, 11, 10)
    assert current_term(dt.date(2024, 7, 1)) == Term.parse("2567-1")
    assert current_term(dt.date(2025, 2, 1)) == Term.parse("2567-2")
    assert current_term(dt.date(2024, 11, 23)) == Term.parse("2567-2")


def test_partial_dates_are_kept_not_invented():
    raw = ["25600315", "15/03/2560", "2017-03-15", "2560", "25600000", "25600300", "31/02/2560", "abc", None]
    out = with_partial_date(pl.LazyFrame({"d": raw}), "d", "b").collect()
    assert out["b_year_be"].to_list() == [2560, 2560, 2560, 2560, 2560, 2560, 2560, None, None]
    assert out["b_month"].to_list() == [3, 3, 3, None, None, 3, 2, None, None]
    assert out["b_day"].to_list()[:6] == [15, 15, 15, None, None, None]
    assert out["b_full_date"].to_list()[:4] == [dt.date(2017, 3, 15)] * 3 + [None]
    assert out["b_impossible"].to_list() == [False] * 6 + [True, False, False]
    assert out["b_unparsed"].to_list() == [False] * 7 + [True, False]
