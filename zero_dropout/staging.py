"""Parquet files that partitions write and the single warehouse loader reads.

    <warehouse>/staging/<dataset>/province=<p>/term=<t>/<name>.parquet

Writes go to a temporary name and are renamed into place, so a reader never
sees half a file and parallel partitions never touch the same path.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl


class Staging:
    def __init__(self, warehouse_dir: str | Path):
        self.root = Path(warehouse_dir) / "staging"

    def path(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> Path:
        p = self.root / dataset
        if province is not None:
            p = p / f"province={province}"
        if term is not None:
            p = p / f"term={term}"
        return p / f"{name}.parquet"

    def write(self, frame: pl.DataFrame, dataset: str, name: str, province: str | None = None, term: str | None = None) -> Path:
        target = self.path(dataset, name, province, term)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, target)
        return target

    def exists(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> bool:
        return self.path(dataset, name, province, term).exists()

    def scan(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> pl.LazyFrame:
        return pl.scan_parquet(self.path(dataset, name, province, term))

    def files(self, dataset: str, name: str) -> list[Path]:
        return sorted((self.root / dataset).rglob(f"{name}.parquet"))

    def terms_of(self, dataset: str, name: str, province: str | None = None) -> list[str]:
        base = self.root / dataset / (f"province={province}" if province else "")
        return sorted(p.parent.name.split("=", 1)[1] for p in base.glob(f"term=*/{name}.parquet"))
