"""One province and term on its own: the target population, the MOE links and the survey links, each with its review
queue. What a term reads of other terms is the province history (assets/history.py)."""


import time

import dagster as dg
import polars as pl

from assets.sources import column_schema, md_table
from matching.blocking import RECORD_KEY
from matching import detail
from matching.linker import link
from assets.partitions import by_province, by_term, province_term, province_term_partitions
from assets.resources import PipelinePaths
from zero_dropout import decisions, history, population, tables
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
    paths.staging.step_started("target_population", province, term)
    people = paths.staging.scan("registry", "people", province)
    cohort = population.cohort(people, Term.parse(term)).collect()
    paths.staging.write(cohort, "target", "population", province, term)
    paths.staging.step_done("target_population", province, term)
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


MOE_LINKS_STAGED = tables.MOE_LINKS.extended("moe_links", tables.PARTITION)

# The working files of one province-term that a published version of the province takes (dataset, name).
TERM_FILES = [("target", "population"), ("links", "moe_links"), ("links", "moe_review"), ("links", "moe_model"),
              ("links", "survey_links"), ("links", "survey_review"), ("links", "survey_model")]
TERM_ASSETS = ["target_population", "moe_links", "moe_review_queue", "survey_links", "survey_review_queue"]
TERM_STEPS = ["target_population", "moe_linkage", "survey_linkage"]  # a term is whole when each step finished


def _partition_columns(province: str, term: str) -> list[pl.Expr]:
    return [pl.lit(province).alias("province_code"), pl.lit(term).alias("term")]


def _review_metadata(review: pl.DataFrame) -> dict:
    return {"pairs": review.height, "records": review.select(RECORD_KEY).n_unique() if review.height else 0,
            "dagster/row_count": review.height, "dagster/column_schema": column_schema(tables.STAGED["review_queue"])}


@dg.multi_asset(
    partitions_def=province_term_partitions, group_name="linkage",
    specs=[dg.AssetSpec("moe_links", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                              dg.AssetDep("moe_students", partition_mapping=by_term), "target_population"],
                        description="MOE records of the term (national) linked to the province's registry people: exact "
                                    "IDs, then names and birth dates, with the rule, score and evidence of every link."),
           dg.AssetSpec("moe_review_queue", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                              dg.AssetDep("moe_students", partition_mapping=by_term)],
                        description="Doubtful MOE record - person pairs for a data officer to accept or reject.")])
def moe_linkage(context: dg.AssetExecutionContext, paths: PipelinePaths):
    province, term = province_term(context)
    paths.staging.step_started("moe_linkage", province, term)
    started = time.perf_counter()
    people = paths.staging.scan("registry", "people", province)
    students = paths.staging.scan("moe", "students", term=term)
    result = link(people, students, source="moe", term=Term.parse(term), decisions=decisions.load(paths.warehouse))
    links = MOE_LINKS_STAGED.conform(detail.with_moe_detail(result.links, students).with_columns(_partition_columns(province, term)))
    target = paths.staging.scan("target", "population", province, term)
    n_target, linked = history.target_linked(target, links.lazy())
    paths.staging.write(links, "links", "moe_links", province, term)
    paths.staging.write(result.review.with_columns(_partition_columns(province, term)), "links", "moe_review", province, term)
    paths.staging.write(result.model.table.with_columns(_partition_columns(province, term)), "links", "moe_model", province, term)
    meta = _link_metadata(result, linked, n_target, started)
    meta["other_province_school_links"] = links.filter(pl.col("school_province") != province).height
    meta["dagster/column_schema"] = column_schema(MOE_LINKS_STAGED)
    paths.staging.step_done("moe_linkage", province, term)
    yield dg.MaterializeResult(asset_key="moe_links", metadata=meta)
    yield dg.MaterializeResult(asset_key="moe_review_queue", metadata=_review_metadata(result.review))


@dg.multi_asset(
    partitions_def=province_term_partitions, group_name="linkage",
    specs=[dg.AssetSpec("survey_links", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province), "survey_responses"],
                        description="Survey visits linked to the province's registry people (ID, else name, birth date "
                                    "or age, address), carrying what the field team found."),
           dg.AssetSpec("survey_review_queue", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province), "survey_responses"],
                        description="Doubtful survey visit - person pairs for a data officer to accept or reject.")])
def survey_linkage(context: dg.AssetExecutionContext, paths: PipelinePaths):
    province, term = province_term(context)
    paths.staging.step_started("survey_linkage", province, term)
    started = time.perf_counter()
    responses = _scan_or_empty(paths, "survey", "responses", province, term)
    if responses is None or "survey_id" not in responses.collect_schema().names():
        links, review = tables.SURVEY_LINKS.empty(), tables.REVIEW_QUEUE.empty()
        meta = {"links": 0, "review_queue": 0, "dagster/row_count": 0}
        paths.staging.path("links", "survey_model", province, term).unlink(missing_ok=True)
    else:
        people = paths.staging.scan("registry", "people", province)
        result = link(people, responses, source="survey", term=Term.parse(term), decisions=decisions.load(paths.warehouse))
        links, review = detail.with_survey_findings(result.links, responses), result.review
        paths.staging.write(result.model.table.with_columns(_partition_columns(province, term)), "links", "survey_model", province, term)
        n = responses.select(pl.len()).collect().item()
        meta = _link_metadata(result, links["citizen_id"].n_unique(), n, started)
        meta.pop("target_link_rate")
        meta["survey_link_rate"] = round(links.height / n, 4) if n else 0.0
    paths.staging.write(links.with_columns(_partition_columns(province, term)), "links", "survey_links", province, term)
    paths.staging.write(review.with_columns(_partition_columns(province, term)), "links", "survey_review", province, term)
    meta["dagster/column_schema"] = column_schema(tables.SURVEY_LINKS.extended("survey_links", tables.PARTITION))
    paths.staging.step_done("survey_linkage", province, term)
    yield dg.MaterializeResult(asset_key="survey_links", metadata=meta)
    yield dg.MaterializeResult(asset_key="survey_review_queue", metadata=_review_metadata(review))
