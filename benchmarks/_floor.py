"""The floor every end-to-end figure is compared with: an exact-ID join over the same inbox.

Reads every registry extract and every MOE export of the inbox as written (the project's own readers, so
that every form, encoding and header spelling is read the same way), keeps the IDs written as 13 digits,
and joins each term's MOE IDs to the registry's. No validation, no quarantine, no fallback linkage, no
history, no warehouse: what a province gets from a spreadsheet VLOOKUP, timed in the same process.
"""

from __future__ import annotations

import _measure  # noqa: F401  (reads inboxes it just generated: see _measure)

import time
from pathlib import Path

import polars as pl

from zero_dropout import inbox as inbox_mod
from zero_dropout import thai_text
from zero_dropout.contract import load_contract
from zero_dropout.readers import read_table


def _ids(files, spec, column: str) -> pl.DataFrame:
    frames = [read_table(f.path, f.rel, spec).frame.select(thai_text.digits_only(pl.col(column)).alias("citizen_id"))
              for f in files]
    return pl.concat(frames).filter(pl.col("citizen_id").str.len_chars() == 13) if frames else pl.DataFrame({"citizen_id": []})


def exact_join(inbox: Path, provinces: list[str] | None = None, terms: list[str] | None = None) -> dict:
    """Seconds and links of the exact-ID join for ``provinces`` x ``terms`` (default: the whole inbox)."""
    started = time.perf_counter()
    contract = load_contract()
    found_provinces, found_terms = inbox_mod.provinces_and_terms(inbox)
    provinces, terms = provinces or found_provinces, terms or found_terms
    people = pl.concat([_ids(inbox_mod.files_for(inbox, "registry", province=p), contract.sources["registry"], "citizen_id")
                        for p in provinces]).unique()
    links = 0
    for term in terms:
        students = _ids(inbox_mod.files_for(inbox, "moe", term=term), contract.sources["moe"], "student_id")
        links += students.join(people, on="citizen_id").height
    return {"exact_join_seconds": round(time.perf_counter() - started, 1), "exact_join_links": links,
            "people": people.height}
