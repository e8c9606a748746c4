"""From validated sources to out-of-school children: target population, links, classification."""


import time

import dagster as dg
import polars as pl

from assets.sources import md_table
from matching.blocking import RECORD_KEY
from matching.linker import LINK_SCHEMA, REVIEW_SCHEMA, link
from pipelines.partitions import by_province, by_term, province_term, province_term_partitions
from pipelines.resources import PipelinePaths
from zero_dropout import decisions, population
from zero_dropout.terms import Term


# After a sensor-started source run, the province-term partitions it feeds follow on their own.
FOLLOW = dg.AutomationCondition.eager()


def _scan_or_empty(paths: PipelinePaths, dataset: str, name: str, province=None, term=None) -> pl.LazyFrame | None:
    staging = paths.staging
    if not staging.exists(dataset, name, province, term):
        return None
    lf = staging.scan(dataset, name, province, term)
    return lf if lf.collect_schema().len() else None


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province)])
def target_population(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """Registry people of the term's cohort (birth year Y-17..Y-3) with status 0 or 8; others counted by reason."""
    province, term = province_term(context)
    people = paths.staging.scan("registry", "people", province)
    cohort = population.cohort(people, Term.parse(term)).collect()
    paths.staging.write(cohort, "target", "population", province, term)
    excluded = cohort.filter(~pl.col("in_target")).group_by("excluded_reason").len().sort("excluded_reason")
    return dg.MaterializeResult(metadata={
        "cohort_people": cohort.height,
        "target_population": int(cohort["in_target"].sum()),
        "central_register": int(cohort["central_register"].sum()),
        "excluded_by_status": md_table(excluded.rename({"len": "people"})),
        "dagster/row_count": int(cohort["in_target"].sum()),
    })


def _link_metadata(result, target_linked: int, n_target: int, started: float) -> dict:
    stats = result.stats
    by_rule = result.links.group_by("rule").len().sort("rule").rename({"len": "links"})
    return {
        "links": result.links.height,
        "links_by_rule": md_table(by_rule),
        "review_queue": result.review.height,
        "candidate_pairs": stats["candidate_pairs"],
        "exact_id_conflicts": stats["exact_conflicts"],
        "target_linked": target_linked,
        "target_link_rate": round(target_linked / n_target, 4) if n_target else 0.0,
        "seconds": round(time.perf_counter() - started, 3),
        "model_fingerprint": result.model.fingerprint,
        "linkage_model": md_table(result.model.metadata_rows()),
        "dagster/row_count": result.links.height,
    }


LINK_RATE_CHECK = "moe_link_rate_stable"
MAX_LINK_RATE_DROP = 0.10  # a fall of 10 points in the target's link rate against the previous term stops the load


def link_rate_stable(rate: float, previous: float | None) -> bool:
    """A broken or incomplete MOE export looks like thousands of new dropouts: the target's link rate may not
    fall by more than MAX_LINK_RATE_DROP against the previous term loaded."""
    return previous is None or rate >= previous - MAX_LINK_RATE_DROP


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                dg.AssetDep("moe_students", partition_mapping=by_term), "target_population"],
          check_specs=[dg.AssetCheckSpec(LINK_RATE_CHECK, asset="moe_links", blocking=True,
                                         description="the share of the target population linked to an MOE record has not "
                                                     "fallen by more than 10 points since the previous term loaded "
                                                     "(a broken export looks like thousands of new dropouts)")])
def moe_links(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """MOE records of the term (national) linked to the province's registry people: exact IDs, then
    names and birth dates; doubtful pairs go to the review queue."""
    province, term = province_term(context)
    started = time.perf_counter()
    people = paths.staging.scan("registry", "people", province)
    students = paths.staging.scan("moe", "students", term=term)
    result = link(people, students, source="moe", term=Term.parse(term), decisions=decisions.load(paths.warehouse))
    detail = students.select(*RECORD_KEY, pl.col("enrollment_status_canonical").alias("enrollment_status"),
                             "school_code", "school_name", "school_province", "affiliation", "grade").join(
        result.links.lazy().select(RECORD_KEY), on=RECORD_KEY, how="semi").collect()
    partition = [pl.lit(province).alias("province_code"), pl.lit(term).alias("term")]
    links = result.links.join(detail, on=RECORD_KEY, how="left").with_columns(partition)
    target = paths.staging.scan("target", "population", province, term).filter("in_target")
    n_target = target.select(pl.len()).collect().item()
    linked = target.join(links.lazy().select("citizen_id").unique(), on="citizen_id").select(pl.len()).collect().item()
    meta = _link_metadata(result, linked, n_target, started)
    meta["other_province_school_links"] = links.filter(pl.col("school_province") != province).height
    rate = meta["target_link_rate"]
    earlier = [t for t in paths.staging.terms_of("links", "moe_link_rate", province) if t < term]
    previous = paths.staging.scan("links", "moe_link_rate", province, earlier[-1]).collect()["target_link_rate"][0] if earlier else None
    passed = link_rate_stable(rate, previous)
    # published only when the blocking check passed: a failed partition keeps its last good version, which
    # the warehouse load reads as before (it never sees links that the check rejected)
    if passed:
        paths.staging.write(links, "links", "moe_links", province, term)
        paths.staging.write(result.review.with_columns(partition), "links", "moe_review", province, term)
        paths.staging.write(result.model.table.with_columns(partition), "links", "moe_model", province, term)
        paths.staging.write(pl.DataFrame({"term": [term], "target_link_rate": [rate]}), "links", "moe_link_rate", province, term)
    else:
        context.log.warning(f"province {province} term {term}: MOE link rate {rate} fell more than {MAX_LINK_RATE_DROP} "
                            f"below {previous}; not published, the last good version stays in use")
    meta["published"] = passed
    check = dg.AssetCheckResult(check_name=LINK_RATE_CHECK, passed=passed, metadata={
        "target_link_rate": rate, "previous_term": earlier[-1] if earlier else "none",
        "previous_link_rate": previous if previous is not None else -1.0,
        "published": passed})
    return dg.MaterializeResult(metadata=meta, check_results=[check])


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province), "survey_responses"])
def survey_links(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """Survey visits linked to the province's registry people (ID, else name, birth date or age, address),
    carrying what the field team found."""
    province, term = province_term(context)
    started = time.perf_counter()
    responses = _scan_or_empty(paths, "survey", "responses", province, term)
    partition = [pl.lit(province).alias("province_code"), pl.lit(term).alias("term")]
    if responses is None or "survey_id" not in responses.collect_schema().names():
        links = pl.DataFrame(schema={**LINK_SCHEMA, "found_status": pl.String, "reason": pl.String, "need": pl.String,
                                     "survey_date": pl.Date})
        review = pl.DataFrame(schema=REVIEW_SCHEMA)
        meta = {"links": 0, "review_queue": 0, "dagster/row_count": 0}
    else:
        people = paths.staging.scan("registry", "people", province)
        result = link(people, responses, source="survey", term=Term.parse(term), decisions=decisions.load(paths.warehouse))
        findings = responses.select(
            *RECORD_KEY, pl.col("found_status_canonical").alias("found_status"), pl.col("reason_canonical").alias("reason"),
            pl.col("need_canonical").alias("need"), pl.col("survey_full_date").alias("survey_date")).collect()
        links = result.links.join(findings, on=RECORD_KEY, how="left")
        review = result.review
        paths.staging.write(result.model.table.with_columns(partition), "links", "survey_model", province, term)
        n = responses.select(pl.len()).collect().item()
        meta = _link_metadata(result, links["citizen_id"].n_unique(), n, started)
        meta.pop("target_link_rate")
        meta["survey_link_rate"] = round(links.height / n, 4) if n else 0.0
    paths.staging.write(links.with_columns(partition), "links", "survey_links", province, term)
    paths.staging.write(review.with_columns(partition), "links", "survey_review", province, term)
    return dg.MaterializeResult(metadata=meta)


ONE_ROW_CHECK = "one_row_per_child"


@dg.asset(partitions_def=province_term_partitions, group_name="out_of_school", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
          deps=["target_population", "moe_links", "survey_links"],
          check_specs=[dg.AssetCheckSpec(ONE_ROW_CHECK, asset="out_of_school_children", blocking=True,
                                         description="one out-of-school row per child per term")])
def out_of_school_children(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """Target children with no studying or graduated MOE record this term, by category, with survey findings.

    Earlier terms' MOE links of the province are read from staging ("any earlier term loaded").
    """
    province, term = province_term(context)
    staging = paths.staging
    earlier = [t for t in staging.terms_of("links", "moe_links", province) if t < term]
    moe = pl.concat([
        staging.scan("links", "moe_links", province, t).select("citizen_id", "term", "enrollment_status")
        for t in [*earlier, term]
    ])
    cohort = staging.scan("target", "population", province, term).collect()
    classified = population.classify(cohort.lazy().filter("in_target"), moe, Term.parse(term))
    review = staging.scan("links", "moe_review", province, term)
    classified = population.mark_pending_review(classified, review).with_columns(
        pl.col("pending_review") & (pl.col("category") != "in_school")).collect()
    surveys = staging.scan("links", "survey_links", province, term)
    if "found_status" in surveys.collect_schema().names():
        latest = surveys.sort("survey_date", nulls_last=False).group_by("citizen_id").last().select(
            "citizen_id", pl.col("found_status").alias("survey_found_status"), pl.col("reason").alias("survey_reason"),
            pl.col("need").alias("survey_need"), "survey_date")
    else:
        latest = pl.LazyFrame(schema={"citizen_id": pl.String, "survey_found_status": pl.String,
                                      "survey_reason": pl.String, "survey_need": pl.String, "survey_date": pl.Date})
    out = (
        classified.lazy().filter(pl.col("category") != "in_school")
        .with_columns(pl.lit(province).alias("province_code"))
        .select(*population.OUT_OF_SCHOOL_COLUMNS, "pending_review")
        .join(latest, on="citizen_id", how="left")
        .sort("citizen_id")
        .collect()
    )
    summary = population.summary(classified, cohort)
    cohort_status = cohort.select("citizen_id", "in_target", "excluded_reason", "amphoe_code", "tambon_code", "age_band").join(
        classified.select("citizen_id", "category"), on="citizen_id", how="left").with_columns(
        pl.lit(province).alias("province_code"), pl.lit(term).alias("term"))
    staging.write(cohort_status, "out_of_school", "cohort_status", province, term)
    staging.write(out, "out_of_school", "children", province, term)
    staging.write(pl.DataFrame([{"province_code": province, "term": term, **summary,
                                 "earlier_terms_loaded": len(earlier)}]), "out_of_school", "summary", province, term)
    by_amphoe = out.group_by("amphoe_code", "category").len().pivot(on="category", index="amphoe_code", values="len").fill_null(0).sort("amphoe_code")
    duplicates = out.height - out["citizen_id"].n_unique()
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(
        check_name=ONE_ROW_CHECK, passed=duplicates == 0, metadata={"children_listed_twice": duplicates})], metadata={
        **summary,
        "earlier_terms_loaded": len(earlier),
        "out_of_school_rate": round(summary["out_of_school"] / summary["target_population"], 4) if summary["target_population"] else 0.0,
        "by_amphoe": md_table(by_amphoe),
        "dagster/row_count": out.height,
    })
