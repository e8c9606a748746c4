"""A national MOE term built from one generated province: the rest of the country's students.

The generator makes one province's children. A national export is mostly other
provinces' children, so each further tile of the generated rows becomes a
different set of people: shifted ID sequences (new valid check digits) registered
in another province, other school codes, and names, sexes and birth
dates shuffled within the tile so that no tile is a copy of the province's own
children (a copy would be a second child with the same name and birth date under
another valid ID, which real exports do not hold by the hundred thousand).
"""

from __future__ import annotations

import polars as pl

from zero_dropout import areas, thai_id, thai_text

PERSON_BLOCK = ["title", "fname", "sex"]  # kept together: a title and a first name carry the sex


def other_provinces(base: pl.DataFrame, k: int, home: str) -> pl.DataFrame:
    """Tile ``k`` (k >= 1): the same shape as ``base`` (MOE_EN headers), different children, registered
    in another province than ``home`` (so no ID of the tile is an ID of the home province's people)."""
    others = sorted(areas.province_codes() - {home})
    # every ID written as 13 digits in any form (dashes, Thai digits, spaces) gets a new number; G-codes and
    # mangled IDs stay as they are (they can never equal a registry ID)
    cid = thai_text.digits_only(pl.col("cid"))
    seq = (cid.str.slice(5, 7).cast(pl.Int64, strict=False) + k * 1_000_003) % 10_000_000
    first12 = pl.concat_str(cid.str.slice(0, 1), pl.lit(others[(k - 1) % len(others)]), cid.str.slice(3, 2),
                            seq.cast(pl.String).str.zfill(7))
    tile = base.with_columns(
        pl.when(cid.str.contains(r"^[0-9]{13}$")).then(thai_id.with_check_digit_expr(first12))
        .otherwise(pl.col("cid")).alias("cid"),
        pl.concat_str(pl.col("school_id").str.slice(0, 6),
                      ((pl.col("school_id").str.slice(6, 4).cast(pl.Int64, strict=False) + k) % 10_000)
                      .cast(pl.String).str.zfill(4)).alias("school_id"),
    )
    shuffled = [tile.select(cols).sample(fraction=1.0, shuffle=True, seed=1000 * k + i)
                for i, cols in enumerate((PERSON_BLOCK, ["lname"], ["birthdate"]))]
    return tile.drop(PERSON_BLOCK, "lname", "birthdate").hstack(pl.concat(shuffled, how="horizontal").get_columns()).select(base.columns)


def national(base: pl.DataFrame, rows: int, home: str) -> pl.DataFrame:
    """``base`` (the generated province's MOE rows) followed by other provinces' tiles, cut to ``rows``."""
    tiles = -(-rows // base.height)
    return pl.concat([base, *(other_provinces(base, k, home) for k in range(1, tiles))]).head(rows)
