"""Zero Dropout: link the civil registry to education records and find out-of-school children."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
