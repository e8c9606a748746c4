"""What `zero-dropout run` checks before any work starts, in a second and without writing anything: the
inbox, the provinces and terms asked for, the pseudonym key, a warehouse folder it can write, and DuckDB
files no other program holds. No Dagster import here: a wrong command fails at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zero_dropout import inbox as inbox_mod, target_groups
from zero_dropout.samples import BUNDLED_INBOX
from zero_dropout.warehouse import KEY_ENV



class UsageError(Exception):
    """The command cannot run as given (exit 2): the message says what, where, and what to do."""


@dataclass
class Plan:
    provinces: list[str]
    terms: list[str]


def plan(inbox: Path, provinces: list[str] | None = None, terms: list[str] | None = None) -> Plan:
    """The provinces (with a registry extract) and terms (with an MOE export) to run."""
    if not Path(inbox).is_dir():
        raise UsageError(f"inbox folder {inbox} does not exist: give the folder that holds registry/, moe/ and survey/")
    files = [f for f in inbox_mod.scan(inbox) if f.problem is None]
    registry_provinces = sorted({f.province for f in files if f.source == "registry"})
    moe_terms = sorted({f.term for f in files if f.source == "moe"})
    chosen_p = sorted(provinces) if provinces else registry_provinces
    chosen_t = sorted(terms) if terms else moe_terms
    missing = [p for p in chosen_p if p not in registry_provinces]
    if missing:
        raise UsageError(f"no registry extract for province {', '.join(missing)} in {inbox}/registry/<province>/: "
                         f"provinces with one: {', '.join(registry_provinces) or 'none'}")
    no_moe = [t for t in chosen_t if t not in moe_terms]
    if no_moe:
        raise UsageError(f"no MOE export for term {', '.join(no_moe)} in {inbox}/moe/<term>/: terms with one: "
                         f"{', '.join(moe_terms) or 'none'}")
    if not chosen_p or not chosen_t:
        raise UsageError(f"nothing to run in {inbox}: it needs registry/<province>/ and moe/<term>/ files "
                         "(see docs/input-formats.md)")
    return Plan(chosen_p, chosen_t)


def pseudonym_key(inbox: Path, given: str | None = None) -> str:
    """The analyst file's key: given, else from the environment; the documented demo key only for the samples."""
    key = given if given is not None else os.environ.get(KEY_ENV, "")
    if key or Path(inbox).resolve() == BUNDLED_INBOX.resolve():
        return key
    raise UsageError(f"{KEY_ENV} is not set: the analyst file's pseudonyms need a secret key, the same on every run "
                     f"(export {KEY_ENV}=...; only the bundled samples run without one)")


def writable_warehouse(warehouse: Path) -> None:
    """The warehouse folder, or the nearest folder above it that exists, can be written."""
    here = Path(warehouse).resolve()
    while not here.exists():
        here = here.parent
    if not here.is_dir() or not os.access(here, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write the warehouse {warehouse}: {here} is not a folder this user may write; "
                         "choose another --warehouse")
    for name in ("restricted.duckdb", "analyst.duckdb"):
        path = Path(warehouse) / name
        if path.exists():
            unused(path)


def unused(path: Path) -> None:
    """No other program holds ``path`` open for writing (DuckDB allows one writer per file)."""
    import duckdb

    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as err:
        if "lock" in str(err).lower():
            raise UsageError(f"{path} is open in another program, which holds its lock: close it and run again "
                             f"(analysts open the file with: duckdb -readonly {path})") from None
        raise UsageError(f"{path} is not a DuckDB file this version can read ({type(err).__name__}): move it away "
                         "and run again") from None


def province_file(inbox: Path) -> None:
    """The province file (target groups) in use reads and validates (zero_dropout/target_groups.py)."""
    try:
        target_groups.load(inbox=inbox)
    except target_groups.ProvinceConfigError as err:
        raise UsageError(str(err)) from None


def check(inbox: Path, warehouse: Path, provinces: list[str] | None, terms: list[str] | None,
          key: str | None = None) -> tuple[Plan, str]:
    """Everything a run needs, checked before any work; raises UsageError."""
    p = plan(inbox, provinces, terms)
    province_file(inbox)
    resolved = pseudonym_key(inbox, key)
    writable_warehouse(warehouse)
    return p, resolved
