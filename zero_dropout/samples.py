"""The bundled synthetic samples: ``data_samples/`` of a checkout, or the copy a built wheel carries."""

from __future__ import annotations

from pathlib import Path

from zero_dropout import PROJECT_ROOT

CHECKOUT = PROJECT_ROOT / "data_samples"
PACKAGED = Path(__file__).resolve().parent / "data_samples"  # where the wheel puts them (pyproject.toml)

DATA_SAMPLES = CHECKOUT if CHECKOUT.is_dir() else PACKAGED
BUNDLED_INBOX = DATA_SAMPLES / "inbox"
