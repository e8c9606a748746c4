"""The single-writer load: staged Parquet -> restricted.duckdb -> analyst.duckdb."""



import dagster as dg
import duckdb
import polars as pl

from assets.sources import md_table
from assets.resources import PipelinePaths, PseudonymKey
from zero_dropout import disclosure, inbox, leftovers, warehouse

WRITER_POOL = "duckdb_writer"
# load when a province published a new version or a source changed, and nothing upstream is still running
FOLLOW_PARTITIONS = (dg.AutomationCondition.any_deps_updated() & ~dg.AutomationCondition.any_deps_in_progress()
                     & ~dg.AutomationCondition.in_progress())


def _table_counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {f"rows_{t}": con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def _review(path) -> pl.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT * FROM review_summary ORDER BY ALL").pl()
    finally:
        con.close()


@dg.asset(group_name="warehouse", kinds={"duckdb"}, pool=WRITER_POOL, automation_condition=FOLLOW_PARTITIONS,
          deps=["published_province", "registry_people", "moe_students", "survey_responses"])
def restricted_warehouse(paths: PipelinePaths) -> dg.MaterializeResult:
    """restricted.duckdb: every province's published version (out-of-school children with IDs, links, review queue,
    transitions), quarantine, ingest_files (with every inbox file that is in no partition's place, refused with
    where it should go) and publication_status."""
    leftovers.remove(paths.warehouse)  # what a killed load or run left (only a dead process's files)
    refused = inbox.misplaced(paths.inbox)
    paths.staging.write(refused, "inbox", "misplaced")
    path = warehouse.build_restricted(paths.warehouse)
    status = paths.staging.publication_status()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)), "misplaced_files_refused": refused.height,
        "publication_status": md_table(status.select("province_code", "published_at", "published_terms", "refused_checks",
                                                     "refused_terms", "unfinished_attempts")),
        "review_queue": md_table(_review(path), "nothing waits for an officer"),
        **_table_counts(path)})


IDENTIFIER_CHECK = "no_direct_identifiers"
K_ANONYMITY_CHECK = "k_anonymity"


@dg.asset(group_name="warehouse", kinds={"duckdb"}, pool=WRITER_POOL, deps=[restricted_warehouse],
          automation_condition=dg.AutomationCondition.eager(),
          check_specs=[dg.AssetCheckSpec(IDENTIFIER_CHECK, asset="analyst_warehouse", blocking=True,
                                         description="no citizen ID, name, house number or house code, "
                                                     "and no 13-digit number anywhere in the analyst file"),
                       dg.AssetCheckSpec(K_ANONYMITY_CHECK, asset="analyst_warehouse", blocking=True,
                                         description="every combination of amphoe, tambon, birth year, sex and "
                                                     "nationality group in the out-of-school rows is shared by at "
                                                     "least 5 children of the province and term")])
def analyst_warehouse(paths: PipelinePaths, pseudonym: PseudonymKey) -> dg.MaterializeResult:
    """analyst.duckdb: keyed pseudonyms instead of IDs, no names or houses, small counts suppressed."""
    path = warehouse.build_analyst(paths.warehouse, pseudonym.resolve(paths))
    findings = warehouse.identifier_findings(path)
    smallest = warehouse.k_anonymity(path)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), **_table_counts(path)},
        check_results=[
            dg.AssetCheckResult(check_name=IDENTIFIER_CHECK, passed=not findings,
                                metadata={"findings": len(findings), "where": ", ".join(findings)}),
            dg.AssetCheckResult(check_name=K_ANONYMITY_CHECK, passed=smallest is None or smallest >= disclosure.K_ANONYMITY,
                                metadata={"smallest_group": smallest if smallest is not None else 0,
                                          "k": disclosure.K_ANONYMITY}),
        ],
    )


