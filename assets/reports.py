"""What officers read: the province report, built from the analyst file after each load."""

import dagster as dg

from assets.partitions import by_province, each_partition, province_term, province_term_partitions, ranged_asset
from assets.resources import PipelinePaths
from zero_dropout import report
from zero_dropout.terms import Term

# After each load of the analyst file, for the partitions that have out-of-school children staged
# (a province or term never loaded has none, so it gets no report run).
AFTER_LOAD = (
    dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated()).allow(dg.AssetSelection.assets("analyst_warehouse"))
    & ~dg.AutomationCondition.any_deps_missing() & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
)


@ranged_asset(partitions_def=province_term_partitions, group_name="reports", kinds={"html"},
          deps=[dg.AssetDep("published_province", partition_mapping=by_province), "analyst_warehouse"], automation_condition=AFTER_LOAD)
def province_report(context: dg.AssetExecutionContext, paths: PipelinePaths):
    """The province report: one self-contained HTML file (no network, Thai text, inline SVG charts),
    from analyst.duckdb only; counts under 5 suppressed."""

    analyst = paths.warehouse / "analyst.duckdb"
    asked = [(province, Term.parse(term)) for province, term in map(province_term, context.partition_keys)]
    try:  # every partition's report data in one pass over the analyst file
        loaded = report.load_many(analyst, asked)
    except report.ReportError:  # a partition not loaded: each partition reads its own, the missing one says why
        loaded = {}

    def one(key):
        province, term = province_term(key)
        data = loaded.get((province, str(Term.parse(term)))) or report.load(analyst, province, Term.parse(term))
        path = report.write_report(paths.warehouse, province, term, data=data)
        yield dg.MaterializeResult(metadata={
            "report": dg.MetadataValue.url(path.as_uri()),
            "path": dg.MetadataValue.path(str(path)),
            "size_kb": round(path.stat().st_size / 1024, 1),
            "target_population": int(data.totals["target_population"]),
            "out_of_school": int(data.totals["out_of_school"]),
        })

    yield from each_partition(context, one)
