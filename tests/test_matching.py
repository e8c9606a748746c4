"""The linkage engine on hand-made synthetic people and records: twins, errors, decisions, purity."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import polars as pl

from inbox_builder import make_pid
from polars.testing import assert_frame_equal

from matching.blocking import RECORD_KEY
from matching.linker import link, settled_by_id
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
            "schemas.validate, schemas.ingest; assert 'dagster' not in sys.modules, 'dagster imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_sibling_id_written_for_the_child_still_finds_the_child():
    # the twin's valid ID, but every other field is the other child's (different name and birth date)
    records = [{"citizen_id": make_pid(3), "id_kind": "valid", "id_raw": make_pid(3), "first_name": "วีรยุทธ",
                "last_name": "บุญมา", "sex": 1, "birth_full_date": dt.date(2010, 11, 25)}]
    result = _link(records)
    assert result.links.select("citizen_id", "rule").to_dicts() == [{"citizen_id": make_pid(4), "rule": "fallback_name_birth"}]
    assert result.review.height == 0  # the conflict is resolved, not queued


def _survey_records(rows: list[dict]) -> pl.LazyFrame:
    base = {"source_file": "survey/55/2567-1/s.csv", "source_sheet": "", "id_kind": "missing", "citizen_id": None,
            "id_raw": None, "birth_full_date": None, "birth_year_be": None, "birth_month": None, "birth_day": None,
            "tambon_code": None, "moo": None, "house_no": None}
    frame = pl.DataFrame([{**base, **r, "source_row": i + 1} for i, r in enumerate(rows)],
                         schema_overrides={"birth_full_date": pl.Date, "birth_year_be": pl.Int32, "birth_month": pl.Int32,
                                           "birth_day": pl.Int32, "age": pl.Int16})
    return normalize_names(frame.lazy(), ["first_name", "last_name"])


def test_a_visit_with_no_id_and_an_age_instead_of_a_birth_date_is_linked():
    # the person of make_pid(4) was born in 2553 BE: 14 during 2567, written as 13 (the visit was before the birthday)
    rows = [{"first_name": "วีรยุทธ", "last_name": "บุญมา", "sex": 1, "age": 13}]
    result = link(_people(PEOPLE), _survey_records(rows), source="survey", term=TERM)
    assert result.links["citizen_id"].to_list() == [make_pid(4)]
    assert json.loads(result.links["evidence"][0])["age"] == "one_year"


def test_every_link_names_the_model_that_scored_it_and_the_model_learns_from_its_partition():
    from matching.model import LinkageModel

    exact = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
              "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:1004]]
    # a province whose exports write first names very differently (nicknames) for a third of its records
    nicknames = [{**r, "first_name": "น้อง" + str(i)} if i % 3 == 0 else r for i, r in enumerate(exact)]
    plain, nicknamed = _link(exact), _link(nicknames)
    for result in (plain, nicknamed):
        assert result.links["model_fingerprint"].unique().to_list() == [result.model.fingerprint]
        table = result.model.table
        assert table.filter(pl.col("parameter") == "last_name:exact")["m_pairs"].item() > 500
    weight = {r.model.fingerprint: r.model.weights["first_name:different"] for r in (plain, nicknamed)}
    assert plain.model.fingerprint != nicknamed.model.fingerprint
    assert weight[nicknamed.model.fingerprint] > weight[plain.model.fingerprint] + 3  # disagreement is weaker evidence there
    prior = LinkageModel.from_settings(Settings(), "moe", 10)
    assert prior.weights == Settings().weights["moe"]


def test_settings_files_are_strict(tmp_path):
    import pytest

    from matching.settings import load_settings

    for text, word in (('acept_probability = 0.9\n', "acept_probability"),
                       ('[weights.moe]\n"first_name:exactly" = 3.0\n', "first_name:exactly"),
                       ('[weights.aid]\n"first_name:exact" = 3.0\n', "aid"),
                       ('accept_probability = "high"\n', "accept_probability")):
        path = tmp_path / "m.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=word):
            load_settings(path)
    path.write_text('fit_from_data = false\n[weights.survey]\n"age:exact" = 5.0\n', encoding="utf-8")
    s = load_settings(path)
    assert not s.fit_from_data and s.weights["survey"]["age:exact"] == 5.0


def test_a_twins_id_on_the_other_twins_record_links_to_the_twin_named():
    records = [{"citizen_id": make_pid(2), "id_kind": "valid", "id_raw": make_pid(2), "first_name": "ณัฐพล",
                "last_name": "ศรีสุวรรณ", "sex": 1, "birth_full_date": TWIN_DAY},  # twin 1's record, twin 2's ID
               {"citizen_id": make_pid(3), "id_kind": "valid", "id_raw": make_pid(3), "first_name": "แพรวา",
                "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 3, 4)}]  # a nickname: the ID stands
    # and the partition's ordinary records, from which the model learns
    records += [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
                 "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:504]]
    result = _link(records)
    assert result.links.sort("source_row").head(2).select("citizen_id", "rule").to_dicts() == [
        {"citizen_id": make_pid(1), "rule": "fallback_name_birth"}, {"citizen_id": make_pid(3), "rule": "exact_id"}]
    assert result.review.height == 0


def test_a_nickname_never_picks_one_of_two_twins_whatever_the_house_says():
    house = {"tambon_code": "550101", "amphoe_code": "5501", "moo": "03"}
    people = [{**p, **house, "house_no": "12" if p["citizen_id"] == make_pid(2) else None} for p in PEOPLE[:2]] + [
        {**p, "tambon_code": None, "amphoe_code": None, "moo": None, "house_no": None} for p in PEOPLE[2:]]
    rows = [{"first_name": "นิว", "last_name": "ศรีสุวรรณ", "sex": 1, "age": None, "birth_full_date": TWIN_DAY,
             "birth_year_be": 2557, "birth_month": 7, "birth_day": 9, **house, "house_no": "12"}]
    result = link(_people(people), _survey_records(rows), source="survey", term=TERM)
    assert result.links.height == 0  # the house favours twin 2 by 10 points, but only a name tells twins apart
    assert result.review["why"].str.contains("twin").any()


def test_the_same_inputs_give_the_same_model_and_links():
    records = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
                "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:1504]]
    records += [{"first_name": "กมลชนก", "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 4, 3)}]
    runs = [_link(records) for _ in range(4)]  # joins return rows in no fixed order: the model must not care
    assert len({r.model.fingerprint for r in runs}) == 1
    assert all(r.links.equals(runs[0].links) and r.review.equals(runs[0].review) for r in runs)


def test_provinces_linked_against_one_national_export_get_what_each_gets_alone(tmp_path):
    """The work a run shares between provinces (ID counts, records without a valid ID, valid-ID records held
    by no one of the province with their features, the valid IDs sorted to find each province's records) changes
    nothing: each province's links and review queue equal its own run's,
    with the term's national exact-ID pass as without it. Generated: two provinces, harsh noise, the national
    MOE export of both (and other provinces' children). Also with provinces linked side by side in threads sharing
    one dict (a piece of it once read half-written failed a run)."""
    from concurrent.futures import ThreadPoolExecutor

    from schemas.ingest import ingest
    from zero_dropout.generator import PROFILES, GeneratorConfig, generate
    from zero_dropout.inbox import files_for

    noise, style = PROFILES["harsh"]
    generate(GeneratorConfig(("55", "40"), (TERM,), 2500, seed=5, noise=noise, style=style), tmp_path)
    inbox = tmp_path / "inbox"
    moe = ingest(files_for(inbox, "moe", term=str(TERM)), "moe", term=str(TERM)).accepted
    people = {p: ingest(files_for(inbox, "registry", province=p), "registry", province=p, latest_only=True).accepted
              for p in ("55", "40")}
    settled = settled_by_id(moe.lazy(), pl.concat([people["55"], people["40"]], how="diagonal_relaxed").lazy()).collect()
    assert 0 < settled.height < moe.height
    for national in (None, settled):
        shared: dict = {}
        together = {p: link(people[p].lazy(), moe.lazy(), source="moe", term=TERM, shared=shared, settled=national)
                    for p in ("55", "40")}
        assert {"id_counts", "moe_blocking", "held"} <= shared.keys()
        # side by side, as the MOE linkage step runs small provinces: several threads fill one dict at once
        shared = {}
        with ThreadPoolExecutor(max_workers=4) as pool:
            side_by_side = list(pool.map(lambda p: (p, link(people[p].lazy(), moe.lazy(), source="moe", term=TERM,
                                                            shared=shared, settled=national)), ["55", "40"] * 2))
        for p, result in [*together.items(), *side_by_side]:
            alone = link(people[p].lazy(), moe.lazy(), source="moe", term=TERM, settled=national)
            assert result.links.equals(alone.links) and result.review.equals(alone.review)
            assert result.links.filter(pl.col("rule") != "exact_id").height > 0


def test_a_record_the_national_exact_id_pass_settled_is_left_alone_by_every_other_province():
    """A record whose valid ID, first name and birth date are those of a child of province B is B's: B's stage 1
    links it. Province A holds a namesake born the same day. On its own, A scores that pair (a typo can make
    another valid ID); given the term's national exact-ID pass, A never looks at the record. A record bearing
    B's ID with another name and birth date is not settled by the pass: A still scores it."""
    exact = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
              "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:404]]
    elsewhere, child = make_pid(9_000_001, office="4001"), PEOPLE[500]
    record = {"citizen_id": elsewhere, "id_kind": "valid", "id_raw": elsewhere, "first_name": child["first_name"],
              "last_name": child["last_name"], "sex": child["sex"], "birth_full_date": child["birth_full_date"]}
    records = _records([*exact, record])
    province_a, province_b = _people(PEOPLE), _people([{**record, "citizen_id": elsewhere}])
    loaded = pl.concat([province_a, province_b], how="diagonal_relaxed")
    assert link(province_a, records, source="moe", term=TERM).stats["scored_pairs"] == 1
    settled = settled_by_id(records, loaded).collect()
    assert settled.height == 401
    in_a = link(province_a, records, source="moe", term=TERM, settled=settled)
    assert in_a.stats["candidate_pairs"] == 0 and in_a.links.height == 400 and in_a.review.height == 0
    in_b = link(province_b, records, source="moe", term=TERM, settled=settled)
    assert in_b.links["rule"].to_list() == ["exact_id"] and in_b.links["citizen_id"].to_list() == [elsewhere]
    # B's child is another child: the record is not the one B holds, and A's namesake stays a candidate
    other_b = _people([{**record, "first_name": "ปรีชา", "birth_full_date": dt.date(2009, 1, 2)}])
    settled = settled_by_id(records, pl.concat([province_a, other_b], how="diagonal_relaxed")).collect()
    assert settled.height == 400
    assert link(province_a, records, source="moe", term=TERM, settled=settled).stats["scored_pairs"] == 1


def test_a_pair_that_can_change_no_decision_is_not_compared_by_name():
    """A valid ID that no one of the province holds (another province's child, most likely) on a record that shares
    both names and the birth year with one of the province's children, born another day: the pair is proposed,
    but even at its best it stays far below review, so its names are never compared. Born the same day, the
    record may be the child's (a typo that made another valid ID): that pair is scored."""
    exact = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
              "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:404]]
    elsewhere = make_pid(9_000_001, office="4001")
    child = PEOPLE[500]
    namesake = {"citizen_id": elsewhere, "id_kind": "valid", "id_raw": elsewhere, "first_name": child["first_name"],
                "last_name": child["last_name"], "sex": child["sex"],
                "birth_full_date": child["birth_full_date"].replace(month=child["birth_full_date"].month % 12 + 1)}
    result = _link([*exact, namesake])
    assert result.stats["candidate_pairs"] == 1 and result.stats["scored_pairs"] == 0
    assert result.links.height == 400 and result.review.height == 0
    result = _link([*exact, {**namesake, "birth_full_date": child["birth_full_date"]}])
    assert result.stats["candidate_pairs"] == result.stats["scored_pairs"] == 1


def test_the_models_random_pairs_taken_by_row_number_are_the_pairs_a_join_on_keys_gives():
    """The model's u comes from random (record, person) pairs; their sides are taken by row number, which must give
    what joining the drawn record keys and person IDs to both sides gives, row for row, whatever the people's order."""
    from matching.linker import FEATURES, _random_sides, _record_features, _with_sides, prepare_people, prepare_records
    from matching.comparisons import name_scores, python_strings
    from matching.model import U_SAMPLE, random_pairs

    people_f = prepare_people(_people(PEOPLE)).sample(fraction=1.0, shuffle=True, seed=1)
    rows = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
             "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[:60]]
    recs = prepare_records(_records(rows), "citizen_id").with_columns(pl.lit(False).alias("valid_elsewhere"))
    feats = _record_features(recs, TERM, False).select(FEATURES).collect().sample(fraction=1.0, shuffle=True, seed=2)
    keys = feats.select(KEY).sort(KEY)
    plain = [pl.lit("random").alias("blocked_by"), pl.lit(False).alias("id_one_edit")]
    picks = random_pairs(keys.height, people_f.height, U_SAMPLE)
    drawn = keys[picks["record_row"]].with_columns(people_f["citizen_id"].sort().gather(picks["person_rank"]).alias("citizen_id"))
    joined = _with_sides(drawn.lazy().with_columns(plain), feats.lazy(), people_f).collect()
    taken, texts = _random_sides(keys, feats, people_f, plain)
    assert taken.height == picks.height > U_SAMPLE // 2 and taken.equals(joined)
    # the names it gives as Python strings are the pairs' own, and score as converting the pairs' columns does
    for f in ("first_name", "last_name"):
        left, right = taken[f"r_{f}_norm"], taken[f"p_{f}_norm"]
        assert (texts[f][0] == python_strings(left)).all() and (texts[f][1] == python_strings(right)).all()
        given, converted = name_scores(left, right, texts[f]), name_scores(left, right)
        assert given[0].equals(converted[0]) and given[1].equals(converted[1])


def test_people_staged_with_their_features_link_as_the_people_do():
    """A registry is staged with its people's matching features (every source and term of the province links
    against them): linking against those gives what linking against the people gives."""
    from matching.linker import PREPARED_PEOPLE, prepare_people

    records = [{"citizen_id": p["citizen_id"], "id_kind": "valid", "id_raw": p["citizen_id"], "first_name": p["first_name"],
                "last_name": p["last_name"], "sex": p["sex"], "birth_full_date": p["birth_full_date"]} for p in PEOPLE[4:604]]
    records += [{"first_name": "กมลชนก", "last_name": "ทองดี", "sex": 2, "birth_full_date": dt.date(2012, 4, 3)}]
    prepared = prepare_people(_people(PEOPLE))
    assert prepared.columns == PREPARED_PEOPLE
    staged = link(prepared.lazy(), _records(records), source="moe", term=TERM)
    plain = _link(records)
    assert staged.links.equals(plain.links) and staged.review.equals(plain.review)
    assert staged.model.fingerprint == plain.model.fingerprint and staged.links.height == 601


def test_the_moe_detail_found_through_the_term_index_equals_the_join():
    """Many provinces take their links' enrolment detail from one index of the national export: the same rows as
    the semi join each did over the whole export (two files, one with two sheets, rows missing where quarantined)."""
    import random

    from matching import detail

    rng = random.Random(3)
    rows = [(f, s, r) for f, sheets in (("moe/2567-1/a.xlsx", ("s1", "s2")), ("moe/2567-1/b.csv", ("",)))
            for s in sheets for r in range(1, 2_001) if rng.random() > 0.05]
    students = pl.DataFrame(rows, schema={"source_file": pl.String, "source_sheet": pl.String, "source_row": pl.Int64},
                            orient="row").with_columns(
        *[pl.format("{}-{}", pl.lit(c), pl.col("source_row")).alias(src) for c, src in detail.MOE_DETAIL.items()])
    links = students.sample(700, seed=1).select(RECORD_KEY).with_columns(pl.lit("x").alias("citizen_id"))
    links = pl.concat([links, pl.DataFrame({"source_file": ["moe/2567-1/c.csv"], "source_sheet": [""], "source_row": [5],
                                            "citizen_id": ["y"]})])  # a key of no record: detail null, as joined
    joined = detail.with_moe_detail(links, students.lazy()).sort(RECORD_KEY)
    indexed = detail.with_moe_detail(links, students.lazy(), detail.moe_index(students)).sort(RECORD_KEY)
    assert_frame_equal(joined, indexed)
    assert indexed.height == 701 and indexed["school_code"].null_count() == 1


def test_the_blocking_index_pairs_what_the_rules_pair_even_when_hashes_collide(monkeypatch):
    """Records hashed once per rule (``BlockingIndex``, for a national export many provinces are blocked against)
    give each rule's pairs exactly, names in any slip, null keys left out; with a hash that collides for most
    keys (five values in all) the pairs found are checked on the keys themselves and stay the same."""
    from matching import blocking
    from matching.features import with_features

    people = with_features(_people(PEOPLE)).collect()
    rows = []
    for i, p in enumerate(PEOPLE[:600]):
        d = p["birth_full_date"]
        slip = [d, d + dt.timedelta(days=1), dt.date(d.year, d.day, d.month) if d.day <= 12 else d, None][i % 4]
        rows.append({"first_name": p["first_name"] if i % 5 else None, "last_name": p["last_name"] if i % 7 else "อื่น",
                     "sex": p["sex"], "birth_full_date": slip})
    records = with_features(_records(rows)).collect().with_row_index(blocking.BlockingIndex.ROW)
    rules = blocking.MOE_RULES + blocking.VALID_ID_RULES

    def expected() -> list[pl.DataFrame]:
        return [blocking.rule_pairs(records.lazy(), people.lazy(), rule, [blocking.BlockingIndex.ROW]).collect()
                for rule in rules]

    def same(got: list[pl.DataFrame], want: list[pl.DataFrame]) -> None:
        assert len(got) == len(want) and sum(w.height for w in want) > 500
        for g, w in zip(got, want):
            assert_frame_equal(g.sort(g.columns), w.sort(w.columns), check_dtypes=False)

    same(blocking.BlockingIndex(records, rules).parts(people), expected())
    weak = blocking._key_hash
    monkeypatch.setattr(blocking, "_key_hash", lambda keys: weak(keys) % 5)
    same(blocking.BlockingIndex(records, rules).parts(people), expected())


def test_random_pairs_are_each_distinct_pair_once_in_the_order_first_drawn():
    """The model's random pairs: the same draws as ever (a model is reproducible for the same sizes), a pair drawn
    again dropped, the first draw of each kept in place."""
    import numpy as np

    from matching.model import random_pairs

    for n_records, n_people in ((1, 1), (6, 4000), (5000, 4000), (20000, 14_000_000)):
        rng = np.random.default_rng(0)
        drawn = pl.DataFrame({"record_row": rng.integers(0, n_records, 60_000), "person_rank": rng.integers(0, n_people, 60_000)})
        pairs = random_pairs(n_records, n_people, 60_000)
        assert pairs.equals(drawn.unique(maintain_order=True))
        assert pairs.height == pairs.unique().height and pairs["record_row"].max() < n_records
    assert random_pairs(0, 10, 100).height == 0
