"""Zero Dropout: link the civil registry to education records and find out-of-school children."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# pythainlp keeps a data folder; keep it inside the project rather than $HOME.
os.environ.setdefault("PYTHAINLP_DATA", str(PROJECT_ROOT / ".pythainlp-data"))
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
