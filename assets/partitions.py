"""Partitions: province (DOPA code) x term (Buddhist-era academic term, added as the inbox gets them)."""

import warnings

import dagster as dg

from zero_dropout import areas

province_partitions = dg.StaticPartitionsDefinition(sorted(areas.province_codes()))
term_partitions = dg.DynamicPartitionsDefinition(name="term")
province_term_partitions = dg.MultiPartitionsDefinition({"province": province_partitions, "term": term_partitions})

with warnings.catch_warnings():  # the mapping is marked beta; it is the documented way to map one dimension
    warnings.simplefilter("ignore", dg.BetaWarning)
    by_province = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="province")
    by_term = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="term")


def province_term(context: dg.AssetExecutionContext) -> tuple[str, str]:
    dims = context.partition_key.keys_by_dimension
    return dims["province"], dims["term"]


def partition_key(province: str, term: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"province": province, "term": term})
