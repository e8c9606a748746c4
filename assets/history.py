"""A province's terms read together, and the one step that publishes a province's new version.

``province_history`` reads every loaded term of the province (the term assets, mapped by province) and
writes, into its run's draft: MOE link rates, cohort status, out-of-school children, transitions and the
suppressed summaries. Its blocking checks stop ``published_province``, which alone makes a new version
visible to the warehouse load.
"""

import dagster as dg
import polars as pl

from assets.linkage import OPTIONAL_STEPS, TERM_ASSETS, TERM_FILES, TERM_STEPS
from assets.sources import NOTICE, column_schema, md_table
from assets.partitions import ONE_RUN, by_province, each_partition, province_partitions, ranged_asset
from assets.resources import PipelinePaths
from zero_dropout import history, tables, target_groups
from zero_dropout.catalog import SUMMARY_TABLES

LINK_RATE_CHECK = "moe_link_rate_stable"
ONE_ROW_CHECK = "one_row_per_child"
TERMS_COMPLETE_CHECK = "every_term_complete"

# Runs once a term of the province was materialised (not merely requested: the term runs first) and nothing it
# reads is still running (a term still running triggers it again when it ends); a term that was never loaded for
# the province is not waited for.
AFTER_TERMS = (dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated()).allow(
    dg.AssetSelection.assets(*TERM_ASSETS)) & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress())
TERMS_OF_PROVINCE = [dg.AssetDep(a, partition_mapping=by_province) for a in TERM_ASSETS]
HISTORY_ASSETS = ["moe_link_rates", "cohort_status", "out_of_school_children", "term_transitions", "out_of_school_summaries",
                  "target_group_children", "risk_stages", "stage_transitions", "aid_by_child"]


def _spec(key: str, description: str, deps: list) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=deps, description=description, kinds={"polars", "parquet"},
                        automation_condition=AFTER_TERMS)


def _optional(staging, dataset: str, name: str, province: str, term: str) -> pl.LazyFrame | None:
    return staging.scan(dataset, name, province, term) if staging.exists(dataset, name, province, term) else None


@dg.multi_asset(
    partitions_def=province_partitions, group_name="out_of_school",
    specs=[
        _spec("moe_link_rates", "Per term: the target population, how many have an MOE link, and the rate against the "
              "previous loaded term.", TERMS_OF_PROVINCE),
        _spec("cohort_status", "Per term: every person of the birth cohort, targeted or excluded (and why), with the "
              "category of the targeted.", TERMS_OF_PROVINCE),
        _spec("out_of_school_children", "Per term: target children with no studying or graduated MOE record, never "
              "enrolled or dropped out (any earlier term loaded counts), with the latest survey finding.",
              [*TERMS_OF_PROVINCE, "cohort_status"]),
        _spec("term_transitions", "What happened to each child since the province's previous loaded term.",
              ["cohort_status"]),
        _spec("out_of_school_summaries", "Out-of-school children counted by amphoe, tambon, age band and sex, "
              "nationality, reason, review and transition; target groups, stages of risk and aid by amphoe; counts "
              "under 5 suppressed.",
              ["out_of_school_children", "term_transitions", "target_group_children", "risk_stages", "stage_transitions",
               "aid_by_child"]),
        _spec("target_group_children", "Per term and configured target group (provinces.toml): the group's children "
              "out of school, beside the default cohort (never instead of it).", [*TERMS_OF_PROVINCE, "cohort_status"]),
        _spec("risk_stages", "Per term and target list: each child in a stage of risk (upstream, midstream, downstream) "
              "with the reasons.", [*TERMS_OF_PROVINCE, "cohort_status", "target_group_children"]),
        _spec("stage_transitions", "Each child's stage against the list's previous loaded term.", ["risk_stages"]),
        _spec("aid_by_child", "Per term: what each child was paid, by programme, with the child's status (still out of "
              "school, returned, in school).", [*TERMS_OF_PROVINCE, "risk_stages"]),
    ],
    check_specs=[
        dg.AssetCheckSpec(TERMS_COMPLETE_CHECK, asset="cohort_status", blocking=True,
                          description="every loaded term of the province has its target population, MOE links and "
                                      "survey links (a partition that did not finish is not published)"),
        dg.AssetCheckSpec(LINK_RATE_CHECK, asset="moe_link_rates", blocking=True,
                          description="no term's share of the target population linked to an MOE record fell by more "
                                      "than 10 points against the previous loaded term (a broken export looks like "
                                      "thousands of new dropouts)"),
        dg.AssetCheckSpec(ONE_ROW_CHECK, asset="out_of_school_children", blocking=True,
                          description="one out-of-school row per child per term"),
    ],
    backfill_policy=ONE_RUN,
)
def province_history(context: dg.AssetExecutionContext, paths: PipelinePaths):
    run = context.run.run_id

    def one(province: str):
        staging = paths.staging
        loaded = staging.terms_of("target", "population", province)
        needed = [("target", "population"), ("links", "moe_links"), ("links", "moe_review"), ("links", "survey_links")]
        incomplete = [t for t in loaded if not all(staging.exists(d, n, province, t) for d, n in needed)
                      or not staging.steps_done(TERM_STEPS, province, t)  # a step killed half way
                      or not staging.steps_done([step for step, (d, n) in OPTIONAL_STEPS.items()
                                                 if staging.exists(d, n, province, t)], province, t)]
        terms = [history.TermLinks(t, *(staging.scan(d, n, province, t) for d, n in needed[:2]),
                                   staging.scan("links", "moe_review", province, t), staging.scan("links", "survey_links", province, t),
                                   groups=_optional(staging, "target", "groups", province, t),
                                   aid=_optional(staging, "links", "aid_links", province, t),
                                   justice=_optional(staging, "links", "justice_links", province, t))
                 for t in loaded if t not in incomplete]
        places = staging.scan("registry", "people", province).select("citizen_id", "amphoe_code", "tambon_code")
        result = history.build(province, terms, SUMMARY_TABLES, target_groups.groups_of(province, inbox=paths.inbox), places)
        for name, frame, dataset in (("moe_link_rate", result.link_rates, "links"), ("cohort_status", result.cohort_status, "out_of_school"),
                                     ("children", result.children, "out_of_school"), ("transitions", result.transitions, "out_of_school"),
                                     ("summary", result.partition_summary, "out_of_school"),
                                     ("group_children", result.group_children, "out_of_school"),
                                     ("group_summary", result.group_summary, "out_of_school"),
                                     ("risk_stages", result.risk_stages, "out_of_school"),
                                     ("stage_transitions", result.stage_transitions, "out_of_school"),
                                     ("aid_by_child", result.aid_by_child, "out_of_school"),
                                     *((n, f, "summaries") for n, f in result.summaries.items())):
            if frame.height:
                staging.write_draft(frame, province, run, dataset, name)
        failed = {check: bad for check, bad in ((TERMS_COMPLETE_CHECK, incomplete), (LINK_RATE_CHECK, result.unstable_terms),
                                            (ONE_ROW_CHECK, result.children.filter(pl.struct("term", "citizen_id").is_duplicated())
                                             ["term"].unique().to_list() if result.children.height else []))
                  if bad}
        refused = {}
        if not failed:
            staging.complete_draft(province, run)
        else:
            staging.refuse(province, run, list(failed), sorted({t for ts in failed.values() for t in ts}))
            refused = {NOTICE: f"province {province}: blocking checks failed ({', '.join(sorted(failed))}); "
                               "its last good version stays in use"}
        rates = result.link_rates
        per_term = result.partition_summary.select("term", "target_population", "out_of_school", "never_enrolled", "dropped_out",
                                                   "pending_review") if result.partition_summary.height else pl.DataFrame()
        yield dg.MaterializeResult(asset_key="moe_link_rates", metadata={
            "by_term": md_table(rates.select("term", "target_population", "target_linked", "target_link_rate",
                                             "previous_link_rate", "link_rate_stable")),
            "dagster/row_count": rates.height, "dagster/column_schema": column_schema(tables.LINK_RATES)})
        yield dg.MaterializeResult(asset_key="cohort_status", metadata={
            "terms": len(terms), "dagster/row_count": result.cohort_status.height, **refused})
        yield dg.MaterializeResult(asset_key="out_of_school_children", metadata={
            "by_term": md_table(per_term), "dagster/row_count": result.children.height})
        counts = (result.transitions.group_by("term", "transition").len().sort("term", "transition").rename({"len": "children"})
                  if result.transitions.height else pl.DataFrame())
        yield dg.MaterializeResult(asset_key="term_transitions", metadata={
            "by_transition": md_table(counts), "dagster/row_count": result.transitions.height,
            "dagster/column_schema": column_schema(tables.TRANSITIONS)})
        groups = result.group_summary.filter(pl.col("target_group") != target_groups.DEFAULT_GROUP)
        yield dg.MaterializeResult(asset_key="target_group_children", metadata={
            "by_group": md_table(groups.select("term", "target_group", "target_population", "out_of_school"),
                                 "the default cohort only (no group configured for the province)"),
            "dagster/row_count": result.group_children.height})
        by_stage = (result.risk_stages.group_by("term", "target_group", "stage").len().sort("term", "target_group", "stage")
                    .rename({"len": "children"}) if result.risk_stages.height else pl.DataFrame())
        yield dg.MaterializeResult(asset_key="risk_stages", metadata={
            "by_stage": md_table(by_stage), "dagster/row_count": result.risk_stages.height,
            "dagster/column_schema": column_schema(tables.RISK_STAGES)})
        yield dg.MaterializeResult(asset_key="stage_transitions", metadata={
            "dagster/row_count": result.stage_transitions.height,
            "dagster/column_schema": column_schema(tables.STAGE_TRANSITIONS)})
        paid = result.aid_by_child
        by_programme = (paid.group_by("term", "programme", "child_status").agg(pl.len().alias("children"),
                                                                               pl.col("amount_baht").sum().round(2))
                        .sort("term", "programme", "child_status") if paid.height else pl.DataFrame())
        yield dg.MaterializeResult(asset_key="aid_by_child", metadata={
            "by_programme": md_table(by_programme, "no aid payment linked"), "dagster/row_count": paid.height,
            "dagster/column_schema": column_schema(tables.AID_BY_CHILD)})
        yield dg.MaterializeResult(asset_key="out_of_school_summaries", metadata={
            "tables": md_table(pl.DataFrame({"table": list(result.summaries),
                                             "rows": [t.height for t in result.summaries.values()],
                                             "suppressed_cells": [int(t["suppressed"].sum()) for t in result.summaries.values()]})),
            "dagster/row_count": sum(t.height for t in result.summaries.values())})
        yield dg.AssetCheckResult(asset_key="cohort_status", check_name=TERMS_COMPLETE_CHECK, passed=not incomplete,
                                  metadata={"terms_loaded": len(loaded), "terms_incomplete": ", ".join(incomplete) or "none"})
        yield dg.AssetCheckResult(asset_key="moe_link_rates", check_name=LINK_RATE_CHECK, passed=not result.unstable_terms,
                                  metadata={"terms_failing": ", ".join(result.unstable_terms) or "none",
                                            "max_drop": history.MAX_LINK_RATE_DROP})
        yield dg.AssetCheckResult(asset_key="out_of_school_children", check_name=ONE_ROW_CHECK,
                                  passed=ONE_ROW_CHECK not in failed,
                                  metadata={"children_listed_twice": result.children_listed_twice})

    yield from each_partition(context, one, paths)


@ranged_asset(partitions_def=province_partitions, group_name="out_of_school", kinds={"parquet"},
          deps=HISTORY_ASSETS, automation_condition=dg.AutomationCondition.eager()
          & dg.AutomationCondition.all_deps_blocking_checks_passed())
def published_province(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """The province's new version, made visible to the warehouse load in one rename, only after every blocking
    check of its history passed (Dagster does not start this step otherwise)."""

    def one(province: str):
        terms = paths.staging.terms_of("target", "population", province)
        record = paths.staging.publish(province, context.run.run_id, terms, TERM_FILES)
        meta = {"version": record["version"], "terms": ", ".join(record["terms"]), "published_at": record["published_at"]}
        if record.get("superseded"):
            meta[NOTICE] = (f"province {province}: another run published a newer version ({record['version']}) while "
                            "this one ran; it stays in use")
        yield dg.MaterializeResult(metadata=meta)

    yield from each_partition(context, one)
