"""Target groups: which children of a province's registry a list follows, and the one rule for their birth years.

Every province publishes the national Zero Dropout cohort (ages 3-18, statuses 0 and 8: the contract's
default). A province may follow more groups beside it (never instead of it), named in one file: the one ``ZERO_DROPOUT_PROVINCES`` names, else ``provinces.toml`` beside the inbox
folder, else ``zero_dropout/config/provinces.toml``::

    [provinces.21]
    [[provinces.21.groups]]
    name = "early_childhood"          # lower case, digits and _ ; unique in the province
    label = "เด็กปฐมวัย 2-6 ปี"        # what reports and visit lists show
    ages = [2, 6]                     # youngest and oldest age, inclusive
    statuses = [0, 8]                 # registry person_status values that count (0, 1, 4, 8, 9, 11, 12)

Ages read as the contract reads the default: a group of ages a-b in academic year Y is everyone born in BE
years Y-(b-1) to Y-a (the default 3-18 is Y-17 to Y-3). The file is strict: an unknown key, a province code
DOPA does not have, an age range upside down, an unknown status or a repeated name is refused with one line
naming the file and the key, before any work starts.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zero_dropout import areas
from zero_dropout.errors import Told
from zero_dropout.terms import COHORT_MAX_AGE, COHORT_MIN_AGE, Term

DEFAULT_PATH = Path(__file__).parent / "config" / "provinces.toml"
PATH_ENV = "ZERO_DROPOUT_PROVINCES"
KNOWN_STATUSES = (0, 1, 4, 8, 9, 11, 12)  # the contract's person_status codes
DEFAULT_GROUP = "zero_dropout"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
GROUP_KEYS = {"name", "label", "ages", "statuses"}
PROVINCE_KEYS = {"name", "groups"}
MAX_AGE = 30


@dataclass(frozen=True)
class TargetGroup:
    name: str
    label: str
    min_age: int
    max_age: int
    statuses: tuple[int, ...]

    def birth_years_be(self, term: Term) -> tuple[int, int]:
        """Inclusive BE birth years of the group in ``term``'s academic year."""
        return term.year_be - (self.max_age - 1), term.year_be - self.min_age


DEFAULT = TargetGroup(DEFAULT_GROUP, "เด็กและเยาวชนอายุ 3-18 ปี (Zero Dropout)", COHORT_MIN_AGE, COHORT_MAX_AGE + 1, (0, 8))


class ProvinceConfigError(Told):
    """The province file cannot be used as written (one line: the file, the key, what is wrong)."""


def _fail(path: Path, where: str, what: str) -> None:
    raise ProvinceConfigError(f"{path}: {where}: {what}")


def _group(path: Path, province: str, i: int, raw: object) -> TargetGroup:
    where = f"provinces.{province}.groups[{i}]"
    if not isinstance(raw, dict):
        _fail(path, where, "must be a table with name, label, ages and statuses")
    unknown = sorted(set(raw) - GROUP_KEYS)
    if unknown:
        _fail(path, where, f"unknown key {', '.join(unknown)} (known: {', '.join(sorted(GROUP_KEYS))})")
    missing = sorted(GROUP_KEYS - set(raw))
    if missing:
        _fail(path, where, f"missing {', '.join(missing)}")
    name, label, ages, statuses = raw["name"], raw["label"], raw["ages"], raw["statuses"]
    if not isinstance(name, str) or not NAME_RE.match(name) or name == DEFAULT_GROUP:
        _fail(path, f"{where}.name", f"must be lower case letters, digits and _ (not {DEFAULT_GROUP!r}, the default cohort)")
    if not isinstance(label, str) or not label.strip():
        _fail(path, f"{where}.label", "must be a non-empty text")
    if (not isinstance(ages, list) or len(ages) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in ages)):
        _fail(path, f"{where}.ages", "must be [youngest, oldest], two whole numbers")
    lo, hi = ages
    if not (0 <= lo <= MAX_AGE and 0 <= hi <= MAX_AGE):
        _fail(path, f"{where}.ages", f"ages must be 0-{MAX_AGE}")
    if lo > hi:
        _fail(path, f"{where}.ages", f"upside down: youngest {lo} is above oldest {hi}")
    if (not isinstance(statuses, list) or not statuses
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in statuses)):
        _fail(path, f"{where}.statuses", "must be a non-empty list of person_status codes")
    bad = sorted(set(statuses) - set(KNOWN_STATUSES))
    if bad:
        _fail(path, f"{where}.statuses", f"unknown status {', '.join(map(str, bad))} "
                                         f"(known: {', '.join(map(str, KNOWN_STATUSES))})")
    return TargetGroup(name, label.strip(), lo, hi, tuple(sorted(set(statuses))))


def parse(path: Path, text: str) -> dict[str, tuple[TargetGroup, ...]]:
    """Province code -> its configured groups (the default cohort not included). Raises ProvinceConfigError."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProvinceConfigError(f"{path}: not valid TOML ({err})") from None
    unknown = sorted(set(raw) - {"provinces"})
    if unknown:
        _fail(path, "top level", f"unknown key {', '.join(unknown)} (known: provinces)")
    provinces = raw.get("provinces", {})
    if not isinstance(provinces, dict):
        _fail(path, "provinces", "must be a table of province codes")
    known_codes = areas.province_codes()
    out: dict[str, tuple[TargetGroup, ...]] = {}
    for code, body in provinces.items():
        if code not in known_codes:
            _fail(path, f"provinces.{code}", "is not a DOPA province code (2 digits, e.g. 21 Rayong)")
        if not isinstance(body, dict):
            _fail(path, f"provinces.{code}", "must be a table")
        unknown = sorted(set(body) - PROVINCE_KEYS)
        if unknown:
            _fail(path, f"provinces.{code}", f"unknown key {', '.join(unknown)} (known: {', '.join(sorted(PROVINCE_KEYS))})")
        groups = body.get("groups", [])
        if not isinstance(groups, list):
            _fail(path, f"provinces.{code}.groups", "must be a list of [[provinces.CODE.groups]] tables")
        parsed = tuple(_group(path, code, i, g) for i, g in enumerate(groups))
        names = [g.name for g in parsed]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            _fail(path, f"provinces.{code}.groups", f"name {', '.join(twice)} is used twice")
        out[code] = parsed
    return out


BESIDE_INBOX = "provinces.toml"


def config_path(inbox: Path | None = None) -> Path:
    """The province file in use: the one ``ZERO_DROPOUT_PROVINCES`` names, else ``provinces.toml`` beside the inbox
    folder (a deployment's data folder; the bundled samples keep theirs there), else the project's default."""
    if os.environ.get(PATH_ENV):
        return Path(os.environ[PATH_ENV])
    if inbox is not None and (Path(inbox).parent / BESIDE_INBOX).exists():
        return Path(inbox).parent / BESIDE_INBOX
    return DEFAULT_PATH


@cache
def _load(path: str, mtime_ns: int) -> dict[str, tuple[TargetGroup, ...]]:
    p = Path(path)
    return parse(p, p.read_text(encoding="utf-8"))


def load(path: Path | None = None, inbox: Path | None = None) -> dict[str, tuple[TargetGroup, ...]]:
    """The province file (checked). A missing file named by the environment is an error; none at all means
    every province follows the default cohort only."""
    p = Path(path) if path else config_path(inbox)
    if not p.exists():
        if path or os.environ.get(PATH_ENV):
            raise ProvinceConfigError(f"{p}: the province file does not exist ({PATH_ENV} names it)")
        return {}
    return _load(str(p), p.stat().st_mtime_ns)


def groups_of(province: str, path: Path | None = None, inbox: Path | None = None) -> tuple[TargetGroup, ...]:
    """The default cohort first, then the province's own groups."""
    return (DEFAULT, *load(path, inbox).get(province, ()))
