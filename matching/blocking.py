"""Blocking rules: which (record, person) pairs are compared at all.

Each rule is a join on keys that survive a real error, so that one mistake
(a day/month swap, a misspelt name, a mistyped ID) does not hide the pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from zero_dropout import thai_id

RECORD_KEY = ["source_file", "source_sheet", "source_row"]


@dataclass(frozen=True)
class BlockingRule:
    name: str
    record_keys: tuple[str, ...]
    person_keys: tuple[str, ...]


def _rule(name: str, *keys: str, record_first: str | None = None) -> BlockingRule:
    """A rule on equal keys; ``record_first`` replaces the record's first key (a date variant)."""
    rec = (record_first, *keys[1:]) if record_first else keys
    return BlockingRule(name, tuple(rec), tuple(keys))


# Each rule pairs a date (or its usual slips) with a phonetic name key, or both names with the year, so
# that a record with one error (name or date) is still proposed, and the number of pairs stays near
# linear in the number of records.
MOE_RULES = (
    _rule("birth_date+last_name_sound", "birth_full_date", "last_name_phonetic"),
    _rule("birth_date+first_name_sound", "birth_full_date", "first_name_phonetic"),
    _rule("swapped_birth_date+last_name_sound", "birth_full_date", "last_name_phonetic", record_first="birth_swapped"),
    _rule("next_day+last_name_sound", "birth_full_date", "last_name_phonetic", record_first="birth_next_day"),
    _rule("previous_day+last_name_sound", "birth_full_date", "last_name_phonetic", record_first="birth_prev_day"),
    _rule("names_sound+birth_year", "first_name_phonetic", "last_name_phonetic", "birth_year_be"),
    _rule("names+birth_month", "first_name_norm", "last_name_norm", "birth_month"),  # a year typo
)

# A record with a valid ID that no one of the province holds is most likely another province's child
# (a national export is mostly other provinces' children). It is proposed only to people who share its
# birth date and a name, or both names and the birth year: a typo that turned one valid number into
# another still finds its person, and the ten million other records stay out of the comparison.
VALID_ID_RULES = (
    _rule("birth_date+last_name", "birth_full_date", "last_name_norm"),
    _rule("birth_date+first_name", "birth_full_date", "first_name_norm"),
    _rule("names+birth_year", "first_name_norm", "last_name_norm", "birth_year_be"),
)

# A visit often has an age instead of a birth date: the birth years that age allows during the term
# (``age_birth_years``, a list: the year before, of and after) stand in for the date.
SURVEY_RULES = (
    *MOE_RULES,
    BlockingRule("house", ("tambon_code", "moo", "house_no"), ("tambon_code", "moo", "house_no")),
    BlockingRule("moo_last_name", ("tambon_code", "moo", "last_name_phonetic"), ("tambon_code", "moo", "last_name_phonetic")),
    # a digit of the tambon or moo typed wrong still leaves the amphoe and the house number
    BlockingRule("amphoe_house_last_name", ("amphoe_code", "house_no", "last_name_phonetic"),
                 ("amphoe_code", "house_no", "last_name_phonetic")),
    BlockingRule("amphoe_house_first_name", ("amphoe_code", "house_no", "first_name_phonetic"),
                 ("amphoe_code", "house_no", "first_name_phonetic")),
    _rule("age+names_sound", "birth_year_be", "first_name_phonetic", "last_name_phonetic", record_first="age_birth_years"),
    _rule("age+sex+last_name_sound", "birth_year_be", "sex", "last_name_phonetic", record_first="age_birth_years"),
    # a first name's sound, a sex and an age alone make blocks that grow with the province: province-wide, this rule
    # proposed 85 % of a 500,000-person province's survey pairs (1.03 M of 1.21 M) for 2 of its 22,080 links, so
    # it looks only in the amphoe of the visit
    _rule("age+sex+first_name_sound+amphoe", "birth_year_be", "sex", "first_name_phonetic", "amphoe_code",
          record_first="age_birth_years"),
)


def _edits() -> pl.LazyFrame:
    """Every single-digit substitution and adjacent transposition, as (position, kind, digit) rows."""
    subs = [(i, "sub", d) for i in range(13) for d in range(10)]
    swaps = [(i, "swap", 0) for i in range(12)]
    return pl.LazyFrame(subs + swaps, schema={"pos": pl.Int64, "kind": pl.String, "digit": pl.Int64}, orient="row")


def id_variants(records: pl.LazyFrame, id_column: str, key: list[str] = RECORD_KEY) -> pl.LazyFrame:
    """Every valid ID one substitution or one adjacent transposition away from a record's 13-digit ID whose
    check digit is wrong (a valid ID of somebody else is left to the name and date rules). Only valid variants
    are kept: a registry person's ID is valid (the registry quarantines any other), so no other variant can be
    somebody's, and about one in ten passes the check digit.

    Integer arithmetic on the ID: place value p = 10^(12-pos); a substitution replaces digit d at p by
    a new digit, a transposition exchanges the digits at p and p/10. ``key``: the columns naming a record.
    """
    base = records.filter(pl.col("id_kind") == "bad_checksum").select(
        *key, pl.col(id_column).cast(pl.Int64, strict=False).alias("n")).drop_nulls()
    place = pl.lit(10, pl.Int64).pow(12 - pl.col("pos"))
    here = (pl.col("n") // place) % 10
    right_place = place // 10
    right = (pl.col("n") // right_place) % 10
    variant = (
        pl.when(pl.col("kind") == "sub").then(pl.col("n") + (pl.col("digit") - here) * place)
        .otherwise(pl.col("n") + (right - here) * place + (here - right) * right_place)
    )
    return (
        base.join(_edits(), how="cross")
        .with_columns(variant.alias("v"))
        .filter((pl.col("v") != pl.col("n")) & thai_id.valid_number_expr(pl.col("v")))
        .select(*key, pl.col("v").cast(pl.String).str.zfill(13).alias("candidate_id"))
        .unique()
    )


def rule_pairs(records: pl.LazyFrame, people: pl.LazyFrame, rule: BlockingRule, key: list[str] = RECORD_KEY) -> pl.LazyFrame:
    """(record, citizen_id, rule name) of every pair whose keys are equal under ``rule``."""
    schema = records.collect_schema()
    lists = [f"__k{i}" for i, k in enumerate(rule.record_keys) if isinstance(schema.get(k), pl.List)]
    left = records.select(*key, *[pl.col(k).alias(f"__k{i}") for i, k in enumerate(rule.record_keys)])
    left = (left.explode(lists) if lists else left).drop_nulls()
    right = people.select("citizen_id", *[pl.col(k).alias(f"__k{i}") for i, k in enumerate(rule.person_keys)]).drop_nulls()
    keys = [f"__k{i}" for i in range(len(rule.record_keys))]
    return left.join(right, on=keys).select(*key, "citizen_id", pl.lit(rule.name).alias("blocked_by"))


def variant_pairs(variants: pl.LazyFrame, people: pl.LazyFrame, key: list[str] = RECORD_KEY) -> pl.LazyFrame:
    """(record, citizen_id, "id_one_edit") of every person whose ID is one of a record's ``id_variants``."""
    return (variants.join(people.select("citizen_id"), left_on="candidate_id", right_on="citizen_id")
            .select(*key, pl.col("candidate_id").alias("citizen_id"), pl.lit("id_one_edit").alias("blocked_by")))


def distinct_pairs(parts: list[pl.LazyFrame], key: list[str] = RECORD_KEY) -> pl.LazyFrame:
    """One row per (record, citizen_id): the first rule that proposed it (``parts`` in rule order), and whether an ID
    one edit away did."""
    return pl.concat(parts).group_by(*key, "citizen_id").agg(
        pl.col("blocked_by").first(), (pl.col("blocked_by") == "id_one_edit").any().alias("id_one_edit"))


def candidate_pairs(records: pl.LazyFrame, people: pl.LazyFrame, rules: tuple[BlockingRule, ...],
                    id_column: str | None = None, variants: pl.LazyFrame | None = None,
                    key: list[str] = RECORD_KEY) -> pl.LazyFrame:
    """Distinct (record key, citizen_id) pairs, the first rule that proposed each, and whether an ID one edit
    away did (``variants``: the records' ``id_variants`` when the caller has them already). ``key``: the columns
    naming a record (a row number where the caller keeps the records' features in one frame)."""
    parts = [rule_pairs(records, people, rule, key) for rule in rules]
    if id_column:
        parts.append(variant_pairs(id_variants(records, id_column, key) if variants is None else variants, people, key))
    return distinct_pairs(parts, key)


HASH_SEED = 17


def _key_hash(keys: tuple[str, ...]) -> pl.Expr:
    """One 64-bit number for a rule's keys (null where one is null): named by position, so that a record's keys
    and a person's (``birth_swapped`` against ``birth_full_date``) hash alike."""
    cols = [pl.col(k).alias(f"k{j}") for j, k in enumerate(keys)]
    return pl.when(pl.all_horizontal([c.is_not_null() for c in cols])).then(pl.struct(cols).hash(HASH_SEED))


class BlockingIndex:
    """Records that many partitions are blocked against (a term's national MOE records), each rule's keys hashed
    to one number once. A partition's people are hashed alike and joined on that number alone (a join on a
    date and a name over two million records cost a national province 0.1 s a rule); every pair found is then
    checked on the keys themselves, so a collision of two hashes pairs nothing ``rule_pairs`` would not.
    Records are named by their row (``ROW``); rules without list-valued keys only."""

    ROW = "__row"

    def __init__(self, records: pl.DataFrame, rules: tuple[BlockingRule, ...]):
        self.rules = rules
        self.keys = records.select(sorted({k for r in rules for k in r.record_keys}))
        self.hashes = [records.select(_key_hash(r.record_keys).alias(f"__h{i}")).with_row_index(self.ROW).drop_nulls()
                       for i, r in enumerate(rules)]

    def parts(self, people: pl.DataFrame) -> list[pl.DataFrame]:
        """Per rule, in order, (row, citizen_id, rule name) of every pair whose keys are equal under it."""
        out = []
        for i, rule in enumerate(self.rules):
            h = f"__h{i}"
            per = people.select("citizen_id", _key_hash(rule.person_keys).alias(h),
                                *[pl.col(k).alias(f"p{j}") for j, k in enumerate(rule.person_keys)]).drop_nulls(h)
            found = self.hashes[i].join(per, on=h)
            rec = self.keys[found[self.ROW]].select([pl.col(k).alias(f"k{j}") for j, k in enumerate(rule.record_keys)])
            equal = pl.all_horizontal([pl.col(f"k{j}") == pl.col(f"p{j}") for j in range(len(rule.record_keys))])
            same = pl.concat([found, rec], how="horizontal").select(equal).to_series()
            out.append(found.filter(same).select(self.ROW, "citizen_id", pl.lit(rule.name).alias("blocked_by")))
        return out
