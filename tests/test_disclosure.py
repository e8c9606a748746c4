"""What leaves the office: small counts, the cells that would give them away, and row-level k-anonymity."""

from __future__ import annotations

import polars as pl

from zero_dropout import disclosure

DIMS = ["province_code", "term", "amphoe_code", "category"]


def _kids(cells: dict[tuple[str, str], int]) -> pl.DataFrame:
    rows = [("55", "2567-1", a, c) for (a, c), n in cells.items() for _ in range(n)]
    return pl.DataFrame(rows, schema=dict.fromkeys(DIMS, pl.String), orient="row")


def test_no_suppressed_cell_can_be_recovered_from_a_total():
    cells = {("5501", "never_enrolled"): 12, ("5502", "never_enrolled"): 3, ("5503", "never_enrolled"): 7,
             ("5501", "dropped_out"): 9, ("5502", "dropped_out"): 8, ("5503", "dropped_out"): 20}
    table = disclosure.secondary(disclosure.counted(_kids(cells), DIMS), DIMS)
    hidden = {(r["amphoe_code"], r["category"]) for r in table.filter("suppressed").iter_rows(named=True)}
    # the 3 and the smallest other cell of its category (7); then 5502 has one hidden cell among its two
    # categories: its other cell (8) goes too; then dropped_out has one: the smallest other (9) goes too
    assert ("5502", "never_enrolled") in hidden and ("5503", "never_enrolled") in hidden
    for dim in ("amphoe_code", "category"):  # along each dimension, never exactly one hidden cell in a group
        others = [d for d in DIMS if d != dim]
        per_group = table.group_by(others).agg(pl.col("suppressed").sum(), pl.len())
        assert per_group.filter((pl.col("suppressed") == 1) & (pl.col("len") > 1)).is_empty()
    assert table.filter("suppressed")["children"].null_count() == table.filter("suppressed").height


def test_rows_are_coarsened_until_five_share_every_combination_and_the_rest_withheld():
    base = {"province_code": "55", "term": "2567-1", "amphoe_code": "5501", "tambon_code": "550101",
            "birth_year_be": 2555, "age": 12, "sex": 1, "nationality_group": "thai"}
    rows = [base] * 6 + [{**base, "tambon_code": "550102"}] * 2 + [{**base, "tambon_code": "550103", "sex": 2}] * 3
    rows += [{**base, "amphoe_code": "5502", "tambon_code": "550201", "nationality_group": "non_thai"}]
    frame = pl.DataFrame(rows)
    kept, counts = disclosure.k_anonymous(frame)
    assert disclosure.smallest_group(kept) >= disclosure.K_ANONYMITY
    assert kept.height + counts["withheld"].sum() == frame.height == 12
    assert counts.row(0, named=True)["kept_as_is"] == 6  # the six alike keep every field
    # the lone child of amphoe 5502 cannot be hidden among four others anywhere: withheld, not listed
    assert counts["withheld"].sum() == 1 and "5502" not in kept["amphoe_code"].to_list()
    assert kept.filter(pl.col("birth_year_be").is_null())["age"].null_count() == kept["birth_year_be"].null_count()


def test_secondary_suppression_picks_the_same_cells_whatever_the_row_order():
    """Two equally small visible cells beside a lone suppressed one: which of them is hidden too may not depend on
    the order a group_by happened to give the rows (two runs of the same data published different cells)."""
    import polars as pl

    from zero_dropout.disclosure import secondary

    cells = pl.DataFrame({"province_code": ["26"] * 4, "term": ["2566-2"] * 4, "programme": ["cct", "cct", "cct", "cct"],
                          "amphoe_code": ["2601", "2602", "2603", "2604"], "children": [None, 7, 7, 9],
                          "suppressed": [True, False, False, False]})
    dims = ["province_code", "term", "programme", "amphoe_code"]
    results = {tuple(secondary(cells.sample(fraction=1.0, shuffle=True, seed=seed), dims)
                     .sort(dims).get_column("suppressed").to_list()) for seed in range(12)}
    assert results == {(True, True, False, False)}
