import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_one_typo_apart_is_an_alignment_distance_of_exactly_one():
    """Substitutions, adjacent transpositions (leading zeros kept), and what is not one typo: two typos, a
    shifted digit, the same ID, a value that is not 13 digits."""
    from rapidfuzz.distance import OSA

    rng = np.random.default_rng(11)
    base = ["".join(map(str, row)) for row in rng.integers(0, 10, (3000, 13))]
    base[:300] = ["0" + b[1:] for b in base[:300]]  # category 0: a leading zero
    other = []
    for i, b in enumerate(base):
        d = list(b)
        kind = i % 6
        if kind == 0:  # one substitution
            p = rng.integers(0, 13)
            d[p] = str((int(d[p]) + rng.integers(1, 10)) % 10)
        elif kind == 1:  # an adjacent transposition
            p = rng.integers(0, 12)
            d[p], d[p + 1] = d[p + 1], d[p]
        elif kind == 2:  # two substitutions
            for p in rng.choice(13, 2, replace=False):
                d[p] = str((int(d[p]) + 1) % 10)
        elif kind == 3:  # a digit dropped and one added at the end
            d = d[:4] + d[5:] + ["7"]
        elif kind == 4:  # the same ID
            pass
        else:  # a transposition two places apart
            p = rng.integers(0, 11)
            d[p], d[p + 2] = d[p + 2], d[p]
        other.append("".join(d))
    odd = [("1234", base[0]), (None, base[1]), (base[2], "12345678901ab"), (base[3], None)]
    written = pl.Series([*base, *(w for w, _ in odd)])
    against = pl.Series([*other, *(o for _, o in odd)])
    got = thai_id.one_typo_apart(written, against).to_list()
    assert got[:len(base)] == [OSA.distance(a, b) == 1 for a, b in zip(base, other)]
    assert got[len(base):] == [None] * len(odd)
    assert sum(got[:len(base)]) > 900  # the cases above are there
    as_expr = pl.DataFrame({"a": written, "b": against}).select(thai_id.one_typo_apart_expr("a", "b")).to_series()
    assert as_expr.to_list() == got


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙ \t\u00a0\u200b\u3000-_.xก", max_size=20), min_size=1, max_size=50))
def test_digits_only_is_clean_text_with_spaces_dashes_and_dots_removed(values):
    """How an ID or a code is cleaned (three passes over the text) equals its definition: ``clean_text`` (Thai
    digits, white space, a typed number's ``.0``) and then every space, dash, underscore and dot removed."""
    from zero_dropout.thai_text import clean_text, digits_only

    frame = pl.DataFrame({"v": [*values, None, "1103700012345.0", " ๑๒.๐๐ ", "1-1037-00012-34-5", "12 .0", "\u200b"]})
    defined = clean_text(pl.col("v")).str.replace_all(r"[\s\-_.]", "")
    want = frame.select(pl.when(defined == "").then(None).otherwise(defined)).to_series()
    assert frame.select(digits_only(pl.col("v"))).to_series().to_list() == want.to_list()


THAI_BLOCK = "".join(chr(c) for c in range(0x0E01, 0x0E5C)) + " .\u200b\u200c\n\u00a0\x1c\tab"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=THAI_BLOCK, max_size=12), min_size=1, max_size=60))
def test_names_normalised_in_bulk_equal_the_normaliser_on_each(values):
    """``normalized`` leaves pythainlp's normaliser out for the names it cannot change (no whitespace, zero-width
    character, reordering, repeated mark or leading mark: ``thai_nlp.normalize_may_change``); over the whole Thai
    block, spaces, dots and zero-width characters, it equals ``normalize_name`` on every value."""
    from zero_dropout.thai_text import normalize_name, normalized

    values = [*values, "เเก้ว", "สมชาย", "ก.ไก่", "..", "่ก", "กำ", "ก่่า", "นา\u200bนา", " สม  ชาย "]
    got = normalized(pl.Series("v", values, dtype=pl.String)).to_list()
    assert got == [normalize_name.__wrapped__(v) for v in values]
