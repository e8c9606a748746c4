"""Calibrate the linkage weights on generated truth: m and u of every comparison level, from candidate pairs.

    uv run python benchmarks/calibrate_linkage.py /tmp/calib    # generates there first if empty

m = share of true pairs at the level; u = share of random (record, person) pairs at the level, as
Splink estimates u, so that weights do not depend on the blocking rules. Also prints the share of
stage-2 records that have a true match (the prior's lambda). Paste into matching/settings.py.
"""

from __future__ import annotations

import _measure  # noqa: F401  (reads inboxes it just generated: see _measure)

import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

from matching import linker
from matching.features import with_features
from matching.settings import Settings
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.inbox import files_for
from schemas.ingest import ingest
from zero_dropout.terms import Term

FIELDS = ["first_name", "last_name", "birth_date", "sex", "id", "age", "address"]


def pairs_for(inbox: Path, truth: pl.DataFrame, source: str, province: str, term: str) -> pl.DataFrame:
    people = ingest(files_for(inbox, "registry", province=province), "registry", province=province, latest_only=True).accepted
    if source == "moe":
        records = ingest(files_for(inbox, "moe", term=term), "moe", term=term).accepted
    else:
        records = ingest(files_for(inbox, "survey", province=province, term=term), "survey", province=province, term=term).accepted
    people_f = linker.prepare_people(people.lazy())
    recs = with_features(linker.prepare_records(records.lazy(), "citizen_id"))
    # only what stage 1 leaves: records with no valid ID of a province person
    recs = recs.join(people_f.lazy().select("citizen_id"), on="citizen_id", how="anti")
    recs = recs.collect()
    keyed = recs.join(truth.select("source_file", "source_row", "true_citizen_id"), on=["source_file", "source_row"], how="left")
    true_pairs = keyed.join(people_f.select("citizen_id"), left_on="true_citizen_id", right_on="citizen_id", how="semi").select(
        "source_file", "source_sheet", "source_row", pl.col("true_citizen_id").alias("citizen_id"))
    rng = np.random.default_rng(0)
    n = 400_000
    random_pairs = pl.DataFrame({
        **{c: recs[c].gather(rng.integers(0, recs.height, n)) for c in ("source_file", "source_sheet", "source_row")},
    }).with_columns(citizen_id=people_f["citizen_id"].gather(rng.integers(0, people_f.height, n)))
    both = pl.concat([true_pairs.with_columns(pl.lit(True).alias("is_match")),
                      random_pairs.with_columns(pl.lit(False).alias("is_match"))]).unique(
        subset=["source_file", "source_sheet", "source_row", "citizen_id"], keep="first")
    # blocked_by is only used for the one-edit ID level
    from matching.blocking import id_variants
    one_edit = id_variants(recs.lazy(), "id_raw").collect().rename({"candidate_id": "citizen_id"}).with_columns(
        pl.lit(True).alias("id_one_edit"))
    both = both.join(one_edit, on=["source_file", "source_sheet", "source_row", "citizen_id"], how="left").with_columns(
        pl.col("id_one_edit").fill_null(False), pl.lit("random").alias("blocked_by"))
    pairs = linker._with_sides(both.lazy(), recs.lazy(), people_f).collect()
    pairs = linker._compare(pairs, Settings(), Term.parse(term), source == "survey")
    return pairs.with_columns(pl.lit(recs.height).alias("n_records"), pl.lit(true_pairs.height).alias("n_true_records"))


def main() -> None:
    root = Path(sys.argv[1])
    if not (root / "inbox").exists():
        generate(GeneratorConfig(("55", "40"), (Term.parse("2566-2"), Term.parse("2567-1")), 50_000, seed=42), root)
    for source, truth_file in (("moe", "moe_records"), ("survey", "survey_records")):
        truth = pl.read_parquet(root / "truth" / f"{truth_file}.parquet")
        frames = [pairs_for(root / "inbox", truth, source, p, t) for p in ("55", "40") for t in ("2566-2", "2567-1")]
        pairs = pl.concat(frames, how="diagonal_relaxed")
        n_true, n_false = pairs["is_match"].sum(), (~pairs["is_match"]).sum()
        lam = sum(f["n_true_records"][0] for f in frames) / sum(f["n_records"][0] for f in frames)
        print(f"\n[{source}] {n_true} true pairs, {n_false} random pairs; share of stage-2 records with a "
              f"true match in the province (lambda) = {lam:.4f}")
        for f in FIELDS:
            col = f"{f}_level"
            if col not in pairs.columns:
                continue
            tab = pairs.group_by(col).agg(pl.col("is_match").sum().alias("t"), (~pl.col("is_match")).sum().alias("f"))
            for row in tab.drop_nulls(col).sort(col).iter_rows(named=True):
                m = max(row["t"], 0.5) / n_true
                u = max(row["f"], 0.5) / n_false
                print(f"  {f}:{row[col]:<20} m={m:.5f} u={u:.5f} weight={math.log2(m / u):7.2f}")


if __name__ == "__main__":
    main()
