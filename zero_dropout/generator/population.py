"""Registry people of one province: houses, siblings and twins, IDs, statuses."""

from __future__ import annotations

import numpy as np
import polars as pl

from zero_dropout import areas, thai_id
from zero_dropout.generator.names import names_from_index, pool, sample_name_index
from zero_dropout.terms import BE_OFFSET

# ID category of a child (first digit) and its share; 0, 6 and 7 are not Thai nationals.
CATEGORY_SHARES = {1: 0.875, 2: 0.03, 3: 0.004, 5: 0.006, 8: 0.01, 6: 0.025, 7: 0.03, 0: 0.02}
NON_THAI_CATEGORIES = (0, 6, 7)
# DOPA nationality codes used by the generator: 099 Thai; others foreign or none.
FOREIGN_NATIONALITY_CODES = ["048", "056", "057", "000"]
STATUS_SHARES = {0: 0.93, 8: 0.02, 9: 0.025, 4: 0.01, 1: 0.006, 11: 0.005, 12: 0.004}
CHILDREN_PER_HOUSE = {1: 0.45, 2: 0.35, 3: 0.15, 4: 0.05}
TWIN_RATE = 0.03  # of houses with two or more children
AGE_SPAN = 22  # ages 0..21 at the latest term


def choice(rng: np.random.Generator, shares: dict, size: int) -> np.ndarray:
    keys = np.array(list(shares))
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def make_people(rng: np.random.Generator, province: str, n: int, latest_year_be: int, id_seq: np.ndarray) -> pl.DataFrame:
    """One province's registry rows (children and young people aged 0-21).

    ``id_seq`` holds n unique 7-digit sequence numbers, drawn once for all
    provinces so that no two generated people share an ID.
    """
    tambons = areas.tambons().filter(pl.col("province_code") == province)
    tambon_codes = tambons["tambon_code"].cast(pl.Int64).to_numpy()
    other_amphoes = areas.amphoes().filter(pl.col("province_code") != province)["amphoe_code"].cast(pl.Int64).to_numpy()

    # houses and the children in them
    sizes = choice(rng, CHILDREN_PER_HOUSE, n)  # more than enough houses
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    n_houses = len(sizes)
    starts = np.cumsum(sizes) - sizes
    house_of = np.repeat(np.arange(n_houses), sizes)[:n]
    rank_in_house = np.arange(n) - starts[house_of]

    h_tambon = tambon_codes[rng.integers(0, len(tambon_codes), n_houses)]
    h_amphoe = h_tambon // 100
    h_moo = rng.integers(1, 16, n_houses)
    h_no_main = rng.integers(1, 400, n_houses)
    h_no_sub = np.where(rng.random(n_houses) < 0.3, rng.integers(1, 20, n_houses), 0)
    h_seq = rng.choice(1_000_000, size=n_houses, replace=False)
    h_surname = sample_name_index(rng, "family", n_houses, exponent=0.6)
    twins_house = (sizes >= 2) & (rng.random(n_houses) < TWIN_RATE)
    # house ID: 4-digit registration office (the amphoe) + 6-digit sequence + check digit
    h_first10 = h_amphoe * 1_000_000 + h_seq
    h_digits = (h_first10[:, None] // 10 ** np.arange(9, -1, -1)) % 10
    house_id = h_first10 * 10 + (h_digits @ np.arange(11, 1, -1)) % 10

    sex = rng.choice(np.array([1, 2], dtype=np.int8), size=n, p=[0.51, 0.49])
    male_idx = sample_name_index(rng, "male", n, 0.8)
    female_idx = sample_name_index(rng, "female", n, 0.8)
    age = rng.integers(0, AGE_SPAN, n)
    birth_year_be = (latest_year_be - age).astype(np.int32)
    day_of_year = rng.integers(0, 365, n)
    # twins: the second child of a twin house shares the first child's birth date
    second_twin = twins_house[house_of] & (rank_in_house == 1)
    first_of_house = starts[house_of]
    birth_year_be[second_twin] = birth_year_be[first_of_house[second_twin]]
    day_of_year[second_twin] = day_of_year[first_of_house[second_twin]]
    sex_of_first = sex[first_of_house]
    # ... and never the first twin's first name
    for idx in (male_idx, female_idx):
        clash = second_twin & (idx == idx[first_of_house])
        idx[clash] = (idx[clash] + 1) % len(pool("male" if idx is male_idx else "female"))
    del sex_of_first
    jan1 = (birth_year_be - BE_OFFSET - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    birth = jan1 + day_of_year.astype("timedelta64[D]")

    category = choice(rng, CATEGORY_SHARES, n).astype(np.int64)
    office = np.where(rng.random(n) < 0.9, h_amphoe[house_of], other_amphoes[rng.integers(0, len(other_amphoes), n)])
    first12 = category * 10**11 + office * 10**7 + id_seq
    digits12 = (first12[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    citizen_id = first12 * 10 + thai_id.check_digits_np(digits12)

    non_thai = np.isin(category, NON_THAI_CATEGORIES)
    nationality_idx = np.where(non_thai, rng.integers(0, 4, n), -1)
    status = choice(rng, STATUS_SHARES, n).astype(np.int8)
    status[(status == 12) & non_thai] = 0  # only Thai nationals renounce Thai nationality
    moved_in = np.where(rng.random(n) < 0.7, birth, birth + rng.integers(0, 365 * 3, n).astype("timedelta64[D]"))
    extract_day = np.datetime64(f"{latest_year_be - BE_OFFSET}-06-01")
    moved_in = np.minimum(moved_in, np.maximum(birth, extract_day))

    house_no = pl.when(pl.col("h_sub") > 0).then(pl.format("{}/{}", "h_main", "h_sub")).otherwise(pl.col("h_main").cast(pl.String))
    return (
        pl.DataFrame(
            {
                "cid": citizen_id,
                "sex": sex,
                "male_idx": male_idx,
                "female_idx": female_idx,
                "surname_idx": h_surname[house_of],
                "birth_date": birth,
                "birth_year_be": birth_year_be,
                "category": category.astype(np.int8),
                "nat_idx": nationality_idx,
                "non_thai": non_thai,
                "house_index": house_of.astype(np.int32),
                "hid": house_id[house_of],
                "h_main": h_no_main[house_of],
                "h_sub": h_no_sub[house_of],
                "tambon": h_tambon[house_of],
                "moo": h_moo[house_of].astype(np.int8),
                "twin": twins_house[house_of] & (rank_in_house <= 1),
                "person_status": status,
                "move_in_date": moved_in,
            }
        )
        .with_columns(
            thai_id.number_to_str_expr("cid").alias("citizen_id"),
            pl.lit(province).alias("province_code"),
            pl.when(pl.col("sex") == 1)
            .then(pl.col("male_idx").map_batches(lambda s: names_from_index("male", s.to_numpy()), return_dtype=pl.String))
            .otherwise(pl.col("female_idx").map_batches(lambda s: names_from_index("female", s.to_numpy()), return_dtype=pl.String))
            .alias("first_name"),
            pl.col("surname_idx").map_batches(lambda s: names_from_index("family", s.to_numpy()), return_dtype=pl.String).alias("last_name"),
            pl.col("hid").cast(pl.String).alias("house_id"),
            house_no.alias("house_no"),
            pl.col("tambon").cast(pl.String).alias("tambon_code"),
            pl.when(pl.col("non_thai"))
            .then(pl.col("nat_idx").replace_strict(dict(enumerate(FOREIGN_NATIONALITY_CODES)), default=None, return_dtype=pl.String))
            .otherwise(pl.lit("099"))
            .alias("nationality"),
            pl.col("birth_date").cast(pl.Date),
            pl.col("move_in_date").cast(pl.Date),
        )
        .select(
            "citizen_id", "province_code", "sex", "first_name", "last_name", "birth_date", "birth_year_be",
            "category", "nationality", "non_thai", "house_index", "house_id", "house_no", "tambon_code", "moo",
            "twin", "person_status", "move_in_date",
        )
    )
