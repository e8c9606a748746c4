"""Read one inbox file as it really arrives into a frame of strings with canonical column names.

Forms: CSV (UTF-8 with or without BOM, or TIS-620 / Windows-874, detected
from the bytes; delimiter ``,`` ``|`` tab or ``;`` sniffed from the header),
xlsx (every sheet whose header the alias map recognises), Parquet. The file's
extension is not trusted. Every value is read as text: nothing is guessed
(leading zeros stay, ``1.10370E+12`` stays as written).

A file that cannot be used raises :class:`FileRefused` whose message names
the file and what was expected; it never carries a cell value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from charset_normalizer import from_bytes

from zero_dropout.contract import SourceSpec, header_key

SNIFF_BYTES = 1 << 20
DELIMITERS = (",", "|", "\t", ";")
THAI_ENCODINGS = ["cp874", "tis_620"]


class FileRefused(Exception):
    """A whole file cannot be ingested. The message names the file and the reason, no values."""

    def __init__(self, source_file: str, reason: str):
        self.source_file, self.reason = source_file, reason
        super().__init__(f"{source_file}: {reason}")


@dataclass
class RawTable:
    """A file's rows as text under canonical field names, with lineage columns."""

    frame: pl.DataFrame  # canonical columns (String) + source_sheet + source_row
    form: str  # csv / xlsx / parquet
    encoding: str | None = None
    delimiter: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


@dataclass
class RawStream:
    """A file's rows as :class:`RawTable` gives them, a chunk at a time (``chunks()``: frames of at most
    ``chunk_rows`` rows, ``source_row`` counting on across them), so that a file larger than memory is read in
    bounded memory. Where a file shows only part way through that the fast path cannot read it (bytes that are
    not UTF-8 past the sample), the chunks stop with :class:`ReadAgain`: what was read of it is void, and its
    ``stream`` reads the whole file by the slower path."""

    chunks: Callable[[], Iterator[pl.DataFrame]]
    form: str
    encoding: str | None = None
    delimiter: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


class ReadAgain(Exception):
    """The chunks read so far of a file are void: read it again with ``stream``."""

    def __init__(self, stream: RawStream):
        self.stream = stream
        super().__init__("the file is read again by the slower path")


def _detect_form(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    return "csv"


def _detect_encoding(sample: bytes, rel: str) -> str:
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise FileRefused(rel, "binary content (NUL bytes): expected a CSV text file, an xlsx workbook or Parquet")
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(sample) - 3:  # the sample cut a multi-byte character
            return "utf-8"
    best = from_bytes(sample, cp_isolation=THAI_ENCODINGS).best()
    if best is None or best.chaos > 0.3:
        raise FileRefused(rel, "text in an unknown encoding: expected UTF-8 or TIS-620 / Windows-874")
    return "cp874"  # Windows-874 is the superset of TIS-620


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def map_headers(headers: list[str], spec: SourceSpec, rel: str, where: str = "") -> tuple[dict[str, str], list[str]]:
    """Original header -> canonical field, and the unknown headers. Refuses ambiguous or incomplete headers."""
    aliases = spec.alias_to_field
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        fieldname = aliases.get(header_key(h))
        if fieldname is None:
            unknown.append(str(h))
            continue
        if fieldname in seen:
            raise FileRefused(
                rel, f"{where}columns {seen[fieldname]!r} and {h!r} (column {i + 1}) both map to field "
                f"{fieldname!r}: remove one or rename it in the export",
            )
        seen[fieldname] = str(h)
        mapping[str(h)] = fieldname
    missing = [f for f in spec.required if f not in seen]
    if not seen:
        expected = ", ".join(f"{f} ({'/'.join(spec.fields[f][:2])})" for f in spec.required)
        raise FileRefused(rel, f"{where}no known header for a {spec.name} export; expected columns such as {expected}")
    if missing:
        expected = ", ".join(f"{f} ({'/'.join(spec.fields[f][:2])})" for f in missing)
        raise FileRefused(rel, f"{where}required columns missing: {expected}")
    return mapping, unknown


def _finish(frame: pl.DataFrame, mapping: dict[str, str], sheet: str | None, offset: int = 0) -> pl.DataFrame:
    """Canonical columns as text, the sheet and the row number (``offset``: rows of the file before this chunk)."""
    frame = frame.select([pl.col(orig).cast(pl.String).alias(canon) for orig, canon in mapping.items()])
    return frame.with_columns(
        pl.lit(sheet or "", pl.String).alias("source_sheet"),
        pl.int_range(offset + 1, offset + pl.len() + 1, dtype=pl.Int64).alias("source_row"),
    )


def _numbered(batches: Iterator[pl.DataFrame], mapping: dict[str, str], sheet: str | None = None) -> Iterator[pl.DataFrame]:
    offset = 0
    for batch in batches:
        if batch.height:
            yield _finish(batch, mapping, sheet, offset)
            offset += batch.height


def _slices(frame: pl.DataFrame, chunk_rows: int | None) -> Iterator[pl.DataFrame]:
    """``frame`` in chunks of ``chunk_rows`` (None: whole)."""
    if frame.height:
        yield from frame.iter_slices(chunk_rows) if chunk_rows else (frame,)


def _batches(lf: pl.LazyFrame, chunk_rows: int | None) -> Iterator[pl.DataFrame]:
    """By the streaming engine a chunk at a time; None: the whole file at once (the in-memory engine reads it
    faster when memory is no concern, e.g. the exact-ID floor of the benchmarks)."""
    return iter((lf.collect(),)) if chunk_rows is None else iter(lf.collect_batches(chunk_size=chunk_rows))


def _has_utf8_thai_line(sample: bytes) -> bool:
    """A line that is valid UTF-8 and holds Thai letters (Windows-874 text almost never decodes so)."""
    for line in sample.split(b"\n")[:-1]:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any("\u0e00" <= ch <= "\u0e7f" for ch in text):
            return True
    return False


def _mixed_lines_to_utf8(data: bytes) -> bytes:
    """UTF-8 bytes for a file whose lines are UTF-8 or Windows-874 (mixed by a merge of two exports)."""
    out = []
    for line in data.split(b"\n"):
        try:
            line.decode("utf-8")
            out.append(line)
        except UnicodeDecodeError:
            try:
                out.append(line.decode("cp874").encode("utf-8"))
            except UnicodeDecodeError:
                out.append(line.decode("utf-8", errors="replace").encode("utf-8"))
    return b"\n".join(out)


HEADER_SEARCH_ROWS = 15  # an export may put a title, a date or a blank line above its header


def _known(cells: list, spec: SourceSpec) -> int:
    aliases = spec.alias_to_field
    return len({aliases[k] for k in (header_key(c) for c in cells if c is not None) if k in aliases})


def header_row(rows: list[list], spec: SourceSpec) -> int:
    """Which of the first rows is the header: the first with the most known column names (0 when none is)."""
    counts = [_known(r, spec) for r in rows[:HEADER_SEARCH_ROWS]]
    return max(range(len(counts)), key=lambda i: (counts[i], -i)) if counts and max(counts) else 0


def _fast_else(fast: Callable[[], Iterator[pl.DataFrame]], slower: RawStream, errors: tuple,
               empty: FileRefused) -> Iterator[pl.DataFrame]:
    """The fast reader's chunks; where it fails with ``errors``, the slower reader's: at once when nothing was
    handed on yet, else by ``ReadAgain`` (what was handed on is void). ``empty`` is raised for a file of no rows."""
    rows, failed = 0, False
    try:
        for frame in fast():
            rows += frame.height
            yield frame
    except errors:
        if rows:
            raise ReadAgain(slower) from None
        failed = True
    if failed:
        yield from slower.chunks()
    elif rows == 0:
        raise empty


def _stream_csv(path: Path, rel: str, spec: SourceSpec, chunk_rows: int | None) -> RawStream:
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(rel, "empty file (0 bytes)")
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    encoding = _detect_encoding(sample, rel)
    text_head = sample.decode(encoding, errors="replace")
    lines = text_head.splitlines()[:HEADER_SEARCH_ROWS] if text_head.strip() else []
    if not lines or not lines[0].strip() and len(lines) == 1:
        raise FileRefused(rel, "no header line: expected the export's column names on line 1")
    # the header line and its delimiter: the line (of the first few) and delimiter that name most known fields
    parsed = {d: [next(csv.reader([line[:20_000]], delimiter=d), []) for line in lines] for d in DELIMITERS}
    scores = {d: max(_known(cells, spec) for cells in rows) for d, rows in parsed.items()}
    delimiter = max(DELIMITERS, key=lambda d: (scores[d], -DELIMITERS.index(d)))
    if not scores[delimiter]:
        delimiter = _sniff_delimiter(lines[0])
    skip = header_row(parsed[delimiter], spec)
    if not lines[skip].strip():
        raise FileRefused(rel, "no header line: expected the export's column names on line 1")
    headers = parsed[delimiter][skip]
    mapping, unknown = map_headers([h.replace("\ufeff", "") for h in headers], spec, rel)
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise FileRefused(rel, f"duplicated header names {dupes}: each column needs its own name")
    options = dict(separator=delimiter, infer_schema=False, has_header=True, quote_char='"',
                   truncate_ragged_lines=True, raise_if_empty=False, skip_rows=skip)

    def unmarked(frame):  # a byte-order mark stays on the first column's name
        return frame.rename({c: c.replace("\ufeff", "") for c in frame.collect_schema().names() if "\ufeff" in c})

    def whole(source: io.BytesIO, enc: str) -> Iterator[pl.DataFrame]:
        """Text transcoded in memory to UTF-8, parsed at once and handed on in chunks."""
        try:
            frame = unmarked(pl.read_csv(source, encoding=enc, **options))
        except (pl.exceptions.ComputeError, UnicodeDecodeError) as err:
            if enc == "utf8-lossy":
                raise FileRefused(rel, f"CSV could not be parsed ({type(err).__name__}); expected {encoding} text "
                                  f"with {delimiter!r} between fields") from None
            yield from lossy()
            return
        if frame.height == 0:
            raise FileRefused(rel, "header only, no data rows")
        yield from _numbered(_slices(frame, chunk_rows), mapping)

    def lossy() -> Iterator[pl.DataFrame]:
        # bytes that are not UTF-8 past the sample: rows written in TIS-620 / Windows-874 inside a UTF-8
        # file are transcoded line by line; a line that is neither (a file cut inside a character) keeps
        # U+FFFD and fails its row check
        yield from whole(io.BytesIO(_mixed_lines_to_utf8(path.read_bytes())), "utf8-lossy")

    def streamed() -> Iterator[pl.DataFrame]:
        """A UTF-8 file parsed by the streaming engine, a chunk at a time (bounded memory)."""
        return _fast_else(lambda: _numbered(_batches(unmarked(pl.scan_csv(path, encoding="utf8", **options)), chunk_rows),
                                            mapping),
                          RawStream(lossy, "csv", encoding.replace("-sig", " with BOM"), delimiter, unknown),
                          (pl.exceptions.ComputeError, UnicodeDecodeError), FileRefused(rel, "header only, no data rows"))

    if encoding == "utf-8" or encoding == "utf-8-sig":
        chunks = streamed
    elif _has_utf8_thai_line(sample):  # rows of two exports merged: some UTF-8, some Windows-874
        encoding = "utf-8 and cp874 mixed"
        chunks = lambda: whole(io.BytesIO(_mixed_lines_to_utf8(path.read_bytes())), "utf8")  # noqa: E731
    else:  # polars reads UTF-8 only: transcode once
        chunks = lambda: whole(io.BytesIO(path.read_bytes().decode(encoding, errors="replace").encode("utf-8")), "utf8")  # noqa: E731
    return RawStream(chunks, "csv", encoding.replace("-sig", " with BOM"), delimiter, unknown)


def _stream_xlsx(path: Path, rel: str, spec: SourceSpec, chunk_rows: int | None) -> RawStream:
    """Every sheet with a known header, through calamine (fastexcel); a sheet is at most 1,048,576 rows."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as err:  # noqa: BLE001  (fastexcel raises its own error types)
        raise FileRefused(rel, f"not a readable xlsx workbook ({type(err).__name__})") from None
    frames, unknown, skipped, first_error = [], [], [], None
    for name in reader.sheet_names:
        try:
            top = reader.load_sheet(name, header_row=None, n_rows=HEADER_SEARCH_ROWS, dtypes="string").to_polars()
            skip = header_row([list(r) for r in top.iter_rows()], spec)
            sheet = reader.load_sheet(name, header_row=skip, dtypes="string").to_polars()
        except Exception as err:  # noqa: BLE001
            skipped.append(name)
            first_error = first_error or FileRefused(rel, f"sheet {name!r} unreadable ({type(err).__name__})")
            continue
        try:
            mapping, unk = map_headers(sheet.columns, spec, rel, where=f"sheet {name!r}: ")
        except FileRefused as refusal:
            skipped.append(name)
            first_error = first_error or refusal
            continue
        if sheet.height:
            frames.append(_finish(sheet, mapping, name))
        unknown.extend(unk)
    if not frames:
        if first_error:
            raise first_error
        raise FileRefused(rel, "workbook has no sheet with data rows")
    frame = pl.concat(frames, how="diagonal")
    return RawStream(lambda: _slices(frame, chunk_rows), "xlsx", unknown_columns=unknown, skipped_sheets=skipped)


def _stream_parquet(path: Path, rel: str, spec: SourceSpec, chunk_rows: int | None) -> RawStream:
    try:
        lf = pl.scan_parquet(path)
        columns = lf.collect_schema().names()
    except Exception as err:  # noqa: BLE001
        raise FileRefused(rel, f"not a readable Parquet file ({type(err).__name__})") from None
    mapping, unknown = map_headers(columns, spec, rel)

    def as_bytes() -> Iterator[pl.DataFrame]:  # text that is not UTF-8: read the bytes, decode what can be decoded
        yield from _numbered(_slices(_as_text(_parquet_as_bytes(path, list(mapping))), chunk_rows), mapping)

    def streamed() -> Iterator[pl.DataFrame]:
        return _fast_else(lambda: _numbered((_as_text(b) for b in _batches(lf.select(list(mapping)), chunk_rows)), mapping),
                          RawStream(as_bytes, "parquet", unknown_columns=unknown), (pl.exceptions.PolarsError,),
                          FileRefused(rel, "no data rows"))

    return RawStream(streamed, "parquet", unknown_columns=unknown)


def _parquet_as_bytes(path: Path, columns: list[str]) -> pl.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns)
    cols = {}
    for name in columns:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.binary()) if pa.types.is_string(col.type) else col.cast(pa.large_binary())
        cols[name] = col
    return pl.from_arrow(pa.table(cols))


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text: nested values as JSON, bytes decoded as UTF-8 (U+FFFD where they are not)."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Binary:
            values = frame[name].to_list()
            out.append(pl.Series(name, [v.decode("utf-8", errors="replace") if v is not None else None for v in values],
                                 dtype=pl.String))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
            as_json = pl.struct(col.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
            out.append(frame.select(pl.when(col.is_null()).then(None).otherwise(as_json).alias(name)).to_series())
        elif dtype == pl.Object or dtype == pl.Null:
            out.append(frame.select(col.cast(pl.String, strict=False)).to_series() if dtype == pl.Null
                       else pl.Series(name, [None if v is None else str(v) for v in frame[name].to_list()], dtype=pl.String))
        else:
            out.append(frame[name])
    return pl.DataFrame(out)


def stream_table(path: Path, rel: str, spec: SourceSpec, chunk_rows: int | None = 1_000_000) -> RawStream:
    """Open one file of a source to be read a chunk at a time (``chunk_rows`` None: one chunk, the whole file);
    raises FileRefused naming the file and what was expected (also from ``chunks()``, for what shows only once
    rows are read)."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(8)
    form = _detect_form(head)
    if form == "xlsx":
        return _stream_xlsx(path, rel, spec, chunk_rows)
    if form == "parquet":
        return _stream_parquet(path, rel, spec, chunk_rows)
    return _stream_csv(path, rel, spec, chunk_rows)


def read_table(path: Path, rel: str, spec: SourceSpec) -> RawTable:
    """Read one file of a source whole; raises FileRefused naming the file and what was expected."""
    stream = stream_table(path, rel, spec, None)
    while True:
        try:
            frames = list(stream.chunks())
            break
        except ReadAgain as again:
            stream = again.stream
    frame = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]
    return RawTable(frame, stream.form, stream.encoding, stream.delimiter, stream.unknown_columns, stream.skipped_sheets)
