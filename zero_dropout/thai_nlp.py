"""pythainlp, imported on first use with its data folder inside the project (or the user's data folder when
installed), never in $HOME: pythainlp creates that folder when it is imported.

The one place that imports pythainlp: Thai orthographic normalisation, the lk82 phonetic key, and the name
lists the generator draws from.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from zero_dropout import PROJECT_ROOT


def data_folder() -> Path:
    if (PROJECT_ROOT / "pyproject.toml").exists():  # a checkout
        return PROJECT_ROOT / ".pythainlp-data"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "zero-dropout" / "pythainlp-data"


@functools.cache
def _pythainlp() -> dict:
    os.environ.setdefault("PYTHAINLP_DATA", str(data_folder()))
    from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names
    from pythainlp.soundex import lk82 as _lk82
    from pythainlp.util import normalize as _normalize

    return {"normalize": _normalize, "lk82": _lk82, "male": thai_male_names, "female": thai_female_names,
            "family": thai_family_names}


def normalize(text: str) -> str:
    """pythainlp's orthographic normaliser (เเ -> แ, repeated or misplaced marks)."""
    return _pythainlp()["normalize"](text)


def lk82(name: str) -> str:
    """The lk82 phonetic key (Lorchirachoonkul 1982)."""
    return _pythainlp()["lk82"](name)


def name_list(kind: str) -> frozenset[str]:
    """pythainlp's Thai name lists: male, female or family."""
    return _pythainlp()[kind]()
