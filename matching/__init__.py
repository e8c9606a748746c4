"""Record linkage between the civil registry and MOE / survey records. Pure Polars; no Dagster."""
