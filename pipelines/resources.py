"""Resources, chosen by environment: where the inbox and warehouse are, and the pseudonym key."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from assets.resources import BUNDLED_INBOX, KEY_ENV, PipelinePaths, PseudonymKey

__all__ = ["BUNDLED_INBOX", "KEY_ENV", "PipelinePaths", "PseudonymKey", "default_resources"]


def default_resources() -> dict:
    inbox = os.environ.get("ZERO_DROPOUT_INBOX", str(BUNDLED_INBOX))
    warehouse = os.environ.get("ZERO_DROPOUT_WAREHOUSE", str(Path.cwd() / "warehouse"))
    key = dg.EnvVar(KEY_ENV) if os.environ.get(KEY_ENV) else ""
    return {
        "paths": PipelinePaths(inbox_dir=inbox, warehouse_dir=warehouse),
        "pseudonym": PseudonymKey(key=key),
    }
