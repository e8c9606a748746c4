"""Jobs: one per partitioning, run in this order for a full load."""

import dagster as dg

registry_job = dg.define_asset_job(
    "registry_job", selection=dg.AssetSelection.assets("registry_people"),
    description="Read and validate a province's civil registry extract.")
moe_job = dg.define_asset_job(
    "moe_job", selection=dg.AssetSelection.assets("moe_students"),
    description="Read and validate every MOE export of a term into the national student index.")
survey_job = dg.define_asset_job(
    "survey_job", selection=dg.AssetSelection.assets("survey_responses"),
    description="Read and validate a province's field survey exports of a term.")
province_term_job = dg.define_asset_job(
    "province_term_job",
    selection=dg.AssetSelection.assets("survey_responses", "target_population", "moe_links", "moe_review_queue",
                                       "survey_links", "survey_review_queue"),
    description="Link one province and term on its own: target population, MOE and survey links, review queues.")
province_job = dg.define_asset_job(
    "province_job",
    selection=dg.AssetSelection.assets("moe_link_rates", "cohort_status", "out_of_school_children", "term_transitions",
                                       "out_of_school_summaries", "published_province"),
    description="Read every loaded term of a province together (categories, transitions, link rates, summaries) and "
                "publish its new version when every blocking check passed.")
warehouse_job = dg.define_asset_job(
    "warehouse_job", selection=dg.AssetSelection.assets("restricted_warehouse", "analyst_warehouse"),
    description="Single writer: load the staged partitions into restricted.duckdb and analyst.duckdb.")

report_job = dg.define_asset_job(
    "report_job", selection=dg.AssetSelection.assets("province_report"),
    description="Write the province report of one province and term from analyst.duckdb.")

ALL_JOBS = [registry_job, moe_job, survey_job, province_term_job, province_job, warehouse_job, report_job]
