"""The data contract as configuration: header aliases, required fields, value vocabularies."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# sources whose files are about one province's children in one term: inbox/<source>/<province>/<term>/
PROVINCE_TERM_SOURCES = ("survey", "aid", "justice")
SOURCES = ("registry", "moe", *PROVINCE_TERM_SOURCES)
DEFAULT_PATH = Path(__file__).parent / "config" / "sources.toml"


KEY_NOISE = r"[\s_\-.\ufeff\u200b]"  # what header and value spellings differ by: spaces, _, -, dots, BOM


def header_key(text: str) -> str:
    """How headers and vocabulary words are compared: lower case, without spaces, underscores, hyphens, dots
    or a BOM (``First Name``, ``first_name`` and ``FIRSTNAME`` are one header; ``dropped_out`` is
    ``dropped out``)."""
    return re.sub(KEY_NOISE, "", str(text)).lower()


def _is_thai(word: str) -> bool:
    return any("\u0e00" <= ch <= "\u0e7f" for ch in word) and not any("a" <= ch.lower() <= "z" for ch in word)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]

    @property
    def alias_to_field(self) -> dict[str, str]:
        return {header_key(a): f for f, aliases in self.fields.items() for a in aliases}


@dataclass(frozen=True)
class Contract:
    sources: dict[str, SourceSpec]
    values: dict[str, dict[str, tuple[str, ...]]]
    fingerprint: str  # SHA-256 of the configuration text: a changed alias map re-reads cached files

    def vocabulary(self, name: str) -> dict[str, str]:
        """Word seen in exports (lower-cased) -> canonical value."""
        return {header_key(w): canon for canon, words in self.values[name].items() for w in words}

    def thai_words(self, name: str) -> dict[str, str]:
        """Canonical value -> the first Thai word the vocabulary lists for it (what a Thai form shows)."""
        return {canon: next((w for w in words if _is_thai(w)), canon)
                for canon, words in self.values[name].items()}


@cache
def load_contract(path: str | None = None) -> Contract:
    """Read the alias map; ``ZERO_DROPOUT_SOURCES`` may point at a province's own copy."""
    p = Path(path or os.environ.get("ZERO_DROPOUT_SOURCES") or DEFAULT_PATH)
    text = p.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    sources = {
        name: SourceSpec(
            name,
            {f: tuple(a) for f, a in raw[name]["fields"].items()},
            tuple(raw[name].get("required", ())),
        )
        for name in SOURCES
    }
    values = {k: {c: tuple(w) for c, w in v.items()} for k, v in raw["values"].items()}
    return Contract(sources, values, hashlib.sha256(text.encode("utf-8")).hexdigest())
