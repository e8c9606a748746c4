"""The linkage engine on hand-made synthetic people and records: twins, errors, decisions, purity."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import polars as pl

from inbox_builder import make_pid
from matching.linker import link
from matching.settings import Settings
from zero_dropout.terms import Term
from zero_dropout.thai_text import normalize_names

TERM = Term.parse("2567-1")
KEY = ["source_file", "source_sheet", "source_row"]


def _people(rows: list[dict]) -> pl.LazyFrame:
    frame = pl.DataFrame(rows).with_columns(
        pl.col("birth_full_date").dt.year().add(543).cast(pl.Int32).alias("birth_year_be"),
        pl.col("birth_full_date").dt.month().cast(pl.Int32).alias("birth_month"),
        pl.col("birth_full_date").dt.day().cast(pl.Int32).alias("birth_day"),
    )
    return normalize_names(frame.lazy(), ["first_name", "last_name"])


def _records(rows: list[dict]) -> pl.LazyFrame:
    base = {"source_file": "moe/2567-1/x.csv", "source_sheet": "", "school_code": "1055010001",
            "enrollment_status_canonical": "studying", "id_kind": "missing", "citizen_id": None, "id_raw": None}
    frame = pl.DataFrame([{**base, **r, "source_row": i + 1} for i, r in enumerate(rows)])
    return _people([]) if not rows else normalize_names(frame.with_columns(
        pl.col("birth_full_date").dt.year().add(543).cast(pl.Int32).alias("birth_year_be"),
        pl.col("birth_full_date").dt.month().cast(pl.Int32).alias("birth_month"),
        pl.col("birth_full_date").dt.day().cast(pl.Int32).alias("birth_day"),
    ).lazy(), ["first_name", "last_name"])


TWIN_DAY = dt.date(2014, 7, 9)
PEOPLE = [
    {"citizen_id": make_pid(1), "first_name": "ณัฐพล", "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},
    {"citizen_id": make_pid(2), "first_name": "ณัฐพงษ์", "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},
    {"citizen_id": make_pid(3), "first_name": "กมลชนก", "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 3, 4)},
    {"citizen_id": make_pid(4), "first_name": "วีรยุทธ", "last_name": "บุญมา", "sex": 1, "birth_full_date": dt.date(2010, 11, 25)},
] + [  # others, so that the prior is that of a real province
    {"citizen_id": make_pid(100 + i), "first_name": f"ชื่อ{i}", "last_name": f"สกุล{i}", "sex": 1 + i % 2,
     "birth_full_date": dt.date(2008, 1, 1) + dt.timedelta(days=i)} for i in range(2000)
]


def _link(records, **kw):
    return link(_people(PEOPLE), _records(records), source="moe", term=TERM, **kw)


def test_twins_are_never_merged_even_with_a_misspelt_name():
    records = [
        {"first_name": "ณัฐพล", "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},  # twin 1, no ID
        {"first_name": "ณัฐพงศ์", "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},  # twin 2, misspelt
        {"first_name": "ณัฐวุฒิ", "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},  # a third name
    ]
    result = _link(records)
    by_row = dict(zip(result.links["source_row"], result.links["citizen_id"]))
    assert by_row.get(1) == make_pid(1)
    assert by_row.get(2) == make_pid(2)
    assert 3 not in by_row  # same house, date and surname but another first name: never linked


def test_errors_a_fallback_rescues_and_the_evidence_it_keeps():
    records = [
        {"first_name": "กมลชนก", "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 4, 3),  # day/month swapped
         "citizen_id": None, "id_kind": "excel_mangled"},
        {"first_name": "วีระยุทธ", "last_name": "บุญมา", "sex": 1, "birth_full_date": dt.date(2010, 11, 25),  # misspelt
         "citizen_id": None, "id_kind": "bad_checksum", "id_raw": make_pid(4)[:12] + str((int(make_pid(4)[12]) + 1) % 10)},
    ]
    result = _link(records)
    links = result.links.sort("source_row")
    assert links["citizen_id"].to_list() == [make_pid(3), make_pid(4)]
    evidence = [json.loads(e) for e in links["evidence"]]
    assert evidence[0]["birth_date"] == "day_month_swapped" and evidence[0]["first_name"] == "exact"
    assert evidence[1]["first_name"] in ("close", "fuzzy") and evidence[1]["birth_date"] == "exact"
    assert evidence[1]["id"] == "one_edit" and links["rule"][1] == "fallback_id_one_edit"


def test_exact_id_link_with_everything_else_different_is_held_for_review():
    records = [{"citizen_id": make_pid(4), "id_kind": "valid", "first_name": "สมหญิง", "last_name": "ทองดี", "sex": 2,
                "birth_full_date": dt.date(2016, 1, 2)}]
    result = _link(records)
    assert result.links.height == 0 and result.review.height == 1
    assert "disagree" in result.review["why"][0]


def test_review_decisions_are_applied_and_decided_pairs_never_return():
    records = [
        {"first_name": "กมลชนก", "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 3, 4)},
        {"first_name": "วีรยุทธ", "last_name": "บุญมา", "sex": 1, "birth_full_date": dt.date(2010, 11, 25)},
    ]
    strict = Settings(accept_probability=1.01)  # nothing is accepted automatically
    first = _link(records, settings=strict)
    assert first.links.height == 0 and sorted(first.review["source_row"]) == [1, 2]
    decided = first.review.select("source", *KEY, "citizen_id").with_columns(
        pl.Series("decision", ["accept", "reject"]))
    second = _link(records, settings=strict, decisions=decided)
    assert second.links.select("source_row", "citizen_id", "rule").to_dicts() == [
        {"source_row": 1, "citizen_id": make_pid(3), "rule": "officer_accepted"}]
    assert second.review.height == 0


def test_matching_and_schemas_import_no_dagster():
    code = ("import sys, matching.linker, matching.blocking, matching.comparisons, matching.scoring, schemas, "
            "schemas.validate, zero_dropout.ingest; assert 'dagster' not in sys.modules, 'dagster imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
