"""Linkage quality and cost on generated truth: exact IDs only, this project's linker, and Splink.

    uv run --extra bench python benchmarks/bench_linkage.py [--children 50000] [--profiles default,harsh,other_tools]

2 provinces x 2 terms, once per noise profile (nothing here is fitted by hand: the linker fits its model
on each partition). For each method, in its own process (for its peak memory):
MOE links, survey links, the out-of-school list (the contract's rule applied to the method's links)
and twins wrongly merged, against the generator's truth. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from _measure import in_child, peak_rss_mb

PROVINCES = ("55", "40")
TERMS = ("2566-2", "2567-1")
KEY = ["source_file", "source_sheet", "source_row"]


def prepare(out: Path, children: int, profile: str) -> None:
    from zero_dropout.generator import PROFILES, GeneratorConfig, generate
    from zero_dropout.inbox import files_for
    from schemas.ingest import ingest
    from zero_dropout.terms import Term

    if not (out / "truth").exists():
        noise, style = PROFILES[profile]
        generate(GeneratorConfig(PROVINCES, tuple(Term.parse(t) for t in TERMS), children, seed=7, noise=noise, style=style), out)
    inbox, data = out / "inbox", out / "prepared"
    data.mkdir(exist_ok=True)
    for p in PROVINCES:
        ingest(files_for(inbox, "registry", province=p), "registry", province=p, latest_only=True).accepted.write_parquet(data / f"registry_{p}.parquet")
        for t in TERMS:
            ingest(files_for(inbox, "survey", province=p, term=t), "survey", province=p, term=t).accepted.write_parquet(data / f"survey_{p}_{t}.parquet")
    for t in TERMS:
        ingest(files_for(inbox, "moe", term=t), "moe", term=t).accepted.write_parquet(data / f"moe_{t}.parquet")


def run_method(out: Path, method: str) -> None:
    from matching.linker import link, settled_by_id
    from zero_dropout.terms import Term

    data = out / "prepared"
    links, seconds = [], 0.0
    # as the pipeline runs it: the term's national exact-ID pass over every loaded province (moe_exact_ids)
    settled = {}
    if method == "zero_dropout":
        started = time.perf_counter()
        everyone = pl.concat([pl.scan_parquet(data / f"registry_{p}.parquet") for p in PROVINCES], how="diagonal_relaxed")
        settled = {t: settled_by_id(pl.scan_parquet(data / f"moe_{t}.parquet"), everyone).collect() for t in TERMS}
        seconds += time.perf_counter() - started
    for p in PROVINCES:
        people = pl.read_parquet(data / f"registry_{p}.parquet")
        for t in TERMS:
            for source, records in (("moe", pl.read_parquet(data / f"moe_{t}.parquet")),
                                    ("survey", pl.read_parquet(data / f"survey_{p}_{t}.parquet"))):
                started = time.perf_counter()
                if method == "exact":
                    got = records.filter(pl.col("citizen_id").is_not_null()).join(people.select("citizen_id"), on="citizen_id").select(*KEY, "citizen_id")
                elif method == "zero_dropout":
                    got = link(people.lazy(), records.lazy(), source=source, term=Term.parse(t),
                               settled=settled[t] if source == "moe" else None).links.select(*KEY, "citizen_id")
                else:
                    import splink_baseline

                    recs = records.with_row_index("uid").with_columns(pl.col("uid").cast(pl.String))
                    best = splink_baseline.link(people, recs, survey=source == "survey")
                    got = best.join(recs.select("uid", *KEY), on="uid").select(*KEY, "citizen_id")
                seconds += time.perf_counter() - started
                links.append(got.with_columns(pl.lit(source).alias("source"), pl.lit(p).alias("province_code"), pl.lit(t).alias("term")))
    pl.concat(links).write_parquet(out / f"links_{method}.parquet")
    (out / f"stats_{method}.json").write_text(json.dumps({"seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb())}))


def _pr(predicted: pl.DataFrame, truth: pl.DataFrame) -> tuple[float, float]:
    correct = predicted.join(truth, on=[*KEY, "citizen_id"], how="semi").height
    return correct / max(predicted.height, 1), correct / max(truth.height, 1)


def evaluate(out: Path, method: str) -> dict:
    from zero_dropout import population
    from zero_dropout.terms import Term

    data = out / "prepared"
    links = pl.read_parquet(out / f"links_{method}.parquet")
    stats = json.loads((out / f"stats_{method}.json").read_text())
    people_truth = pl.read_parquet(out / "truth" / "people.parquet")
    moe_truth = pl.read_parquet(out / "truth" / "moe_records.parquet").rename({"true_citizen_id": "citizen_id"})
    survey_truth = pl.read_parquet(out / "truth" / "survey_records.parquet").rename({"true_citizen_id": "citizen_id"})
    status = pl.read_parquet(out / "truth" / "status.parquet").filter("in_target")
    res = {"method": method, **stats}
    moe_pred, moe_true, surv_pred, surv_true, oos_pred = [], [], [], [], []
    for p in PROVINCES:
        people = pl.read_parquet(data / f"registry_{p}.parquet")
        ids = people.select("citizen_id")
        for t in TERMS:
            accepted = pl.read_parquet(data / f"moe_{t}.parquet").select(*KEY, "enrollment_status_canonical")
            mp = links.filter((pl.col("source") == "moe") & (pl.col("province_code") == p) & (pl.col("term") == t))
            moe_pred.append(mp.select(*KEY, "citizen_id"))
            moe_true.append(moe_truth.filter(pl.col("term") == t).join(ids, on="citizen_id", how="semi")
                            .with_columns(pl.lit("").alias("source_sheet")).join(accepted.select(KEY).with_columns(pl.col("source_sheet")), on=["source_file", "source_row"], how="semi")
                            .select(*KEY, "citizen_id"))
            sp = links.filter((pl.col("source") == "survey") & (pl.col("province_code") == p) & (pl.col("term") == t))
            surv_pred.append(sp.select(*KEY, "citizen_id"))
            surv_true.append(survey_truth.filter((pl.col("province_code") == p) & (pl.col("term") == t))
                             .join(ids, on="citizen_id", how="semi").with_columns(pl.lit("").alias("source_sheet")).select(*KEY, "citizen_id"))
            # the out-of-school list from this method's MOE links of this and earlier terms
            hist = links.filter((pl.col("source") == "moe") & (pl.col("province_code") == p) & (pl.col("term") <= t))
            hist = hist.join(pl.concat([pl.read_parquet(data / f"moe_{tt}.parquet").select(*KEY, pl.col("enrollment_status_canonical").alias("enrollment_status")) for tt in TERMS if tt <= t]), on=KEY)
            cohort = population.cohort(people.lazy(), Term.parse(t)).filter("in_target")
            classified = population.classify(cohort, hist.select("citizen_id", "term", "enrollment_status").lazy(), Term.parse(t)).collect()
            oos_pred.append(classified.filter(pl.col("category") != "in_school").select(pl.lit(p).alias("province_code"), pl.lit(t).alias("term"), "citizen_id"))
    for name, pred, true in (("moe", moe_pred, moe_true), ("survey", surv_pred, surv_true)):
        # sheets: the truth has none; compare on file and row
        pr, rc = _pr(pl.concat(pred).with_columns(pl.lit("").alias("source_sheet")), pl.concat(true))
        res[f"{name}_precision"], res[f"{name}_recall"] = round(pr, 4), round(rc, 4)
    oos = pl.concat(oos_pred)
    truly = status.filter(pl.col("category") != "in_school").select("province_code", "term", "citizen_id")
    hits = oos.join(truly, on=["province_code", "term", "citizen_id"], how="semi").height
    res["oos_precision"], res["oos_recall"] = round(hits / max(oos.height, 1), 4), round(hits / max(truly.height, 1), 4)
    twins = people_truth.filter("twin").select("citizen_id", "province_code", "house_index")
    all_links = links.join(pl.concat([moe_truth.select("source_file", "source_row", pl.col("citizen_id").alias("true_id")),
                                      survey_truth.select("source_file", "source_row", pl.col("citizen_id").alias("true_id"))]),
                           on=["source_file", "source_row"])
    wrong = all_links.filter(pl.col("citizen_id") != pl.col("true_id"))
    pair = wrong.join(twins, on="citizen_id").join(twins.rename({"citizen_id": "true_id"}), on=["true_id", "province_code", "house_index"])
    res["twins_merged"] = pair.height
    for name, pred, true in (("moe", moe_pred, moe_true), ("survey", surv_pred, surv_true)):
        p_, r_ = res[f"{name}_precision"], res[f"{name}_recall"]
        res[f"{name}_f1"] = round(2 * p_ * r_ / max(p_ + r_, 1e-9), 4)
    p_, r_ = res["oos_precision"], res["oos_recall"]
    res["oos_f1"] = round(2 * p_ * r_ / max(p_ + r_, 1e-9), 4)
    return res


def main() -> None:
    from zero_dropout import polars_engine

    polars_engine.use_in_memory()  # the engine the pipeline's runs collect on
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--out", default="/tmp/zero-dropout-linkage-bench")
    parser.add_argument("--profiles", default="default,harsh,other_tools")
    parser.add_argument("--methods", default="exact,zero_dropout,splink")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        run_method(Path(args.out), args.method)
        return
    rows = []
    for profile in args.profiles.split(","):
        out = Path(args.out) / f"{profile}-{args.children}"
        out.mkdir(parents=True, exist_ok=True)
        prepare(out, args.children, profile)
        for method in args.methods.split(","):
            in_child(__file__, out, method)
            rows.append({"profile": profile, **evaluate(out, method)})
    cols = ["profile", "method", "moe_precision", "moe_recall", "moe_f1", "oos_precision", "oos_recall", "oos_f1",
            "survey_precision", "survey_recall", "survey_f1", "twins_merged", "seconds", "peak_rss_mb"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
