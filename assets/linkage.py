"""One province and term on its own: the target population, the MOE links and the survey links, each with its review
queue. What a term reads of other terms is the province history (assets/history.py)."""


import contextlib
import time
from collections import Counter

import dagster as dg
import polars as pl

from assets.sources import PROVINCE_TERM_STAGED, column_schema, md_table, people_for_linkage
from matching.blocking import RECORD_KEY
from matching import detail
from matching.linker import link, settled_by_id
from assets.partitions import (ONE_RUN, by_province, by_term, each_partition, province_term,
                               province_term_partitions, ranged_asset, term_partitions)
from assets.resources import PipelinePaths
from zero_dropout import decisions, history, polars_engine, population, standardize, tables, target_groups
from zero_dropout.terms import Term


# After a sensor-started source run, the province-term partitions it feeds follow on their own.
FOLLOW = dg.AutomationCondition.eager()


def _scan_or_empty(paths: PipelinePaths, dataset: str, name: str, province=None, term=None) -> pl.LazyFrame | None:
    staging = paths.staging
    if not staging.exists(dataset, name, province, term):
        return None
    lf = staging.scan(dataset, name, province, term)
    return lf if lf.collect_schema().len() else None


@ranged_asset(partitions_def=province_term_partitions, group_name="linkage", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
          deps=[dg.AssetDep("registry_people", partition_mapping=by_province)])
def target_population(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """Registry people of the term's cohort (birth year Y-17..Y-3) with status 0 or 8; others counted by reason."""

    def one(key):
        province, term = province_term(key)
        paths.staging.step_started("target_population", province, term)
        people = paths.staging.scan("registry", "people", province)
        cohort = population.cohort(people, Term.parse(term)).collect()
        groups = target_groups.groups_of(province, inbox=paths.inbox)
        group_rows = population.group_cohorts(people, Term.parse(term), groups).collect()
        paths.staging.write(cohort, "target", "population", province, term)
        paths.staging.write(group_rows, "target", "groups", province, term)
        paths.staging.step_done("target_population", province, term)
        excluded = cohort.filter(~pl.col("in_target")).group_by("excluded_reason").len().sort("excluded_reason")
        yield dg.MaterializeResult(metadata={
            "cohort_people": cohort.height,
            "target_population": int(cohort["in_target"].sum()),
            "central_register": int(cohort["central_register"].sum()),
            "excluded_by_status": md_table(excluded.rename({"len": "people"})),
            "dagster/row_count": int(cohort["in_target"].sum()),
            "target_groups": md_table(group_rows.filter("in_target").group_by("target_group").len().sort("target_group")
                                      .rename({"len": "people"}), "the default cohort only"),
        })

    yield from each_partition(context, one, paths)


@ranged_asset(partitions_def=term_partitions, group_name="linkage", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
              deps=["moe_students", dg.AssetDep("registry_people", partition_mapping=dg.AllPartitionMapping())])
def moe_exact_ids(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """The term's exact-ID pass for the whole country: the MOE records whose valid ID a registry person of any
    loaded province holds, with the same first name and birth date. Their province's stage 1 links them; every
    province's fallback (moe_links) works only on the records this pass left."""

    def one(term: str):
        started = time.perf_counter()
        registries = paths.staging.files("registry", "people")
        students = paths.staging.scan("moe", "students", term=term)
        people = pl.concat([pl.scan_parquet(f) for f in registries], how="diagonal_relaxed") if registries else None
        with polars_engine.national():  # every registry joined to a national export
            settled = (settled_by_id(students, people).collect() if people is not None
                       else pl.DataFrame(schema={c: students.collect_schema()[c] for c in RECORD_KEY}))
        paths.staging.write(settled, "moe", SETTLED_BY_ID, term=term)
        yield dg.MaterializeResult(metadata={
            "records_settled": settled.height, "registry_provinces": len(registries),
            "seconds": round(time.perf_counter() - started, 3), "dagster/row_count": settled.height})

    yield from each_partition(context, one)


SETTLED_BY_ID = "settled_by_id"  # staged as moe/term=<t>/settled_by_id.parquet: record keys only


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
RECORD_SOURCES = ("survey", "aid", "justice")  # linked like a survey visit, one province and term at a time
TERM_FILES = [("target", "population"), ("target", "groups"), ("links", "moe_links"), ("links", "moe_review"),
              ("links", "moe_model"),
              *(("links", f"{s}_{part}") for s in RECORD_SOURCES for part in ("links", "review", "model"))]
TERM_ASSETS = ["target_population", "moe_links", "moe_review_queue",
               *(f"{s}_{part}" for s in RECORD_SOURCES for part in ("links", "review_queue"))]
# a term is whole when each of its steps finished; aid and justice steps are owed only once their source was ingested
# for the term (a partition without such files, started by the inbox sensor, never runs them)
TERM_STEPS = ["target_population", "moe_linkage", "survey_linkage"]
OPTIONAL_STEPS = {f"{s}_linkage": PROVINCE_TERM_STAGED[s] for s in ("aid", "justice")}


def _partition_columns(province: str, term: str) -> list[pl.Expr]:
    return [pl.lit(province).alias("province_code"), pl.lit(term).alias("term")]


def _review_metadata(review: pl.DataFrame) -> dict:
    return {"pairs": review.height, "records": review.select(RECORD_KEY).n_unique() if review.height else 0,
            "dagster/row_count": review.height, "dagster/column_schema": column_schema(tables.STAGED["review_queue"])}


@dg.multi_asset(
    partitions_def=province_term_partitions, group_name="linkage",
    specs=[dg.AssetSpec("moe_links", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                              dg.AssetDep("moe_students", partition_mapping=by_term),
                              dg.AssetDep("moe_exact_ids", partition_mapping=by_term), "target_population"],
                        description="MOE records of the term (national) linked to the province's registry people: exact "
                                    "IDs, then names and birth dates, with the rule, score and evidence of every link."),
           dg.AssetSpec("moe_review_queue", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                        deps=[dg.AssetDep("registry_people", partition_mapping=by_province),
                              dg.AssetDep("moe_students", partition_mapping=by_term),
                              dg.AssetDep("moe_exact_ids", partition_mapping=by_term)],
                        description="Doubtful MOE record - person pairs for a data officer to accept or reject.")],
    backfill_policy=ONE_RUN)
def moe_linkage(context: dg.AssetExecutionContext, paths: PipelinePaths):
    # each term's national index, read once for every province of the run, and the work link() shares between
    # them (the first province computes it before the others start side by side)
    national: dict[str, tuple] = {}

    def one(key):
        province, term = province_term(key)
        paths.staging.step_started("moe_linkage", province, term)
        started = time.perf_counter()
        people = people_for_linkage(paths, province)
        students, shared, settled = national[term]
        # a province alone reads the national file in every stage; provinces together share it in memory
        with polars_engine.national() if shared is None else contextlib.nullcontext():
            result = link(people, students, source="moe", term=Term.parse(term), decisions=decided, shared=shared,
                          settled=settled)
        if shared is not None and "moe_detail" not in shared:  # one key, set when whole (provinces side by side)
            with polars_engine.national():  # every record of a national export numbered and sorted
                shared["moe_detail"] = detail.moe_index(students.collect())
        index = shared["moe_detail"] if shared is not None else None
        links = MOE_LINKS_STAGED.conform(detail.with_moe_detail(result.links, students, index)
                                         .with_columns(_partition_columns(province, term)))
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

    decided = decisions.load(paths.warehouse)
    for term, provinces in Counter(province_term(key)[1] for key in context.partition_keys).items():
        scan = paths.staging.scan("moe", "students", term=term)  # one province streams the file
        settled = (paths.staging.scan("moe", SETTLED_BY_ID, term=term).collect()
                   if paths.staging.exists("moe", SETTLED_BY_ID, term=term) else None)
        national[term] = (scan.collect().lazy(), {}, settled) if provinces > 1 else (scan, None, settled)
    yield from each_partition(context, one, paths, first_alone=True)


# what a published link of each province-term source carries of its record (matching/detail.py), and its table
RECORD_DETAIL = {"survey": (detail.with_survey_findings, tables.SURVEY_LINKS),
                 "aid": (detail.aid_payments, tables.AID_PAYMENTS),
                 "justice": (detail.justice_cases, tables.JUSTICE_CASES)}
LINKAGE_TEXT = {
    "survey": ("Survey visits linked to the province's registry people (ID, else name, birth date or age, address), "
               "carrying what the field team found, the photo reference and the coordinates.", "visit"),
    "aid": ("Every aid payment of the province and term, linked to the registry person it was paid for (ID, else "
            "name and birth date), with programme, amount and date; an unlinked payment keeps its row.", "payment"),
    "justice": ("Every juvenile justice case of the province and term, linked to the registry person (ID, else name, "
                "sex and birth date), with the facility and the admission and release dates.", "case"),
}


def _record_linkage(source: str) -> dg.AssetsDefinition:
    """Link a province-term source's rows (survey, aid, justice) to the province's registry people; each with its
    review queue. The staged links table of aid and justice keeps every row (unlinked rows with no citizen_id)."""
    dataset, name = PROVINCE_TERM_STAGED[source]
    carry, table = RECORD_DETAIL[source]
    text, word = LINKAGE_TEXT[source]
    ingest_asset = f"{dataset}_{name}"
    step = f"{source}_linkage"

    @dg.multi_asset(
        name=step, partitions_def=province_term_partitions, group_name="linkage",
        specs=[dg.AssetSpec(f"{source}_links", kinds={"polars", "parquet"}, automation_condition=FOLLOW, description=text,
                            deps=[dg.AssetDep("registry_people", partition_mapping=by_province), ingest_asset]),
               dg.AssetSpec(f"{source}_review_queue", kinds={"polars", "parquet"}, automation_condition=FOLLOW,
                            deps=[dg.AssetDep("registry_people", partition_mapping=by_province), ingest_asset],
                            description=f"Doubtful {source} {word} - person pairs for a data officer to accept or reject.")],
        backfill_policy=ONE_RUN)
    def _link(context: dg.AssetExecutionContext, paths: PipelinePaths):
        decided = decisions.load(paths.warehouse)

        def one(key):
            province, term = province_term(key)
            paths.staging.step_started(step, province, term)
            started = time.perf_counter()
            records = _scan_or_empty(paths, dataset, name, province, term)
            file_key = standardize.FILE_KEYS[source]
            if records is None or file_key not in records.collect_schema().names():
                links, review = table.empty(), tables.REVIEW_QUEUE.empty()
                meta = {"links": 0, "review_queue": 0, "dagster/row_count": 0}
                paths.staging.path("links", f"{source}_model", province, term).unlink(missing_ok=True)
            else:
                people = people_for_linkage(paths, province)
                result = link(people, records, source=source, term=Term.parse(term), decisions=decided)
                links, review = carry(result.links, records), result.review
                paths.staging.write(result.model.table.with_columns(_partition_columns(province, term)), "links",
                                    f"{source}_model", province, term)
                n = records.select(pl.len()).collect().item()
                linked = links.filter(pl.col("citizen_id").is_not_null())
                meta = _link_metadata(result, linked["citizen_id"].n_unique(), n, started)
                meta.pop("target_link_rate")
                meta[f"{source}_link_rate"] = round(linked.height / n, 4) if n else 0.0
            paths.staging.write(links.with_columns(_partition_columns(province, term)), "links", f"{source}_links", province, term)
            paths.staging.write(review.with_columns(_partition_columns(province, term)), "links", f"{source}_review", province, term)
            meta["dagster/column_schema"] = column_schema(table.extended(f"{source}_links", tables.PARTITION))
            paths.staging.step_done(step, province, term)
            yield dg.MaterializeResult(asset_key=f"{source}_links", metadata=meta)
            yield dg.MaterializeResult(asset_key=f"{source}_review_queue", metadata=_review_metadata(review))

        yield from each_partition(context, one, paths)

    return _link


survey_linkage = _record_linkage("survey")
aid_linkage = _record_linkage("aid")
justice_linkage = _record_linkage("justice")
