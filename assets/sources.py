"""Raw exports from the inbox, read, validated and staged: one asset per source."""


import dagster as dg
import polars as pl

from assets.partitions import (NOTICE, each_partition, province_partitions, province_term, province_term_partitions,
                               ranged_asset, term_partitions)
from assets.resources import PipelinePaths
from matching.linker import prepare_people
from zero_dropout import inbox
from schemas.ingest import IngestResult, ingest
from zero_dropout.catalog import GLOSSARY
from zero_dropout.staging import SOURCE_RECORDS
from zero_dropout.tables import Table, duckdb_type

ROWS_CHECK = "rows_accounted_for"


def column_schema(table: Table) -> dg.TableSchema:
    """Dagster's column schema of a table, from its one definition and the catalog's words."""
    return dg.TableSchema(columns=[dg.TableColumn(c, duckdb_type(t), description=GLOSSARY.get(c, ""))
                                   for c, t in table.schema.items()])


def md_table(frame: pl.DataFrame, empty: str = "none") -> dg.MetadataValue:
    """A small Markdown table for the UI (counts and codes only)."""
    if frame.height == 0:
        return dg.MetadataValue.md(empty)
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return dg.MetadataValue.md(head + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()))


def stage_ingest(paths: PipelinePaths, source: str, name: str, result: IngestResult, *, province=None, term=None,
                 allow_empty: bool = False) -> dg.MaterializeResult:
    """Write accepted rows, quarantine and file outcomes; report counts and the row-balance check."""
    staging = paths.staging
    staging.write(result.files, source, "files", province, term)
    staging.write(result.quarantine, source, "quarantine", province, term)
    staging.write(result.issues, source, "data_issues", province, term)
    counts = result.counts()
    if counts["rows_accepted"] == 0 and not allow_empty:
        where = "/".join(p for p in (source, province, term) if p)
        raise dg.Failure(
            description=f"no usable {source} file in inbox/{where}/ ({counts['files_seen']} seen, "
            f"{counts['files_refused']} refused, {counts['files_duplicate']} duplicate): see ingest_files",
            metadata=counts,
        )
    staging.sink(result.rows, source, name, province, term)  # streamed from the ingest's parts
    files = result.files.filter(pl.col("outcome") == "accepted")
    unbalanced = files.filter(
        pl.col("rows_read").fill_null(0) != pl.col("rows_accepted").fill_null(0) + pl.col("rows_quarantined").fill_null(0)
    ).height
    by_check = result.quarantine.group_by("column", "check").agg(
        pl.struct("source_file", "source_sheet", "source_row").n_unique().alias("rows")).sort("column", "check")
    by_issue = result.issues.group_by("column", "check").agg(
        pl.struct("source_file", "source_sheet", "source_row").n_unique().alias("rows")).sort("column", "check")
    outcomes = result.files.select("source_file", "outcome", "rows_read", "rows_accepted", "rows_quarantined")
    return dg.MaterializeResult(
        metadata={
            **counts,
            "dagster/row_count": counts["rows_accepted"],
            "files": md_table(outcomes, "no file in the inbox for this partition"),
            "quarantined_rows_by_check": md_table(by_check, "no row quarantined"),
            "rows_kept_with_data_issues": md_table(by_issue, "no optional field set aside"),
        },
        check_results=[dg.AssetCheckResult(
            check_name=ROWS_CHECK,
            passed=unbalanced == 0 and counts["rows_read"] == counts["rows_accepted"] + counts["rows_quarantined"],
            metadata={"rows_read": counts["rows_read"], "rows_accepted": counts["rows_accepted"],
                      "rows_quarantined": counts["rows_quarantined"], "files_unbalanced": unbalanced},
        )],
    )


def _rows_check(asset: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(ROWS_CHECK, asset=asset, blocking=True,
                              description="rows read = rows accepted + rows quarantined, for every file")]


PEOPLE_FEATURES = "people_features"  # registry/province=<p>/people_features.parquet: the people as the linker reads them


def people_for_linkage(paths: PipelinePaths, province: str) -> pl.LazyFrame:
    """The province's registry people with their matching features, as staged with them; the people alone where
    those are missing or older than the people (a warehouse staged before they were, a step killed between the
    two writes): the linker then prepares them itself, with the same result."""
    staging = paths.staging
    people, prepared = staging.path("registry", "people", province), staging.path("registry", PEOPLE_FEATURES, province)
    if prepared.exists() and prepared.stat().st_mtime_ns >= people.stat().st_mtime_ns:
        return pl.scan_parquet(prepared)
    return pl.scan_parquet(people)


@ranged_asset(partitions_def=province_partitions, group_name="sources", kinds={"polars", "parquet"},
          check_specs=_rows_check("registry_people"))
def registry_people(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """Civil registry extract of the province (the latest file by name wins), validated; bad rows quarantined."""

    def one(province: str):
        result = ingest(inbox.files_for(paths.inbox, "registry", province=province), "registry", province=province,
                        latest_only=True, cache=paths.ingest_cache)
        staged = stage_ingest(paths, "registry", "people", result, province=province)
        # what every linkage step of the province reads, prepared once (after people.parquet: newer means current)
        paths.staging.write(prepare_people(paths.staging.scan("registry", "people", province)), "registry",
                            PEOPLE_FEATURES, province)
        meta = {"extract_in_use": result.in_use or "none"}
        if result.unusable_newer:
            meta[NOTICE] = (f"province {province}: the newer registry extract {', '.join(result.unusable_newer)} has "
                            f"no usable row (see ingest_files); the last good extract {result.in_use} stays in use")
        yield dg.MaterializeResult(metadata={**staged.metadata, **meta}, check_results=staged.check_results)

    yield from each_partition(context, one, paths)


@ranged_asset(partitions_def=term_partitions, group_name="sources", kinds={"polars", "parquet"},
          check_specs=_rows_check("moe_students"))
def moe_students(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """National MOE student index of the term: every export file of the term, all provinces and affiliations."""

    def one(term: str):
        result = ingest(inbox.files_for(paths.inbox, "moe", term=term), "moe", term=term, cache=paths.ingest_cache)
        yield stage_ingest(paths, "moe", "students", result, term=term)

    yield from each_partition(context, one)


def _province_term_source(source: str, name: str, description: str) -> dg.AssetsDefinition:
    """The ingest asset of a source whose files are about one province's children in one term (none yet is a
    valid state)."""
    asset_name = f"{source}_{name}"

    @ranged_asset(name=asset_name, partitions_def=province_term_partitions, group_name="sources", kinds={"polars", "parquet"},
              check_specs=_rows_check(asset_name), description=description)
    def _ingest(context: dg.AssetExecutionContext, paths: PipelinePaths):
        def one(key):
            province, term = province_term(key)
            result = ingest(inbox.files_for(paths.inbox, source, province=province, term=term), source,
                            province=province, term=term, cache=paths.ingest_cache)
            yield stage_ingest(paths, source, name, result, province=province, term=term, allow_empty=True)

        yield from each_partition(context, one, paths)

    return _ingest


survey_responses = _province_term_source(*SOURCE_RECORDS["survey"], "Field survey exports of the province and term.")
aid_payments = _province_term_source(*SOURCE_RECORDS["aid"], "Aid payments to children of the province in the term "
                                     "(equity scholarships, return-to-school payments, provincial funds).")
justice_records = _province_term_source(*SOURCE_RECORDS["justice"], "Children of the province admitted to an observation "
                                        "and protection centre, from the term's juvenile justice export.")
PROVINCE_TERM_STAGED = SOURCE_RECORDS  # staged (dataset, name) of each province-term source's accepted rows
