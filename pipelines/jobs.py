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
    selection=dg.AssetSelection.assets("survey_responses", "target_population", "moe_links", "survey_links",
                                       "out_of_school_children", "term_transitions", "out_of_school_summaries"),
    description="Link, classify and stage the out-of-school children of one province and term.")
warehouse_job = dg.define_asset_job(
    "warehouse_job", selection=dg.AssetSelection.assets("restricted_warehouse", "analyst_warehouse"),
    description="Single writer: load the staged partitions into restricted.duckdb and analyst.duckdb.")

report_job = dg.define_asset_job(
    "report_job", selection=dg.AssetSelection.assets("province_report"),
    description="Write the province report of one province and term from analyst.duckdb.")

ALL_JOBS = [registry_job, moe_job, survey_job, province_term_job, warehouse_job, report_job]
