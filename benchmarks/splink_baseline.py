"""Splink (probabilistic linkage on DuckDB), configured as a competent user would, for comparison.

Blocking on the ID, on birth date with either name, on both names and on surname with birth year; comparisons on the
ID, first and last name (Jaro-Winkler with term-frequency adjustments), birth date, sex (and the
house for surveys); prior from deterministic rules, u by random sampling, m by EM. Each record keeps
its best prediction above the threshold.
"""

from __future__ import annotations

import tempfile

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = 0.9


def _frame(df: pl.DataFrame, prefix: str, survey: bool) -> pl.DataFrame:
    cols = [
        pl.concat_str(pl.lit(prefix), pl.col("uid")).alias("unique_id"),
        pl.col("citizen_id"), pl.col("first_name_norm").alias("first_name"), pl.col("last_name_norm").alias("last_name"),
        pl.col("birth_full_date").alias("dob"), pl.col("birth_year_be").alias("birth_year"), pl.col("sex").cast(pl.Int32),
    ]
    if survey:
        cols.append(pl.concat_str("tambon_code", "moo", "house_no", separator="/").alias("house"))
    return df.select(cols)


def link(people: pl.DataFrame, records: pl.DataFrame, survey: bool) -> pl.DataFrame:
    """Returns (record uid, citizen_id, probability) for the best match of each record."""
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/zero-dropout-splink'")  # never the working folder
    left = _frame(people.with_columns(pl.col("citizen_id").alias("uid")), "p", survey)
    right = _frame(records, "r", survey)
    con.register("left_arrow", left.to_arrow())
    con.register("right_arrow", right.to_arrow())
    con.execute("CREATE TABLE people AS SELECT * FROM left_arrow")
    con.execute("CREATE TABLE records AS SELECT * FROM right_arrow")
    comparisons = [
        cl.ExactMatch("citizen_id"),
        cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=False),
        cl.ExactMatch("sex"),
    ]
    if survey:
        comparisons.append(cl.ExactMatch("house"))
    # birth date alone proposes ~125 people per record at a million people: pair it with a name
    blocking = [block_on("citizen_id"), block_on("dob", "last_name"), block_on("dob", "first_name"),
                block_on("first_name", "last_name"), block_on("last_name", "birth_year")]
    if survey:
        blocking.append(block_on("house"))
    settings = SettingsCreator(link_type="link_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking, retain_intermediate_calculation_columns=False)
    db = DuckDBAPI(connection=con)
    linker = Linker([db.register("people"), db.register("records")], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("citizen_id"), block_on("first_name", "last_name", "dob")], recall=0.95)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    # EM blocks that leave the other fields free to be estimated, small enough at a million people
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob", "last_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    best = con.sql(f"""
        SELECT unique_id_r AS uid, unique_id_l AS person, match_probability FROM {predictions.physical_name}
        QUALIFY row_number() OVER (PARTITION BY unique_id_r ORDER BY match_probability DESC) = 1""").pl()
    con.close()
    return best.select(pl.col("uid").str.slice(1).alias("uid"), pl.col("person").str.slice(1).alias("citizen_id"),
                       pl.col("match_probability").alias("score"))
