"""Which engine Polars runs the pipeline's lazy queries on.

Polars 2 picks an engine per query unless told otherwise (engine "auto"). Most frames this project collects are a
province's worth or in memory already, where the in-memory engine is faster: a left join of a national province's
118,000 targeted children to their MOE links takes 70-78 ms on "auto" (70 ms streaming) and 14 ms in memory, and
the linkage of six national provinces (MOE, survey, aid and justice) 22.8-26.2 s against 16.4-20.0 s (three runs
each, alternated), with every link, review queue, model, history frame and ingest frame the same. Work over a
whole national export is the other way round (the anti join of 11 M MOE records with the term's exact-ID pass:
3.3 s on "auto", 4.7 s streaming, 6.6-13.9 s in memory; the first national province, which computes what the
term's provinces share, 10.5-11.8 s with ``national()`` against 18.8-22.4 s with every query in memory), so it
runs inside ``national()``, which gives Polars its own choice back. What must stay in bounded memory (a national
file, the ingest's accepted rows) is written with ``sink_parquet``, which streams whatever is set here.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import polars as pl

ENV = "POLARS_ENGINE_AFFINITY"  # where Polars keeps a named engine (a child process inherits it)
OURS = "ZERO_DROPOUT_POLARS_ENGINE"  # set beside it when the engine was chosen here, not by whoever started us


def use_in_memory() -> None:
    """Collect on the in-memory engine in this process and the processes it starts, unless POLARS_ENGINE_AFFINITY
    was set by whoever started it."""
    if ENV not in os.environ or os.environ.get(OURS) == "1":
        pl.Config.set_engine_affinity("in-memory")
        os.environ[OURS] = "1"


_lock = threading.Lock()
_open: list[pl.Config] = []  # the one setting the blocks open in this process share, while any is open
_depth = 0


@contextlib.contextmanager
def national() -> Iterator[None]:
    """Polars' own choice of engine inside the block, where the engine was chosen here: work over a whole national
    export. The setting is the process's: a collect in another thread meanwhile gets it too (with the same
    result), and blocks open in several threads at once share one setting, put back when the last one ends."""
    global _depth
    if os.environ.get(OURS) != "1":  # Polars' own choice already, or an engine chosen by whoever started us
        yield
        return
    with _lock:
        if _depth == 0:
            _open.append(pl.Config(engine_affinity="auto").__enter__())
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _open.pop().__exit__(None, None, None)
