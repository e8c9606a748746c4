"""Pandera (Polars) schemas of the three sources, and the validation that splits accepted rows from quarantine.

No Dagster here: the assets call :func:`schemas.validate.validate` and report counts.
"""

from schemas.validate import ValidationResult, validate

__all__ = ["ValidationResult", "validate"]
