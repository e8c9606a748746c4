"""Which engine Polars runs the pipeline's lazy queries on.

Polars 2 picks an engine per query unless told otherwise (engine "auto"), and for most joins it picks the streaming
engine. Most frames this project collects are a province's worth or in memory already, where the in-memory engine
is faster: a left join of a national province's 118,000 targeted children to their MOE links takes 70-78 ms on
"auto" and 14 ms in memory, and the linkage of six national provinces (MOE, survey, aid and justice) 22.8-26.2 s
against 16.4-20.0 s, with every link, review queue, model, history frame and ingest frame the same. Work over a
whole national export is the other way round (the anti join of 11 M MOE records with the term's exact-ID pass:
3.3 s on "auto", 4.7 s streaming, 6.6-13.9 s in memory), so it runs inside ``national()``, which gives Polars its
own choice back. What must stay in bounded memory (a national file, the ingest's accepted rows) is written with
``sink_parquet``, which streams whatever is set here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import polars as pl

ENV = "POLARS_ENGINE_AFFINITY"


def use_in_memory() -> None:
    """Collect on the in-memory engine in this process, unless POLARS_ENGINE_AFFINITY chose an engine."""
    if ENV not in os.environ:
        pl.Config.set_engine_affinity("in-memory")


@contextlib.contextmanager
def national() -> Iterator[None]:
    """Polars' own choice of engine inside the block: work over a whole national export. (The setting is the
    process's: a collect in another thread meanwhile gets it too, with the same result.)"""
    if ENV in os.environ:
        yield
        return
    with pl.Config(engine_affinity="auto"):
        yield
