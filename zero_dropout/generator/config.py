"""Settings of the synthetic data generator: sizes, rates and the noise model."""

from __future__ import annotations

from dataclasses import dataclass, field

from zero_dropout.terms import Term


@dataclass(frozen=True)
class NoiseConfig:
    """Per-record error rates applied to MOE and survey exports (registry is the reference).

    The defaults are the project's 'default noise': they are what quality
    targets are measured against.
    """

    # MOE records
    moe_id_substitution: float = 0.012  # one digit typed wrong
    moe_id_transposition: float = 0.006  # two neighbouring digits swapped
    moe_id_blank: float = 0.004  # ID left empty
    moe_id_excel: float = 0.003  # ID turned into 1.10370E+12 by a spreadsheet
    moe_name_misspelling: float = 0.03  # per name field
    moe_birth_day_month_swap: float = 0.008
    moe_birth_be_as_ce: float = 0.004  # BE year written where CE was expected (or the reverse)
    moe_birth_one_day_off: float = 0.005
    moe_long_title: float = 0.5  # เด็กชาย instead of ด.ช.
    moe_title_in_name: float = 0.02  # "ด.ช.สมชาย" in the first-name field
    thai_digits: float = 0.02  # IDs and dates written with Thai digits
    # survey records
    survey_id_missing: float = 0.35
    survey_id_mistyped: float = 0.10
    survey_name_misspelling: float = 0.12
    survey_nickname: float = 0.05
    survey_birth_date_missing: float = 0.4  # then the age is given (most of the time)
    survey_age_missing: float = 0.2
    # aid payments and justice records (the fund office and the centre type what they were given)
    aid_id_missing: float = 0.2  # and most of the time for a child without Thai nationality
    aid_id_mistyped: float = 0.05
    aid_name_misspelling: float = 0.06
    justice_id_missing: float = 0.1
    justice_id_mistyped: float = 0.03
    justice_name_misspelling: float = 0.04
    # off at the default noise (the bundled samples stay as they are); on in the other profiles
    moe_sibling_id: float = 0.0  # a sibling's valid ID written instead of the child's
    survey_address_typo: float = 0.0  # one digit of the tambon or moo mistyped


@dataclass(frozen=True)
class GeneratorConfig:
    provinces: tuple[str, ...]
    terms: tuple[Term, ...]
    children_per_province: int
    seed: int = 0
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    # MOE national export: rows of children from provinces not generated, and G-code students
    outsider_fraction: float = 0.08
    gcode_fraction: float = 0.015
    other_province_school: float = 0.06
    survey_coverage: float = 0.5  # share of out-of-school children a survey reaches
    aid: bool = True  # write aid payment exports (inbox/aid/<province>/<term>/)
    justice_rate: float = 0.015  # share of young people aged 12-19 with a juvenile justice case
    stranger_rate: float = 0.02  # aid payments and cases of children the registry does not hold
    # "mixed" writes every form the contract names; "csv" / "parquet" write one form
    forms: str = "mixed"
    # largest file written as xlsx in "mixed" mode (Excel holds 1,048,576 rows)
    xlsx_max_rows: int = 100_000
    # "standard": the project's own file style; "other_tools": typed cells, other headers, other date forms
    style: str = "standard"


# Noise profiles: "default" is what the project calibrated its priors on; the others are for testing on
# worlds it did not tune on (README, "Linkage quality").
PROFILES: dict[str, tuple[NoiseConfig, str]] = {
    "default": (NoiseConfig(), "standard"),
    "harsh": (NoiseConfig(
        moe_id_substitution=0.03, moe_id_transposition=0.015, moe_id_blank=0.02, moe_id_excel=0.01,
        moe_name_misspelling=0.08, moe_birth_day_month_swap=0.02, moe_birth_be_as_ce=0.01, moe_birth_one_day_off=0.015,
        moe_title_in_name=0.05, thai_digits=0.05, survey_id_missing=0.5, survey_id_mistyped=0.15,
        survey_name_misspelling=0.25, survey_nickname=0.15, survey_birth_date_missing=0.6, survey_age_missing=0.1,
        moe_sibling_id=0.005, survey_address_typo=0.1, aid_id_missing=0.35, aid_id_mistyped=0.1,
        aid_name_misspelling=0.15, justice_id_missing=0.2, justice_id_mistyped=0.06, justice_name_misspelling=0.1),
        "standard"),
    "other_tools": (NoiseConfig(moe_sibling_id=0.003, survey_address_typo=0.05), "other_tools"),
}
