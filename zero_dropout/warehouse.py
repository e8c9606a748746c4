"""Build the two DuckDB files from staged Parquet: restricted (identifiers) and analyst (none).

A single writer builds each file under a temporary name and renames it into
place, so readers see the old file or the new one, never half a load, and a
re-run produces the same tables.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import polars as pl

from zero_dropout import areas, decisions, disclosure
from zero_dropout.catalog import ANALYST, EXTRA_SUMMARIES, GLOSSARY, RESTRICTED, SUMMARY_TABLES as SUMMARIES
from zero_dropout.contract import SOURCES
from zero_dropout.population import CATEGORY_LABELS_TH
from zero_dropout.report import report_counts
from zero_dropout.staging import Staging
from zero_dropout.tables import STAGED
from zero_dropout.terms import Term

DEMO_PSEUDONYM_KEY = "zero-dropout-demo-key-for-bundled-samples-only"
KEY_ENV = "ZERO_DROPOUT_PSEUDONYM_KEY"  # where deployments keep the secret key of the analyst pseudonyms

EMPTY_DDL = {name: table.ddl() for name, table in STAGED.items()}
LINKED_SOURCES = ("moe", "survey", "aid", "justice")  # each with its model and review queue per partition


REGISTRY_PEOPLE_COLUMNS = ("province_code, citizen_id, title, first_name, last_name, sex, birth_date::VARCHAR AS birth_date, birth_year_be, "
                           "birth_month, birth_day, nationality, nationality_group, house_id, house_no, address_code, "
                           "amphoe_code, tambon_code, moo, person_status, source_file, source_row")

# Data health for the analyst file: counts only, no value of any row.
HEALTH_SQL = {
    "ingest_summary": """
        SELECT source, province_code, term, outcome, count(*) AS files, sum(rows_read) AS rows_read,
               sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined
        FROM r.ingest_files GROUP BY ALL ORDER BY ALL""",
    "quarantine_summary": """
        SELECT source, province_code, term, "column", "check",
               count(DISTINCT (source_file, source_sheet, source_row)) AS rows_quarantined
        FROM r.quarantine GROUP BY ALL ORDER BY ALL""",
    "data_issue_summary": """
        SELECT source, province_code, term, "column", "check",
               count(DISTINCT (source_file, source_sheet, source_row)) AS rows_kept
        FROM r.data_issues GROUP BY ALL ORDER BY ALL""",
    "linkage_summary": """
        WITH parts AS (
            SELECT p.province_code, p.term, p.target_population, s.source
            FROM r.partition_summary p CROSS JOIN (VALUES ('moe'), ('survey')) s(source)
        ), links AS (
            SELECT province_code, term, source, count(*) AS records_linked,
                   count(*) FILTER (rule = 'exact_id') AS linked_exact_id,
                   count(*) FILTER (rule LIKE 'fallback%') AS linked_fallback,
                   count(*) FILTER (rule = 'officer_accepted') AS linked_by_officer
            FROM r.record_links GROUP BY ALL
        ), target_linked AS (
            SELECT c.province_code, c.term, l.source, count(DISTINCT c.citizen_id) AS target_linked
            FROM r.cohort_status c JOIN r.record_links l USING (province_code, term, citizen_id)
            WHERE c.in_target GROUP BY ALL
        ), review AS (
            SELECT province_code, term, source, count(*) AS review_queue FROM r.review_queue GROUP BY ALL
        )
        SELECT province_code, term, source, coalesce(records_linked, 0) AS records_linked,
               coalesce(linked_exact_id, 0) AS linked_exact_id, coalesce(linked_fallback, 0) AS linked_fallback,
               coalesce(linked_by_officer, 0) AS linked_by_officer, coalesce(review_queue, 0) AS review_queue,
               target_population, coalesce(target_linked, 0) AS target_linked,
               round(coalesce(target_linked, 0) / nullif(target_population, 0), 4) AS target_link_rate
        FROM parts LEFT JOIN links USING (province_code, term, source)
        LEFT JOIN target_linked USING (province_code, term, source) LEFT JOIN review USING (province_code, term, source)
        ORDER BY ALL""",
}


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _create_from(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path], order_by: str) -> None:
    if paths:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet({_sql_list(paths)}, union_by_name = true, hive_partitioning = false) "
                    f"ORDER BY {order_by}")
    elif table in EMPTY_DDL:
        con.execute(f"CREATE TABLE {table} ({EMPTY_DDL[table]})")


def _comment(con: duckdb.DuckDBPyConnection, docs: dict) -> None:
    """COMMENT ON every table of ``docs`` and on every column: the table's own text, else the glossary."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table, (text, columns) in docs.items():
        if table not in tables:
            continue
        con.execute(f"COMMENT ON TABLE {table} IS $${text}$$")
        present = [r[0] for r in con.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}'").fetchall()]
        for col in present:
            col_text = columns.get(col) or GLOSSARY.get(col)
            if col_text:
                con.execute(f'COMMENT ON COLUMN {table}."{col}" IS $${col_text}$$')


def _publish(build, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        build(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def build_restricted(warehouse_dir: Path) -> Path:
    staging = Staging(warehouse_dir)

    def build(con: duckdb.DuckDBPyConnection) -> None:
        _create_from(con, "out_of_school", staging.published_files("out_of_school", "children"), "province_code, term, citizen_id")
        con.execute("ALTER TABLE out_of_school ADD COLUMN category_th VARCHAR")
        for cat, label in CATEGORY_LABELS_TH.items():
            con.execute("UPDATE out_of_school SET category_th = ? WHERE category = ?", [label, cat])
        _create_from(con, "partition_summary", staging.published_files("out_of_school", "summary"), "province_code, term")
        _create_from(con, "cohort_status", staging.published_files("out_of_school", "cohort_status"), "province_code, term, citizen_id")
        _create_from(con, "transitions", staging.published_files("out_of_school", "transitions"), "province_code, term, citizen_id")
        links = staging.published_files("links", "moe_links") + staging.published_files("links", "survey_links")
        _create_from(con, "record_links", links, "province_code, term, source, source_file, source_sheet, source_row")
        record_key = "province_code, term, source_file, source_sheet, source_row"
        _create_from(con, "aid_payments", staging.published_files("links", "aid_links"), record_key)
        _create_from(con, "justice_cases", staging.published_files("links", "justice_links"), record_key)
        for table, name, order in (("target_group_out_of_school", "group_children", "province_code, term, target_group, citizen_id"),
                                   ("target_group_summary", "group_summary", "province_code, term, target_group"),
                                   ("risk_stages", "risk_stages", "province_code, term, target_group, citizen_id"),
                                   ("stage_transitions", "stage_transitions", "province_code, term, target_group, citizen_id"),
                                   ("aid_by_child", "aid_by_child", "province_code, term, citizen_id, programme")):
            _create_from(con, table, staging.published_files("out_of_school", name), order)
        if "target_group_out_of_school" not in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}:
            con.execute("CREATE TABLE target_group_out_of_school AS SELECT ''::VARCHAR AS target_group, * FROM out_of_school LIMIT 0")
        _target_groups(con, staging)
        models = [p for s in LINKED_SOURCES for p in staging.published_files("links", f"{s}_model")]
        _create_from(con, "linkage_model", models, "province_code, term, source, parameter")
        review = [p for s in LINKED_SOURCES for p in staging.published_files("links", f"{s}_review")]
        _create_from(con, "review_queue", review, "province_code, term, source, source_file, source_sheet, source_row")
        _review_summary(con, staging)
        decided = decisions.load(warehouse_dir)
        con.register("decided", decided.to_arrow())
        con.execute("CREATE TABLE review_decisions AS SELECT * FROM decided ORDER BY ALL")
        con.unregister("decided")
        quarantine = [p for d in SOURCES for p in staging.files(d, "quarantine")]
        _create_from(con, "quarantine", quarantine, "source, source_file, source_sheet, source_row, \"column\", \"check\"")
        issues = [p for d in SOURCES for p in staging.files(d, "data_issues")]
        _create_from(con, "data_issues", issues, "source, source_file, source_sheet, source_row, \"column\", \"check\"")
        files = [p for d in SOURCES for p in staging.files(d, "files")] + staging.files("inbox", "misplaced")
        _create_from(con, "ingest_files", files, "source, source_file")
        _create_from(con, "link_rates", staging.published_files("links", "moe_link_rate"), "province_code, term")
        status = staging.publication_status()
        con.register("status", status.to_arrow())
        con.execute("CREATE TABLE publication_status AS SELECT * FROM status ORDER BY province_code")
        con.unregister("status")
        people = staging.files("registry", "people")
        if people:  # the latest extract of each province: names and addresses for visit lists
            con.execute(f"CREATE TABLE registry_people AS SELECT {REGISTRY_PEOPLE_COLUMNS} "
                        f"FROM read_parquet({_sql_list(people)}, union_by_name = true, hive_partitioning = false) ORDER BY province_code, citizen_id")
        _comment(con, RESTRICTED)

    return _publish(build, Path(warehouse_dir) / "restricted.duckdb")


def _target_groups(con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
    """target_groups: the lists each published province follows (the default cohort and its configured groups)."""
    summary = con.sql("SELECT DISTINCT province_code, target_group, label, min_age, max_age FROM target_group_summary "
                      "ORDER BY ALL").pl() if staging.published_files("out_of_school", "group_summary") else pl.DataFrame(
        schema={"province_code": pl.String, "target_group": pl.String, "label": pl.String, "min_age": pl.Int16,
                "max_age": pl.Int16})
    con.register("groups", summary.to_arrow())
    con.execute("CREATE TABLE target_groups AS SELECT * FROM groups ORDER BY ALL")
    con.unregister("groups")


REVIEW_KEY = ["province_code", "term", "source", "source_file", "source_sheet", "source_row", "citizen_id"]


def _review_summary(con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
    """review_summary: per partition and source, the records and pairs waiting for an officer, the children
    whose status they could change (listed out of school now), and how long the oldest pair has waited.
    When each pair first appeared is kept in staging/review_seen.parquet (restricted: it holds IDs)."""
    seen_path = staging.root / "review_seen.parquet"
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    queue = con.sql(f"SELECT {', '.join(REVIEW_KEY)} FROM review_queue").pl().with_columns(pl.col("source_sheet").fill_null(""))
    before = pl.read_parquet(seen_path) if seen_path.exists() else pl.DataFrame(
        schema={**queue.schema, "first_seen": pl.Datetime("us")})
    seen = queue.join(before, on=REVIEW_KEY, how="left").with_columns(
        pl.col("first_seen").fill_null(pl.lit(now).cast(pl.Datetime("us"))))
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = seen_path.with_name(f".{seen_path.name}.{os.getpid()}.tmp")
    seen.write_parquet(tmp)
    os.replace(tmp, seen_path)
    con.register("seen", seen.to_arrow())
    con.execute(f"""
        CREATE TABLE review_summary AS
        WITH q AS (SELECT s.*, o.citizen_id IS NOT NULL AS out_now FROM seen s
                   LEFT JOIN out_of_school o USING (province_code, term, citizen_id))
        SELECT province_code, term, source,
               count(DISTINCT (source_file, source_sheet, source_row)) AS pending_records, count(*) AS pending_pairs,
               count(DISTINCT citizen_id) FILTER (out_now) AS children_could_move,
               date_diff('day', min(first_seen), TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}') AS oldest_pending_days
        FROM q GROUP BY ALL ORDER BY ALL""")
    con.unregister("seen")


def _hmac_pads(key: str) -> tuple[bytes, bytes]:
    k = key.encode("utf-8")
    if len(k) > 64:
        import hashlib

        k = hashlib.sha256(k).digest()
    k = k.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def build_analyst(warehouse_dir: Path, pseudonym_key: str) -> Path:
    """Analyst file from the restricted one: a keyed pseudonym instead of the ID, no names or houses."""
    if not pseudonym_key:
        raise ValueError("a pseudonym key is required to build the analyst database")
    restricted = Path(warehouse_dir) / "restricted.duckdb"
    staging = Staging(warehouse_dir)
    ipad, opad = _hmac_pads(pseudonym_key)

    def build(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"ATTACH '{restricted}' AS r (READ_ONLY)")
        # one row per child, without the ID or the village, coarsened to k-anonymity (disclosure.k_anonymous)
        rows = con.sql(
            "SELECT substr(sha256($opad || unhex(sha256($ipad || encode(citizen_id)))), 1, 32) "
            "AS child_key, * EXCLUDE (citizen_id, moo, survey_photo_ref, survey_lat, survey_lon) FROM r.out_of_school "
            "ORDER BY province_code, term, child_key",
            params={"ipad": ipad, "opad": opad},
        ).pl()
        counts = report_counts(con.sql("SELECT * FROM r.out_of_school").pl())  # before coarsening, suppressed
        rows, coarsening = disclosure.k_anonymous(rows)
        for name, frame in (("out_of_school", rows), ("row_coarsening", coarsening), ("report_counts", counts)):
            con.register("frame", frame.to_arrow())
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
        con.execute("CREATE TABLE partition_summary AS SELECT * FROM r.partition_summary ORDER BY province_code, term")
        con.execute("CREATE TABLE publication_status AS SELECT * FROM r.publication_status ORDER BY province_code")
        con.execute("CREATE TABLE review_summary AS SELECT * FROM r.review_summary ORDER BY ALL")
        have = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'r'").fetchall()}
        if "linkage_model" in have:  # parameters and counts only: no person in it
            con.execute("CREATE TABLE linkage_model AS SELECT * FROM r.linkage_model ORDER BY province_code, term, source, parameter")
        if "link_rates" in have:  # counts only
            con.execute("CREATE TABLE link_rates AS SELECT * FROM r.link_rates ORDER BY province_code, term")
        if "transitions" in have:
            # no place finer than the province: joined on child_key, a place here would undo the coarsening above
            con.execute(
                "CREATE TABLE transitions AS SELECT substr(sha256($opad || unhex(sha256($ipad || encode(citizen_id)))), 1, 32) "
                "AS child_key, * EXCLUDE (citizen_id, amphoe_code, tambon_code) FROM r.transitions "
                "ORDER BY province_code, term, child_key",
                {"ipad": ipad, "opad": opad},
            )
        # summary tables: suppressed per partition by the out_of_school_summaries asset, copied here
        con.execute("CREATE TABLE target_groups AS SELECT * FROM r.target_groups ORDER BY ALL")
        con.execute("CREATE TABLE target_group_summary AS SELECT * FROM r.target_group_summary ORDER BY ALL")
        for table in [*SUMMARIES, "summary_by_transition", *EXTRA_SUMMARIES]:
            files = staging.published_files("summaries", table)
            if files:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet({_sql_list(files)}, union_by_name = true, hive_partitioning = false) "
                            "ORDER BY ALL")
        for table, sql in HEALTH_SQL.items():
            if table != "linkage_summary" or "cohort_status" in have:
                con.execute(f"CREATE TABLE {table} AS {sql}")
        con.execute("DETACH r")
        # dimensions: area names (public) and the terms' dates, to read codes as names
        terms = [Term.parse(t) for (t,) in con.execute("SELECT DISTINCT term FROM partition_summary ORDER BY 1").fetchall()]
        dims = {**areas.dimensions(), "terms": pl.DataFrame(
            {"term": [str(t) for t in terms], "term_display": [t.display for t in terms],
             "year_be": [t.year_be for t in terms], "semester": [t.semester for t in terms],
             "start_date": [t.start for t in terms], "end_date": [t.end for t in terms]},
            schema={"term": pl.String, "term_display": pl.String, "year_be": pl.Int32, "semester": pl.Int8,
                    "start_date": pl.Date, "end_date": pl.Date})}
        for name, frame in dims.items():
            con.register("frame", frame.to_arrow())
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
        _comment(con, ANALYST)

    return _publish(build, Path(warehouse_dir) / "analyst.duckdb")


FORBIDDEN_COLUMNS = {"citizen_id", "student_id", "first_name", "last_name", "title", "house_no", "house_id", "name"}


def k_anonymity(path: Path) -> int | None:
    """The smallest group of out-of-school rows sharing their quasi-identifiers in a database (None: no rows)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return disclosure.smallest_group(con.sql("SELECT * FROM out_of_school").pl())
    finally:
        con.close()


def identifier_findings(path: Path) -> list[str]:
    """Where a direct identifier could be in a database: forbidden column names or any 13-digit number.

    Returns table.column names only, never values.
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        findings = []
        cols = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal").fetchall()
        for table, column, dtype in cols:
            if column.lower() in FORBIDDEN_COLUMNS:
                findings.append(f"{table}.{column}")
                continue
            if dtype.upper().startswith(("VARCHAR", "BIGINT", "HUGEINT", "DECIMAL", "UBIGINT")):
                hit = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE regexp_matches(CAST("{column}" AS VARCHAR), \'(^|[^0-9A-Za-z])[0-9]{{13}}([^0-9A-Za-z]|$)\')'
                ).fetchone()[0]
                if hit:
                    findings.append(f"{table}.{column}")
        return findings
    finally:
        con.close()
