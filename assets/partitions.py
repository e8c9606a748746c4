"""Partitions: province (DOPA code) x term (Buddhist-era academic term, added as the inbox gets them).

Every partitioned asset takes a whole key range in one run (``BackfillPolicy.single_run``): a backfill of 76
provinces is one run per job, not 76, and work that is the same for every province of a term (reading the
term's national MOE index) is done once. ``each_partition`` runs an asset's body once per partition of the
run (side by side, one per core, when every province of the run is small: ``side_by_side``) and reports each
partition's metadata on its own materialization.
"""

from __future__ import annotations

import itertools
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

import dagster as dg
import polars as pl

from zero_dropout import areas

province_partitions = dg.StaticPartitionsDefinition(sorted(areas.province_codes()))
term_partitions = dg.DynamicPartitionsDefinition(name="term")
province_term_partitions = dg.MultiPartitionsDefinition({"province": province_partitions, "term": term_partitions})
ONE_RUN = dg.BackfillPolicy.single_run()  # a backfill of many partitions is one run per job

with warnings.catch_warnings():  # the mapping is marked beta; it is the documented way to map one dimension
    warnings.simplefilter("ignore", dg.BetaWarning)
    by_province = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="province")
    by_term = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="term")


def ranged_asset(**kwargs):
    """``dg.asset`` that takes a whole key range in one run (the parameter is marked beta in Dagster 1.13)."""
    def decorate(fn):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.BetaWarning)
            return dg.asset(backfill_policy=ONE_RUN, **kwargs)(fn)

    return decorate


NOTICE = "notice"  # metadata a person running the pipeline must read (the runner prints it)
PROGRESS = "partition progress"  # a log line the runner turns into its progress bar: counts only


def progress_line(done: int, total: int, elapsed: float) -> str:
    return f"{PROGRESS} {done}/{total} {elapsed:.2f}"


def read_progress_line(message: str) -> tuple[int, int, float] | None:
    """(done, total, seconds) of a ``progress_line``; None for any other message."""
    if not message.startswith(PROGRESS):
        return None
    count, elapsed = message[len(PROGRESS):].split()
    done, total = count.split("/")
    return int(done), int(total), float(elapsed)


def province_term(key: str | dg.MultiPartitionKey) -> tuple[str, str]:
    dims = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else dict(zip(("province", "term"), key.split("|")))
    return dims["province"], dims["term"]


def partition_key(province: str, term: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"province": province, "term": term})


Result = dg.MaterializeResult | dg.AssetCheckResult


# registry people: the partitions of provinces this small are worked on side by side (the national average is
# about 182,000). Ingest and the linkage of a province's own exports spend much of their time in Python (names,
# per-partition steps), which one core leaves the other free for.
SMALL_PROVINCE = 200_000
# The MOE linkage, whose every partition works over one national frame, once kept both cores busy in Polars for a
# province of 182,000 people (side by side they took 10.7 s each instead of 8 s); since its blocking and scoring
# take a tenth of that time, two such provinces side by side link in 14-18% less time than one after the other
# (eight national provinces: 13.3-13.9 s against 15.4-16.9 s), so it follows SMALL_PROVINCE like every step.
BYTES_PER_PERSON = 500  # a registry extract not yet staged: about this many bytes a person, in any file form


def side_by_side(paths, provinces: Iterable[str], largest: int = SMALL_PROVINCE) -> bool:
    """Whether every province of a run has at most ``largest`` registry people, so that its partitions are worked
    on side by side (one per core): for two large provinces, the memory of both at once is not worth the time
    it saves them."""
    from zero_dropout import inbox

    for province in set(provinces):
        staged = paths.staging.path("registry", "people", province)
        if staged.exists():
            if pl.scan_parquet(staged).select(pl.len()).collect().item() > largest:
                return False
        elif sum(f.path.stat().st_size for f in inbox.files_for(paths.inbox, "registry", province=province)) > \
                largest * BYTES_PER_PERSON:
            return False
    return True


def _province(key: str) -> str:
    return province_term(key)[0] if "|" in key else key


def _add_partition_metadata(context: dg.AssetExecutionContext, metadata: dict, asset: dg.AssetKey, key: str) -> None:
    """``context.add_asset_metadata`` for a partition of the run, without its check that the key is targeted: that
    check builds the run's whole key range (with storage queries for the dynamic term dimension) at every call,
    so a run's metadata cost grew with the square of its partitions (76 provinces: 0.45 s a step on a SQLite
    instance, against nothing). The keys here are the run's own (``context.partition_keys``) and Dagster checked
    the asset and its first key; where Dagster no longer keeps the accumulator this reaches for, the public call
    is made as before."""
    step = getattr(context, "_step_execution_context", None)
    accumulator = getattr(step, "_metadata_accumulator", None)
    if accumulator is None or not hasattr(accumulator, "with_additional_asset_metadata"):
        context.add_asset_metadata(metadata, asset_key=asset, partition_key=key)
        return
    step._metadata_accumulator = accumulator.with_additional_asset_metadata(asset_key=asset, metadata=metadata,
                                                                            partition_key=key)


def each_partition(context: dg.AssetExecutionContext, body: Callable[[str], Iterable[Result]],
                   paths=None, largest: int = SMALL_PROVINCE, first_alone: bool = False) -> Iterator[Result]:
    """Run ``body(partition_key)`` for every partition of the run, in key order. What each yields is reported on
    that partition's materialization (a ``NOTICE`` in it is also logged as a warning); each check is one
    evaluation for the run (passed when it passed for every partition; with many partitions its metadata names
    the failing ones). Results come out per asset in the order the body first yielded them, as a multi-asset
    needs. Given the run's ``paths``, bodies run side by side, one per core, when every province of the run is
    small (``side_by_side``, at most ``largest`` registry people; Polars and rapidfuzz work outside the GIL):
    such a body must not use ``context``, which only this function touches. ``first_alone``: the first partition
    is worked on before the others start side by side (it computes what they share, once)."""
    keys = list(context.partition_keys)
    single = len(keys) == 1
    parallel = paths is not None and not single and side_by_side(paths, [_province(key) for key in keys], largest)
    order: dict[dg.AssetKey, None] = {}
    checks: dict[tuple[dg.AssetKey | None, str | None], list[tuple[str, dg.AssetCheckResult]]] = {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(len(keys), os.cpu_count() or 1) if parallel else 1) as pool:
        head = [list(body(keys[0]))] if parallel and first_alone else []
        # in key order, consumed as each finishes
        results = itertools.chain(head, pool.map(lambda key: list(body(key)), keys[len(head):]))
        for i, (key, events) in enumerate(zip(keys, results), 1):
            for event in events:
                if isinstance(event, dg.AssetCheckResult):
                    checks.setdefault((event.asset_key, event.check_name), []).append((key, event))
                    continue
                asset = event.asset_key or context.assets_def.key
                metadata = dict(event.metadata or {})
                if NOTICE in metadata:
                    context.log.warning(str(getattr(metadata[NOTICE], "value", metadata[NOTICE])))
                if single or asset not in order:  # Dagster's own checks, once per asset
                    context.add_asset_metadata(metadata, asset_key=asset, partition_key=None if single else key)
                else:
                    _add_partition_metadata(context, metadata, asset, key)
                order.setdefault(asset)
                for check in event.check_results or []:
                    checks.setdefault((check.asset_key or asset, check.check_name), []).append((key, check))
            if not single and (i * 20 // len(keys) > (i - 1) * 20 // len(keys)):  # every twentieth: each is an event
                elapsed = time.perf_counter() - started
                context.log.info(progress_line(i, len(keys), elapsed))
    for asset in order:
        yield dg.MaterializeResult(asset_key=asset)
    for (asset, name), results in checks.items():
        if single:
            yield results[0][1]
            continue
        failing = [str(key) for key, r in results if not r.passed]
        yield dg.AssetCheckResult(asset_key=asset, check_name=name, passed=not failing,
                                  metadata={"partitions_checked": len(results),
                                            "partitions_failing": ", ".join(failing) or "none"})
