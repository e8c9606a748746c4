"""From validated sources to out-of-school children: target population, links, classification."""


import time

import dagster as dg
import polars as pl

from assets.sources import md_table
from matching.exact import link_on_id
from pipelines.partitions import by_province, by_term, province_term, province_term_partitions
from pipelines.resources import PipelinePaths
from zero_dropout import population
from zero_dropout.terms import Term


def _scan_or_empty(paths: PipelinePaths, dataset: str, name: str, province=None, term=None) -> pl.LazyFrame | None:
    staging = paths.staging
    if not staging.exists(dataset, name, province, term):
        return None
    lf = staging.scan(dataset, name, province, term)
    return lf if lf.collect_schema().len() else None


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"},
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


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"},
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                dg.AssetDep("moe_students", partition_mapping=by_term), "target_population"])
def moe_links(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """MOE records of the term (national) linked to the province's registry people."""
    province, term = province_term(context)
    started = time.perf_counter()
    people = paths.staging.scan("registry", "people", province)
    students = paths.staging.scan("moe", "students", term=term)
    links = link_on_id(people, students, "moe").collect()
    detail = students.select("source_file", "source_sheet", "source_row", "enrollment_status_canonical",
                             "school_province", "affiliation").collect()
    links = links.join(detail, on=["source_file", "source_sheet", "source_row"], how="left").rename(
        {"enrollment_status_canonical": "enrollment_status"}
    ).with_columns(pl.lit(province).alias("province_code"), pl.lit(term).alias("term"))
    paths.staging.write(links, "links", "moe_links", province, term)
    target = paths.staging.scan("target", "population", province, term).filter("in_target")
    linked_target = target.join(links.lazy().select("citizen_id").unique(), on="citizen_id").select(pl.len()).collect().item()
    n_target = target.select(pl.len()).collect().item()
    return dg.MaterializeResult(metadata={
        "links": links.height,
        "links_exact_id": links.filter(pl.col("rule") == "exact_id").height,
        "target_linked": linked_target,
        "target_link_rate": round(linked_target / n_target, 4) if n_target else 0.0,
        "other_province_school_links": links.filter(pl.col("school_province") != province).height,
        "seconds": round(time.perf_counter() - started, 3),
        "dagster/row_count": links.height,
    })


@dg.asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"},
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province), "survey_responses"])
def survey_links(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.MaterializeResult:
    """Survey visits linked to the province's registry people, carrying what the field team found."""
    province, term = province_term(context)
    responses = _scan_or_empty(paths, "survey", "responses", province, term)
    people = paths.staging.scan("registry", "people", province)
    if responses is None or "survey_id" not in responses.collect_schema().names():
        links = pl.DataFrame(schema={"source": pl.String, "source_file": pl.String, "source_sheet": pl.String,
                                     "source_row": pl.Int64, "citizen_id": pl.String, "rule": pl.String,
                                     "score": pl.Float64, "evidence": pl.String})
    else:
        links = link_on_id(people, responses, "survey").collect()
        findings = responses.select(
            "source_file", "source_sheet", "source_row", pl.col("found_status_canonical").alias("found_status"),
            pl.col("reason_canonical").alias("reason"), pl.col("need_canonical").alias("need"),
            pl.col("survey_full_date").alias("survey_date")).collect()
        links = links.join(findings, on=["source_file", "source_sheet", "source_row"], how="left")
    links = links.with_columns(pl.lit(province).alias("province_code"), pl.lit(term).alias("term"))
    paths.staging.write(links, "links", "survey_links", province, term)
    return dg.MaterializeResult(metadata={"links": links.height, "dagster/row_count": links.height})


@dg.asset(partitions_def=province_term_partitions, group_name="out_of_school", kinds={"polars", "parquet"},
          deps=["target_population", "moe_links", "survey_links"])
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
    classified = population.classify(cohort.lazy().filter("in_target"), moe, Term.parse(term)).collect()
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
        .select(population.OUT_OF_SCHOOL_COLUMNS)
        .join(latest, on="citizen_id", how="left")
        .sort("citizen_id")
        .collect()
    )
    summary = population.summary(classified, cohort, province, Term.parse(term))
    staging.write(out, "out_of_school", "children", province, term)
    staging.write(pl.DataFrame([{"province_code": province, "term": term, **summary,
                                 "earlier_terms_loaded": len(earlier)}]), "out_of_school", "summary", province, term)
    by_amphoe = out.group_by("amphoe_code", "category").len().pivot(on="category", index="amphoe_code", values="len").fill_null(0).sort("amphoe_code")
    return dg.MaterializeResult(metadata={
        **summary,
        "earlier_terms_loaded": len(earlier),
        "out_of_school_rate": round(summary["out_of_school"] / summary["target_population"], 4) if summary["target_population"] else 0.0,
        "by_amphoe": md_table(by_amphoe),
        "dagster/row_count": out.height,
    })
