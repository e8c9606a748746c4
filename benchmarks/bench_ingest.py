"""Ingest one national MOE term file (Parquet or CSV): rows/s and peak memory.

    uv run python benchmarks/bench_ingest.py /tmp/national/inbox/moe/2567-1/national.parquet
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from _measure import peak_rss_mb

from zero_dropout.inbox import InboxFile
from schemas.ingest import ingest


def main() -> None:
    path = Path(sys.argv[1])
    f = InboxFile("moe", path, f"moe/2567-1/{path.name}", None, "2567-1")
    started = time.perf_counter()
    result = ingest([f], "moe", term="2567-1")
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
