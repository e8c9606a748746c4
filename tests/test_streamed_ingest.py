"""Ingest a chunk at a time: what a file yields does not depend on where its chunks end, accepted rows go to
disk as they are validated, and a file that must be read again by the slower path leaves nothing behind."""

from __future__ import annotations

import random

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from inbox_builder import MOE_HEADER, REGISTRY_HEADER, csv_text, drop, moe_row, registry_row
from schemas import ingest as ingest_mod
from schemas.ingest import IngestCache, ingest
from zero_dropout import inbox, standardize

LINEAGE = ["source_file", "source_sheet", "source_row"]


def _partitions(root):
    """Every partition of an inbox: (source, province, term) -> its files."""
    parts: dict[tuple, list] = {}
    for f in inbox.scan(root):
        if f.problem is None:
            key = (f.source, None if f.source == "moe" else f.province, None if f.source == "registry" else f.term)
            parts.setdefault(key, []).append(f)
    return parts


def _everything(root, cache=None) -> dict[str, pl.DataFrame]:
    out = {}
    for (source, province, term), files in sorted(_partitions(root).items(), key=str):
        r = ingest(sorted(files, key=lambda f: f.rel), source, province=province, term=term,
                   latest_only=source == "registry", cache=cache)
        name = f"{source}/{province}/{term}"
        out[f"{name} accepted"] = r.accepted.sort(LINEAGE)
        out[f"{name} quarantine"] = r.quarantine.sort([*LINEAGE, "column", "check"])
        out[f"{name} issues"] = r.issues.sort([*LINEAGE, "column", "check"])
        out[f"{name} files"] = r.files.sort("source_file")
    return out


CHUNK = 4_999  # rows: every file below is several chunks


@pytest.fixture
def messy_inbox(tmp_path, monkeypatch):
    """Files of several chunks: duplicates chunks apart, a UTF-8 file with a NUL and Windows-874 bytes past its
    first megabyte (read again by the slower path once its first chunks were read), a workbook of two sheets, a
    Parquet file with typed and nested columns, a survey export."""
    from openpyxl import Workbook

    monkeypatch.setenv(inbox.SETTLE_ENV, "0")
    root = tmp_path / "inbox"
    rows = [registry_row(i) for i in range(1, 12_001)]
    rows[9_500] = registry_row(3)  # the same person twice, 9,497 rows apart
    rows[10_000] = "x" + rows[10_000]  # a mangled ID
    drop(root, "registry/55/registry_55_20240610.csv", csv_text(REGISTRY_HEADER, rows))
    moe = [moe_row(i) for i in range(1, 20_001)]
    moe[15_000] = moe[2]  # an identical record, 14,998 rows later
    moe[19_000] = moe[2]
    body = csv_text(MOE_HEADER, moe).encode("utf-8")
    assert len(body) > 1 << 20
    nul = ("\n" + moe_row(20_001).replace("สมชาย", "AB\x00C")).encode("utf-8")
    late = ("\n" + moe_row(20_002, fname="สมหญิง")).encode("cp874")
    drop(root, "moe/2567-1/late_tis620.csv", body.rstrip(b"\n") + nul + late + b"\n")
    n = 11_000
    pq.write_table(pa.table({"cid": [r.split("|")[0] for r in moe[:n - 1]] + [moe[0].split("|")[0]],
                             "fname": ["ก"] * n, "lname": ["ข"] * n,
                             "birthdate": pa.array([20170315] * n, type=pa.int64()), "school_id": ["1055010001"] * n,
                             "status": ["studying"] * n, "extra": pa.array([[1.0]] * n, type=pa.list_(pa.float64()))}),
                   (root / "moe" / "2566-2").mkdir(parents=True) or root / "moe" / "2566-2" / "typed.parquet")
    book = Workbook()
    for s, sheet in enumerate((book.active, book.create_sheet("more"))):
        sheet.append(REGISTRY_HEADER.split(","))
        for i in range(6_000):
            sheet.append(registry_row(20_000 + s * 6_000 + i, address="40010101").split(","))
        sheet.append(registry_row(20_001, address="40010101").split(","))  # the first sheet's second person again
    (root / "registry" / "40").mkdir(parents=True)
    book.save(root / "registry" / "40" / "registry_40_20240610.xlsx")
    visits = [f"S{i % 9_000},สมชาย,found" for i in range(10_000)]  # 1,000 visit IDs repeated 9,000 rows later
    drop(root, "survey/55/2567-1/visits.csv", csv_text("survey_id,fname,status", visits))
    return root


def test_a_file_read_in_chunks_yields_what_reading_it_whole_does(messy_inbox, monkeypatch):
    whole = _everything(messy_inbox)
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", CHUNK)
    chunked = _everything(messy_inbox)
    _same(whole, chunked)
    q = pl.concat([f for n, f in whole.items() if n.endswith("quarantine")], how="diagonal_relaxed")
    assert {"unique_in_file", "not_repeated_row", "readable_text"} <= set(q["check"])  # the cases are there
    files = pl.concat([f for n, f in whole.items() if n.endswith("files")])
    assert files["outcome"].to_list() == ["accepted"] * 5 and (files["rows_read"] > CHUNK).all()


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        try:
            assert_frame_equal(a[name], b[name], check_dtypes=False)
        except AssertionError as err:
            raise AssertionError(f"{name} differs") from err


def test_accepted_rows_are_written_to_the_cache_a_chunk_at_a_time_and_read_back_the_same(messy_inbox, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", CHUNK)
    cache = IngestCache(tmp_path / "cache")
    first = _everything(messy_inbox, cache)
    entries = {p.name.split(".")[0] for p in cache.root.glob("*.json")}
    parts = list(cache.root.glob("*.accepted.*.parquet"))
    assert len(entries) == 5 and len(parts) >= 2 * len(entries)  # several parts each
    assert max(pl.read_parquet(p).height for p in parts) <= CHUNK
    assert not list(cache.root.glob(".*"))  # no temporary part left behind, the re-read file's included
    _same(first, _everything(messy_inbox, cache))  # every file from the cache now
    # a damaged part is noticed when the entry is loaded: the file is read again
    victim = sorted(parts)[0]
    victim.write_bytes(victim.read_bytes()[:20])
    _same(first, _everything(messy_inbox, cache))


def test_the_staged_rows_stream_from_the_parts(messy_inbox, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", CHUNK)
    cache = IngestCache(tmp_path / "cache")
    result = ingest(inbox.files_for(messy_inbox, "moe", term="2567-1"), "moe", term="2567-1", cache=cache)
    plan = result.rows.explain()
    assert "parquet" in plan.lower()  # a scan of the parts on disk, not rows held in memory
    assert result.rows.select(pl.len()).collect().item() == result.counts()["rows_accepted"]


@pytest.mark.parametrize("source", ["registry", "moe", "survey"])
def test_first_in_file_over_chunks_equals_over_the_whole_file(source):
    rng = random.Random(5)
    n = 5_000
    if source == "moe":
        cols = ["student_id", "first_name", "last_name", "birth_date", "school_code", "enrollment_status"]
        frame = pl.DataFrame({c: [rng.choice(["1", "2", None]) for _ in range(n)] for c in cols})
    else:
        column = "citizen_id" if source == "registry" else "survey_id"
        frame = pl.DataFrame({column: [rng.choice([f"{rng.randrange(900)}", None, " 7-", "7"]) for _ in range(n)]})
    whole = frame.select(standardize.first_in_file(source)).to_series()
    for size in (7, 999, n):
        seen = standardize.FirstInFile(source)
        chunked = pl.concat([seen.flags(chunk) for chunk in frame.iter_slices(size)])
        assert chunked.to_list() == whole.to_list(), size


def test_a_file_that_needs_the_slower_reader_is_read_whole_by_it(messy_inbox, tmp_path, monkeypatch):
    """Polars may meet the Windows-874 bytes before or after it handed on the first chunks: either way the
    file's rows are those of the slower reader, and no part of the first attempt is left."""
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", CHUNK)
    cache = IngestCache(tmp_path / "cache")
    result = ingest(inbox.files_for(messy_inbox, "moe", term="2567-1"), "moe", term="2567-1", cache=cache)
    assert result.files["outcome"].to_list() == ["accepted"] and result.counts()["rows_read"] == 20_002
    assert result.accepted.sort("source_row")["first_name"][-1] == "สมหญิง"
    assert len(list(cache.root.glob("*.accepted.*.parquet"))) == 5 and not list(cache.root.glob(".*"))


def test_chunks_read_before_a_read_again_are_discarded(messy_inbox, tmp_path, monkeypatch):
    """The first attempt gave two chunks, then the file asked to be read again: only the second attempt's
    rows are kept, once each."""
    from zero_dropout import readers

    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", CHUNK)
    real = readers.stream_table

    def first_two_then_again(path, rel, spec, chunk_rows):
        stream = real(path, rel, spec, chunk_rows)
        whole = real(path, rel, spec, chunk_rows)

        def chunks():
            for i, chunk in enumerate(stream.chunks()):
                if i == 2:
                    raise readers.ReadAgain(whole)
                yield chunk

        return readers.RawStream(chunks, stream.form, stream.encoding, stream.delimiter, stream.unknown_columns)

    plain = ingest(inbox.files_for(messy_inbox, "registry", province="55"), "registry", province="55", latest_only=True)
    monkeypatch.setattr(ingest_mod, "stream_table", first_two_then_again)
    cache = IngestCache(tmp_path / "cache")
    again = ingest(inbox.files_for(messy_inbox, "registry", province="55"), "registry", province="55", latest_only=True,
                   cache=cache)
    assert_frame_equal(plain.accepted.sort("source_row"), again.accepted.sort("source_row"))
    assert again.counts() == plain.counts()
    assert len(list(cache.root.glob("*.accepted.*.parquet"))) == 3 and not list(cache.root.glob(".*"))
