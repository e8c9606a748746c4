"""Personal data at rest: every file the pipeline creates is readable by its owner only.

The staging Parquet, the ingest cache, the restricted file, drafts, decisions and visit lists hold citizen
IDs, names and addresses (docs/privacy.md lists them). The process that writes them creates files 0600 and
folders 0700 (umask 077), set once by the command line and by the resource every Dagster step takes.
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077


def owner_only() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    os.umask(PRIVATE_UMASK)
