"""Jobs: one per partitioning, run in this order for a full load."""

import dagster as dg

from assets.history import HISTORY_ASSETS
from assets.linkage import TERM_ASSETS

# one ingest job per source: what the inbox sensor starts for the partitions a dropped file touches
SOURCE_JOBS = {
    source: dg.define_asset_job(f"{source}_job", selection=dg.AssetSelection.assets(*assets), description=text)
    for source, assets, text in (
        ("registry", ("registry_people",), "Read and validate a province's civil registry extract."),
        ("moe", ("moe_students", "moe_exact_ids"), "Read and validate every MOE export of a term into the national "
                                                   "student index; link valid IDs of every loaded province at once."),
        ("survey", ("survey_responses",), "Read and validate a province's field survey exports of a term."),
        ("aid", ("aid_payments",), "Read and validate a province's aid payment exports of a term."),
        ("justice", ("justice_records",), "Read and validate a province's juvenile justice exports of a term."),
    )
}
province_term_job = dg.define_asset_job(
    "province_term_job",
    selection=dg.AssetSelection.assets("survey_responses", "aid_payments", "justice_records", *TERM_ASSETS),
    description="Link one province and term on its own: target population and groups; MOE, survey, aid and justice "
                "links with their review queues.")
province_job = dg.define_asset_job(
    "province_job",
    selection=dg.AssetSelection.assets(*HISTORY_ASSETS, "published_province"),
    description="Read every loaded term of a province together (categories, transitions, link rates, summaries) and "
                "publish its new version when every blocking check passed.")
warehouse_job = dg.define_asset_job(
    "warehouse_job", selection=dg.AssetSelection.assets("restricted_warehouse", "analyst_warehouse"),
    tags={"zero_dropout/duckdb_writer": "1"},  # deploy/dagster.yaml: one such run at a time
    description="Single writer: load the staged partitions into restricted.duckdb and analyst.duckdb.")

report_job = dg.define_asset_job(
    "report_job", selection=dg.AssetSelection.assets("province_report"),
    description="Write the province report of one province and term from analyst.duckdb.")

ALL_JOBS = [*SOURCE_JOBS.values(), province_term_job, province_job, warehouse_job, report_job]
