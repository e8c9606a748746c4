"""A visit pack per tambon as PDF: a cover, then the children grouped by moo in walking order, each on a card
with tick boxes for what the team finds, in the contract's Thai words.

A5 portrait at 10 pt: it reads on paper and, page by page, on a phone. Rendered from HTML by WeasyPrint,
which shapes Thai with Pango and HarfBuzz and embeds the font (a Thai font from Debian's fonts-thai-tlwg,
installed by scripts/install-system-packages). Restricted: the pack holds names and addresses.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import polars as pl

from zero_dropout.contract import load_contract

CSS = """
@page { size: A5 portrait; margin: 12mm 10mm 14mm 10mm;
        @bottom-left { content: string(tambon); font-size: 9pt; }
        @bottom-right { content: "หน้า " counter(page) " / " counter(pages); font-size: 9pt; }
        @top-right { content: "ข้อมูลส่วนบุคคล ใช้เฉพาะงานติดตาม"; font-size: 9pt; } }
html { font-family: "Loma", "Garuda", "Norasi", "Noto Sans Thai", sans-serif; font-size: 10pt; line-height: 1.3; }
h1 { font-size: 16pt; margin: 0 0 4mm; string-set: tambon content(); }
h2 { font-size: 13pt; margin: 5mm 0 2mm; border-bottom: 1px solid #555; break-after: avoid; }
.cover { break-after: page; }
.cover p { margin: 2mm 0; }
.notice { border: 1.5px solid #b00; padding: 2mm 3mm; margin-top: 6mm; }
.child { border: 1px solid #888; border-radius: 2mm; padding: 1.5mm 2.5mm; margin: 0 0 2.5mm; break-inside: avoid; }
.who { font-weight: bold; font-size: 11pt; }
.row { margin: 0; }
.facts .row { display: inline; margin-right: 3mm; }
.label { color: #444; }
.ticks { margin: 0.5mm 0 0; }
.ticks span { display: inline-block; margin: 0 3mm 0 0; white-space: nowrap; }
.box { display: inline-block; width: 3.2mm; height: 3.2mm; border: 1px solid #000; margin-right: 1mm;
       vertical-align: -0.4mm; }
.blank { display: inline-block; border-bottom: 1px dotted #000; min-width: 35mm; }
"""


def _ticks(label: str, words: list[str]) -> str:
    boxes = "".join(f'<span><i class="box"></i>{escape(w)}</span>' for w in words)
    return f'<div class="ticks"><span class="label">{escape(label)}:</span> {boxes}</div>'


def pack_html(rows: pl.DataFrame, title: str, return_to: str, amphoe: str = "") -> str:
    """The pack of one tambon: ``rows`` as the visit list has them (walking order), ``title`` names the tambon
    and term, ``amphoe`` the amphoe."""
    c = load_contract()
    words = {k: list(c.thai_words(k).values()) for k in ("found_status", "reason", "need")}
    cover = (f'<section class="cover"><h1>{escape(title)}</h1>'
             + (f"<p>{escape(amphoe)}</p>" if amphoe else "")
             + f"<p>เด็กและเยาวชนที่ต้องติดตาม: <b>{rows.height}</b> คน</p>"
             "<p>เรียงตามหมู่และบ้านเลขที่ ทำเครื่องหมายในช่องที่ตรงกับสิ่งที่พบ ระบุวันที่และหน่วยงาน</p>"
             f"<p>ส่งผลคืน: {escape(return_to)}</p>"
             '<p class="notice">ข้อมูลส่วนบุคคลตาม พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล ใช้เฉพาะงานติดตามเด็กกลับเข้าสู่การเรียน '
             "ห้ามถ่ายภาพ ส่งต่อ หรือเผยแพร่ เมื่อเสร็จงานให้ส่งคืนหรือทำลาย</p></section>")
    parts = [cover]
    for (moo,), group in rows.partition_by("moo", as_dict=True, maintain_order=True).items():
        parts.append(f"<h2>หมู่ {escape(str(moo or '-'))}</h2>")
        for r in group.iter_rows(named=True):
            name = " ".join(escape(str(r.get(k) or "")) for k in ("title", "first_name", "last_name")).strip()
            facts = [("เพศ", r.get("sex_th")), ("อายุ", r.get("age")), ("บ้านเลขที่", r.get("house_no")),
                     ("ประเภท", r.get("category_th")), ("โรงเรียนล่าสุด", r.get("last_school")),
                     ("ติดตามครั้งก่อน", r.get("earlier_survey")), ("รหัสแบบสำรวจ", r.get("survey_id"))]
            lines = "".join(f'<div class="row"><span class="label">{escape(k)}:</span> {escape(str(v))}</div>'
                            for k, v in facts if v not in (None, ""))
            parts.append(f'<div class="child"><div class="who">{r.get("n")}. {name}</div><div class="facts">{lines}</div>'
                         + _ticks("ผลการติดตาม", words["found_status"]) + _ticks("สาเหตุ", words["reason"])
                         + _ticks("ความต้องการ", words["need"])
                         + '<div class="row">วันที่ <i class="blank"></i> หน่วยงาน <i class="blank"></i></div></div>')
    return (f'<!doctype html><html lang="th"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")


def write_pack(rows: pl.DataFrame, path: Path, title: str, return_to: str, amphoe: str = "") -> Path:
    """Write the pack as PDF (and nothing else); a temporary name is renamed into place."""
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    HTML(string=pack_html(rows, title, return_to, amphoe)).write_pdf(tmp)
    tmp.replace(path)
    return path
