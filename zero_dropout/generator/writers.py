"""Writing a frame in the file forms the contract names, byte-for-byte reproducibly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

FIXED_CREATED = dt.datetime(2024, 1, 1)


def write_csv(frame: pl.DataFrame, path: Path, *, encoding: str = "utf-8", bom: bool = False, delimiter: str = ",") -> None:
    text = frame.write_csv(separator=delimiter, null_value="", quote_style="necessary")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_xlsx(frame: pl.DataFrame, path: Path, sheet: str = "data") -> None:
    # strings stay strings: no formulas, no numbers (keeps leading zeros and =, +, -, @ as text)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    wb.set_properties({"created": FIXED_CREATED})
    frame.write_excel(wb, worksheet=sheet, autofit=False, table_style=None)
    wb.close()


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, compression="zstd", statistics=False)


FORMS = {
    "csv_tis620_comma": (".csv", lambda f, p: write_csv(f, p, encoding="cp874")),
    "csv_utf8bom_pipe": (".csv", lambda f, p: write_csv(f, p, bom=True, delimiter="|")),
    "csv_utf8_tab": (".csv", lambda f, p: write_csv(f, p, delimiter="\t")),
    "csv_utf8_comma": (".csv", lambda f, p: write_csv(f, p)),
    "xlsx": (".xlsx", write_xlsx),
    "parquet": (".parquet", write_parquet),
}


def write_form(frame: pl.DataFrame, folder: Path, stem: str, form: str) -> Path:
    suffix, writer = FORMS[form]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}{suffix}"
    writer(frame, path)
    return path
