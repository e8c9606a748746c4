"""Thai name pools with a skewed (Zipf-like) frequency, from pythainlp's name lists."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from zero_dropout.thai_nlp import name_list

# Common Thai nicknames (ชื่อเล่น), used by field teams instead of the registered name.
NICKNAMES = np.array(
    ["เอ", "บี", "ต้น", "ฝน", "แบงค์", "มิ้นท์", "ปอ", "นุ่น", "เบียร์", "ไอซ์", "ภูมิ", "ข้าวหอม", "น้ำ", "ปาล์ม",
     "กอล์ฟ", "แนน", "บอล", "ฟ้า", "เก่ง", "ตาล", "โอ๊ต", "แป้ง", "นิว", "ปุ๊ก", "จ๋า", "หนึ่ง", "ส้ม", "ต่อ"]
)


@cache
def _pool(kind: str) -> np.ndarray:
    names = sorted(n.strip() for n in name_list(kind) if n.strip())
    return np.array(names)


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def sample_name_index(rng: np.random.Generator, kind: str, size: int, exponent: float) -> np.ndarray:
    """Indices into :func:`pool` drawn with a Zipf skew over a fixed popularity order."""
    n = len(_pool(kind))
    order = np.random.default_rng(n).permutation(n)  # same popularity order in every run
    idx = rng.choice(n, size=size, p=zipf_weights(n, exponent))
    return order[idx]


def pool(kind: str) -> np.ndarray:
    return _pool(kind)


@cache
def pool_series(kind: str) -> pl.Series:
    return pl.Series(kind, _pool(kind).tolist(), dtype=pl.String)


def names_from_index(kind: str, idx: np.ndarray) -> pl.Series:
    return pool_series(kind).gather(idx)
