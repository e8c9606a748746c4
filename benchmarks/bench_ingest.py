"""Ingest one national MOE term file (Parquet or CSV) as the pipeline does: rows/s and peak memory.

    uv run python benchmarks/bench_ingest.py /tmp/national/inbox/moe/2567-1/national.parquet

Read, standardised and validated a chunk at a time (``schemas/ingest.py: CHUNK_ROWS``), the accepted rows of
each chunk written to the ingest cache as it is validated, then staged by the streaming engine: the peak is a
few chunks' worth, whatever the file's size.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from _measure import peak_rss_mb

from zero_dropout.inbox import InboxFile
from zero_dropout.staging import Staging
from schemas.ingest import IngestCache, ingest


def main() -> None:
    path = Path(sys.argv[1])
    f = InboxFile("moe", path, f"moe/2567-1/{path.name}", None, "2567-1")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        started = time.perf_counter()
        result = ingest([f], "moe", term="2567-1", cache=IngestCache(Path(work) / "cache"))
        Staging(Path(work)).sink(result.rows, "moe", "students", term="2567-1")
        seconds = time.perf_counter() - started
    counts = result.counts()
    print(json.dumps({
        "file": path.name, "bytes": path.stat().st_size, "rows_read": counts["rows_read"],
        "rows_accepted": counts["rows_accepted"], "rows_quarantined": counts["rows_quarantined"],
        "seconds": round(seconds, 1), "rows_per_s": int(counts["rows_read"] / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
    }))


if __name__ == "__main__":
    main()
