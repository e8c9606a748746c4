import numpy as np
import polars as pl
import pytest

from zero_dropout import thai_id


def _with_check(first12: str) -> str:
    return first12 + str(thai_id.check_digit(first12))


def test_check_digit_follows_the_contract_formula():
    first12 = "110370012345"
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    assert thai_id.check_digit(first12) == (11 - total % 11) % 10


@pytest.mark.parametrize("category", range(9))
def test_every_category_0_to_8_is_valid_when_the_check_digit_is_right(category):
    pid = _with_check(f"{category}55010012345")
    assert thai_id.is_valid(pid)
    wrong = pid[:12] + str((int(pid[12]) + 1) % 10)
    assert not thai_id.is_valid(wrong)


def test_category_9_and_bad_shapes_are_invalid():
    assert not thai_id.is_valid(_with_check("955010012345"))
    assert not thai_id.is_valid("12345")
    assert not thai_id.is_valid(None)
    assert not thai_id.is_valid("1.10370E+12")


def test_vectorised_rules_agree_with_the_scalar_rule():
    rng = np.random.default_rng(3)
    digits = rng.integers(0, 10, (5000, 13))
    ids = ["".join(map(str, row)) for row in digits]
    frame = pl.DataFrame({"pid": ids})
    got = frame.select(thai_id.is_valid_expr("pid")).to_series().to_list()
    assert got == [thai_id.is_valid(p) for p in ids]
    checks = thai_id.check_digits_np(digits[:, :12])
    assert checks.tolist() == [thai_id.check_digit(p[:12]) for p in ids]


def test_id_kinds():
    valid = _with_check("055010012345")
    frame = pl.DataFrame({"x": [valid, "G644200000001", "1.10370E+12", valid[:12] + str((int(valid[12]) + 1) % 10), "12ab", None]})
    kinds = frame.select(thai_id.id_kind_expr("x")).to_series().to_list()
    assert kinds == ["valid", "gcode", "excel_mangled", "bad_checksum", "malformed", "missing"]
