"""Visit lists as field teams read them: a 60-child list printed through LibreOffice, and the PDF pack, checked
page by page (size, header on every page, every text line at 9 pt or more, Thai font embedded) and shown at a
phone's width in Chromium. Screenshots land in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import polars as pl
import pytest

import zero_dropout
from zero_dropout import worklist
from zero_dropout.visit_pack import pack_html, write_pack

ARTIFACTS = zero_dropout.PROJECT_ROOT / "test-artifacts"
A4_LANDSCAPE, A5_PORTRAIT = (841.9, 595.3), (419.5, 595.3)
MIN_PT = 9.0


def _children(n: int = 60) -> pl.DataFrame:
    """A synthetic tambon of ``n`` children with long texts where a real list has them."""
    rows = pl.DataFrame({name: [None] * n for _, name, _ in worklist.PREFILLED},
                        schema_overrides={"n": pl.Int64, "age": pl.Int64})
    return rows.with_columns(
        pl.Series("n", range(1, n + 1)), pl.Series("title", ["เด็กหญิง", "นาย"] * (n // 2)),
        pl.Series("first_name", [f"สมใจ{i}" for i in range(n)]), pl.Series("last_name", ["ศรีสุวรรณวงศ์"] * n),
        pl.Series("sex_th", ["หญิง", "ชาย"] * (n // 2)), pl.Series("age", [7 + i % 10 for i in range(n)]),
        pl.Series("house_no", [f"{i}/1" for i in range(n)]), pl.Series("moo", [str(1 + i // 20) for i in range(n)]),
        pl.Series("category_th", ["หลุดออกจากระบบการศึกษา (อาจกำลังเรียนอยู่: รอเจ้าหน้าที่ตรวจสอบ)", "ไม่เคยมีประวัติในระบบการศึกษา"] * (n // 2)),
        pl.Series("last_school", ["โรงเรียนบ้านหนองบัวแดงวิทยาคาร (1055123456)"] * n),
        pl.Series("earlier_survey", ["พบตัว · ปัญหาความยากจน · ทุนการศึกษา · 12/06/2567", None] * (n // 2)),
        pl.Series("survey_id", [f"2567-1-550101-{i:04d}" for i in range(n)]))


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run scripts/install-system-packages (the README's test command does)")


def _pages(pdf) -> list[dict]:
    """Per page: its size, its text, and the height of every word box (points)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page[2])
        pages.append({"size": (float(page[0]), float(page[1])), "words": [w for *_, w in words],
                      "heights": [float(b) - float(a) for a, b, _ in words]})
    return pages


def _fonts_embedded(pdf) -> list[str]:
    table = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert table and all(line.split()[-5] == "yes" for line in table), table  # the emb column
    return [line.split()[0].split("+")[-1] for line in table]


def _snapshot(pdf, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / name)], check=True)


def test_a_60_child_list_prints_on_a4_at_9_pt_with_the_header_on_every_page(tmp_path):
    _need("soffice", "pdftotext", "pdffonts", "pdftoppm")
    path = tmp_path / "worklist_55_2567-1_550101.xlsx"
    worklist.write_workbook(_children(60), path, "ตำบลในเวียง (550101) ภาคเรียน 1/2567")
    env = {**os.environ, "HOME": str(tmp_path)}  # LibreOffice keeps a profile in $HOME
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, env=env, timeout=180)
    pdf = path.with_suffix(".pdf")
    pages = [p for p in _pages(pdf) if "(restricted:" in " ".join(p["words"])]  # the list's pages (footer)
    assert len(pages) >= 2
    for p in pages:
        assert abs(p["size"][0] - A4_LANDSCAPE[0]) < 1 and abs(p["size"][1] - A4_LANDSCAPE[1]) < 1
        assert "ลำดับ" in p["words"] and "ผลการติดตาม" in p["words"]  # the header row repeated
        assert min(p["heights"]) >= MIN_PT
    text = " ".join(w for p in pages for w in p["words"])
    assert all(f"สมใจ{i}" in text for i in range(60))  # every child printed, Thai glyphs extractable
    assert "รหัสแบบสำรวจ" not in text and "เลขประจำตัวประชาชน" not in text  # technical columns outside the print
    assert "\ufffd" not in text and any("Loma" in f or "Garuda" in f or "Norasi" in f for f in _fonts_embedded(pdf))
    _snapshot(pdf, "visit_list_print")


def test_the_pdf_pack_reads_on_paper_and_on_a_phone(tmp_path):
    _need("pdftotext", "pdffonts", "pdftoppm")
    rows = _children(60)
    pdf = write_pack(rows, tmp_path / "worklist_55_2567-1_550101.pdf", "ตำบลในเวียง (550101) ภาคเรียน 1/2567",
                     worklist.RETURN_TO, amphoe="อำเภอเมืองน่าน (5501)")
    pages = _pages(pdf)
    assert all(abs(p["size"][0] - A5_PORTRAIT[0]) < 1 and abs(p["size"][1] - A5_PORTRAIT[1]) < 1 for p in pages)
    assert min(h for p in pages for h in p["heights"]) >= MIN_PT
    text = " ".join(w for p in pages for w in p["words"])
    cover = " ".join(pages[0]["words"])
    assert "60" in pages[0]["words"] and "inbox/" in cover and "(5501)" in cover  # the cover: amphoe, how many, where results go
    assert len(pages) <= 1 + 60 // 2 + 1  # two children a page at least
    # (Thai text read back from a PDF depends on the font's glyph map: names are checked, words are rendered)
    assert all(f"สมใจ{i}" in text for i in range(60))
    assert "\ufffd" not in text and _fonts_embedded(pdf)
    _snapshot(pdf, "visit_pack")
    from test_browser import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium not found: run scripts/install-system-packages")
    from playwright.sync_api import sync_playwright

    html = tmp_path / "pack.html"
    html.write_text(pack_html(rows, "ตำบลในเวียง (550101) ภาคเรียน 1/2567", worklist.RETURN_TO), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(html.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        page.screenshot(path=str(ARTIFACTS / "visit_pack_phone.png"))
        browser.close()
