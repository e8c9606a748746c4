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


@functools.cache
def normalize_may_change() -> str:
    """A regular expression (for Polars) that matches every text ``normalize`` may change; a text it does not match
    is returned unchanged. Built from pythainlp's own character classes and its rules, in the order ``normalize``
    applies them: zero-width characters; whitespace anywhere (duplicate spaces, newlines, the ends stripped, a
    space before a mark or between repeated ones, a mark after a space); a reordering (Sara E twice, lakkhangyao,
    nikhahit, a tone mark or thanthakhat before an above or below vowel, a follow vowel before a tone mark); a
    vowel or sign repeated; two tone marks; a mark at the start. A property test compares it with ``normalize``
    over the whole Thai block, so a pythainlp release with another rule fails there, not in a run."""
    _pythainlp()
    import pythainlp as p

    signs = "\u0e3a\u0e4c\u0e4d\u0e4e"
    above, below, tones = p.thai_above_vowels, p.thai_below_vowels, p.thai_tonemarks
    dangling = f"{above}{below}{tones}{signs}"
    repeatable = f"{p.thai_follow_vowels}{p.thai_lead_vowels}{above}{below}{signs}"
    parts = [r"\s", "[\x1c-\x1f\u200b\u200c]", "\u0e40\u0e40", "\u0e45", "\u0e4d",
             f"[{tones}\u0e4c][{above}{below}]", f"[{p.thai_follow_vowels}][{tones}]", f"[{tones}]{{2}}",
             *(c + c for c in repeatable), f"^[{dangling}]"]
    return "|".join(parts)


def lk82(name: str) -> str:
    """The lk82 phonetic key (Lorchirachoonkul 1982)."""
    return _pythainlp()["lk82"](name)


def name_list(kind: str) -> frozenset[str]:
    """pythainlp's Thai name lists: male, female or family."""
    return _pythainlp()[kind]()
