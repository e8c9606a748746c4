"""Which engine Polars runs the pipeline's lazy queries on.

Polars 2 runs a lazy query on its streaming engine unless told otherwise (engine "auto"). The frames this project
collects are a province's worth or in memory already, where the in-memory engine is faster: a left join of a
national province's 118,000 targeted children to their MOE links takes 70 ms streaming and 14 ms in memory, and
the linkage of six national provinces (MOE, survey, aid and justice) 22.8-26.2 s against 16.4-20.0 s, with every
link, review queue, model, history frame and ingest frame the same. What must stay in bounded memory (a national
file, the ingest's accepted rows) is written with ``sink_parquet``, which streams whatever the affinity says.
"""

from __future__ import annotations

import os

import polars as pl

ENV = "POLARS_ENGINE_AFFINITY"


def use_in_memory() -> None:
    """Collect on the in-memory engine in this process, unless POLARS_ENGINE_AFFINITY chose an engine."""
    if ENV not in os.environ:
        pl.Config.set_engine_affinity("in-memory")
