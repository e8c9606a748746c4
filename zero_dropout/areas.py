"""DOPA area codes (province 2, amphoe 4, tambon 6 digits) from geothai's tables."""

from __future__ import annotations

from functools import cache

import geothai
import polars as pl


@cache
def provinces() -> pl.DataFrame:
    rows = [(p.code, p.name_th, p.name_en) for p in geothai.provinces()]
    return pl.DataFrame(rows, schema=["province_code", "province_name_th", "province_name_en"], orient="row")


@cache
def amphoes() -> pl.DataFrame:
    rows = [(d.code, d.province_code, d.name_th, d.name_en) for p in geothai.provinces() for d in geothai.districts(p.code)]
    return pl.DataFrame(rows, schema=["amphoe_code", "province_code", "amphoe_name_th", "amphoe_name_en"], orient="row")


@cache
def tambons() -> pl.DataFrame:
    rows = [
        (s.code, s.district_code, s.province_code, s.name_th, s.name_en)
        for p in geothai.provinces()
        for d in geothai.districts(p.code)
        for s in geothai.subdistricts(d.code)
    ]
    return pl.DataFrame(
        rows, schema=["tambon_code", "amphoe_code", "province_code", "tambon_name_th", "tambon_name_en"], orient="row"
    )


def dimensions() -> dict[str, pl.DataFrame]:
    """The analyst file's area tables: every province, amphoe and tambon with its Thai and English name and
    the names of the areas above it (public, from geothai)."""
    p, a, t = provinces(), amphoes(), tambons()
    return {
        "provinces": p.sort("province_code"),
        "amphoes": a.join(p, on="province_code").sort("amphoe_code"),
        "tambons": t.join(a.drop("province_code"), on="amphoe_code").join(p, on="province_code").sort("tambon_code"),
    }


@cache
def province_codes() -> frozenset[str]:
    return frozenset(provinces()["province_code"].to_list())

