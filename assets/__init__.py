"""Dagster assets: thin wrappers that read, call the pure functions, write Parquet and report counts."""
