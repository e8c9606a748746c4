"""The synthetic generator is a tool: its output must be contract-conformant, plausible and reproducible."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from zero_dropout import areas, thai_id
from zero_dropout.contract import load_contract
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.inbox import scan
from zero_dropout.readers import read_table
from zero_dropout.terms import Term

TERMS = (Term.parse("2566-2"), Term.parse("2567-1"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(GeneratorConfig(("55", "40"), TERMS, 4000, seed=11), out)
    return out


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes(tmp_path, generated):
    generate(GeneratorConfig(("55", "40"), TERMS, 4000, seed=11), tmp_path)
    assert _digests(tmp_path) == _digests(generated)


def test_another_seed_gives_other_data(tmp_path, generated):
    generate(GeneratorConfig(("55", "40"), TERMS, 4000, seed=12), tmp_path)
    a, b = _digests(tmp_path), _digests(generated)
    assert a.keys() == b.keys() and all(a[k] != b[k] for k in a if k.startswith("inbox/"))


def test_bundled_samples_are_what_the_documented_command_writes(tmp_path, samples):
    """data_samples/ is reproducible: `zero-dropout generate --out data_samples --seed 2567 ...`."""
    generate(GeneratorConfig(("55", "40"), TERMS, 3000, seed=2567), tmp_path)
    bundled = {k: v for k, v in _digests(samples).items() if k != "provinces.toml"}  # written by hand, not generated
    assert _digests(tmp_path) == bundled


def test_every_registry_id_has_a_valid_check_digit_and_all_categories_occur(generated):
    people = pl.read_parquet(generated / "truth" / "people.parquet")
    assert people.select(thai_id.is_valid_expr("citizen_id").all()).item()
    assert people["citizen_id"].n_unique() == people.height
    assert set(people["citizen_id"].str.slice(0, 1).unique()) >= {"0", "1", "2", "6", "7", "8"}


def test_clean_moe_ids_are_valid_and_gcodes_are_well_formed_and_absent_from_the_registry(generated):
    moe = pl.read_parquet(generated / "truth" / "moe_records.parquet")
    people = pl.read_parquet(generated / "truth" / "people.parquet")
    clean = moe.filter(pl.col("id_noise") == "none")
    gcodes = clean.filter(pl.col("person_kind") == "gcode")
    assert gcodes.height > 0
    assert gcodes.select(thai_id.is_gcode_expr("true_citizen_id").all()).item()
    assert clean.filter(pl.col("person_kind") != "gcode").select(thai_id.is_valid_expr("true_citizen_id").all()).item()
    assert gcodes.join(people, left_on="true_citizen_id", right_on="citizen_id").height == 0
    noisy = moe.filter(pl.col("id_noise") != "none")["id_noise"].unique().to_list()
    assert set(noisy) == {"substitution", "transposition", "blank", "excel"}


def test_every_area_code_exists(generated):
    people = pl.read_parquet(generated / "truth" / "people.parquet")
    tambons = set(areas.tambons()["tambon_code"])
    assert set(people["tambon_code"].unique()) <= tambons
    for prov in ("55", "40"):
        assert (people.filter(pl.col("province_code") == prov)["tambon_code"].str.slice(0, 2) == prov).all()


def test_out_of_school_rate_per_age_band_is_plausible(generated):
    status = pl.read_parquet(generated / "truth" / "status.parquet").filter("in_target")
    people = pl.read_parquet(generated / "truth" / "people.parquet").select("citizen_id", "birth_year_be")
    frame = status.join(people, on="citizen_id").with_columns(
        (pl.col("term").str.slice(0, 4).cast(pl.Int32) - pl.col("birth_year_be")).alias("age"))
    rate = lambda lo, hi: frame.filter(pl.col("age").is_between(lo, hi)).select(  # noqa: E731
        (pl.col("category") != "in_school").mean()).item()
    assert 0.005 < rate(6, 11) < 0.08  # compulsory primary: few out
    assert 0.08 < rate(15, 17) < 0.40  # upper secondary: many more
    assert 0.05 < rate(3, 5) < 0.40
    overall = frame.select((pl.col("category") != "in_school").mean()).item()
    assert 0.04 < overall < 0.20  # the national figure is 8.4 %
    assert frame.filter(pl.col("category") == "dropped_out").height > 0
    assert frame.filter(pl.col("category") == "never_enrolled").height > 0


def test_siblings_twins_statuses_and_other_province_schools(generated):
    people = pl.read_parquet(generated / "truth" / "people.parquet")
    twins = people.filter("twin").group_by("province_code", "house_index").agg(
        pl.len(), pl.col("first_name").n_unique().alias("names"), pl.col("birth_date").n_unique().alias("dates"),
        pl.col("last_name").n_unique().alias("surnames"))
    assert twins.height > 10
    assert (twins["len"] == 2).all() and (twins["names"] == 2).all() and (twins["dates"] == 1).all()
    assert (twins["surnames"] == 1).all()
    assert set(people["person_status"].unique()) == {0, 1, 4, 8, 9, 11, 12}
    houses = people.group_by("province_code", "house_id").len()
    assert houses.filter(pl.col("len") >= 3).height > 0
    moe = pl.read_parquet(generated / "truth" / "moe_records.parquet")
    assert set(moe["enrollment_status"].unique()) >= {"studying", "transferred out", "dropped out", "suspended"}


def test_dropouts_and_returns_between_terms(generated):
    status = pl.read_parquet(generated / "truth" / "status.parquet").filter("in_target")
    wide = status.pivot(on="term", index="citizen_id", values="category").drop_nulls()
    left = wide.filter((pl.col("2566-2") == "in_school") & (pl.col("2567-1") != "in_school")).height
    back = wide.filter((pl.col("2566-2") != "in_school") & (pl.col("2567-1") == "in_school")).height
    assert left > 0 and back > 0


def test_every_file_reads_back_with_the_alias_map_and_covers_every_form(generated):
    contract = load_contract()
    forms = set()
    for f in scan(generated / "inbox"):
        table = read_table(f.path, f.rel, contract.sources[f.source])
        assert table.frame.height > 0 and not table.unknown_columns
        forms.add((table.form, table.encoding, table.delimiter))
    assert ("csv", "cp874", ",") in forms  # TIS-620 / Windows-874 with DOPA headers
    assert ("csv", "utf-8 with BOM", "|") in forms
    assert ("csv", "utf-8", "\t") in forms
    assert {"xlsx", "parquet"} <= {f[0] for f in forms}


def test_noise_is_present_at_the_default_rates(generated):
    moe = pl.read_parquet(generated / "truth" / "moe_records.parquet").filter(pl.col("person_kind") == "registry")
    noisy_id = moe.select((pl.col("id_noise") != "none").mean()).item()
    assert 0.01 < noisy_id < 0.05
    assert moe["first_name_noise"].sum() > 0 and (moe["birth_noise"] != "none").sum() > 0
    survey = pl.read_parquet(generated / "truth" / "survey_records.parquet")
    assert survey.height > 0 and survey["nickname"].sum() > 0
