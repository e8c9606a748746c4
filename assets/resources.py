"""Dagster resources the assets take: where the inbox and warehouse are, and the pseudonym key.

Which values they get is chosen by the deployment (``pipelines/resources.py``)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from schemas.ingest import IngestCache
from zero_dropout import polars_engine, privacy
from zero_dropout.samples import BUNDLED_INBOX
from zero_dropout.staging import Staging
from zero_dropout.warehouse import DEMO_PSEUDONYM_KEY, KEY_ENV



class PipelinePaths(dg.ConfigurableResource):
    """Inbox to read and warehouse folder to write (staging Parquet + the two DuckDB files)."""

    inbox_dir: str
    warehouse_dir: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        privacy.owner_only()  # staging, cache and DuckDB files hold personal data: 0600 files, 0700 folders
        polars_engine.use_in_memory()  # whatever process the executor runs the step in

    @property
    def inbox(self) -> Path:
        return Path(self.inbox_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_dir)

    @property
    def staging(self) -> Staging:
        return Staging(self.warehouse_dir)

    @property
    def ingest_cache(self) -> IngestCache:
        return IngestCache(Path(self.warehouse_dir) / "staging" / "ingest_cache")

    @property
    def is_bundled_samples(self) -> bool:
        return self.inbox.resolve() == BUNDLED_INBOX.resolve()


class PseudonymKey(dg.ConfigurableResource):
    """Secret of the analyst file's keyed pseudonyms (HMAC). Read from ZERO_DROPOUT_PSEUDONYM_KEY."""

    key: str = ""

    def resolve(self, paths: PipelinePaths) -> str:
        if self.key:
            return self.key
        if paths.is_bundled_samples:
            return DEMO_PSEUDONYM_KEY
        raise dg.Failure(
            description=f"{KEY_ENV} is not set: the analyst database is only built with a secret pseudonym key "
            "(the documented demo key is used for the bundled samples only)."
        )
