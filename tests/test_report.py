"""The province report: self-contained, from the analyst file only, small counts suppressed, numbers right."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser

import duckdb
import polars as pl
import pytest

from zero_dropout import areas, report
from zero_dropout.terms import Term


class _Page(HTMLParser):
    """Collects what the checks need: attributes that could fetch something, numeric cells, charts."""

    def __init__(self):
        super().__init__()
        self.fetching, self.num_cells, self.charts, self.bars, self._in_num, self.texts = [], [], 0, 0, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "srcset", "action", "data"):
            if key in a:
                self.fetching.append(f"{tag}[{key}]")
        if tag in ("script", "iframe", "object", "embed", "link"):
            self.fetching.append(tag)
        if tag == "svg" and "chart" in a.get("class", ""):
            self.charts += 1
        if tag == "rect":
            self.bars += 1
        self._in_num = tag == "td" and "num" in a.get("class", "")

    def handle_data(self, data):
        self.texts.append(data)
        if self._in_num:
            self.num_cells.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_num = False


@pytest.fixture(scope="module")
def page(sample_warehouse):
    path = sample_warehouse / "reports" / "55" / "report_55_2567-1.html"  # written by the pipeline's report step
    html = path.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(html)
    return html, parsed


def test_report_is_self_contained_and_forbids_the_network(page):
    html, parsed = page
    assert parsed.fetching == []
    assert "default-src 'none'" in html  # Content-Security-Policy: nothing may be fetched
    assert "url(" not in html and "@import" not in html
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * parsed.charts  # namespaces only
    assert parsed.charts >= 7 and parsed.bars >= 20


def test_report_holds_no_identifier_or_name(page, sample_warehouse):
    html, _ = page
    assert not re.search(r"(?<![0-9])[0-9]{13}(?![0-9])", html)
    con = duckdb.connect(str(sample_warehouse / "restricted.duckdb"), read_only=True)
    people = con.sql("SELECT DISTINCT first_name, last_name, house_no FROM registry_people WHERE province_code = '55'").pl()
    con.close()
    full_names = {f"{a} {b}" for a, b in people.select("first_name", "last_name").drop_nulls().rows()}
    assert not [n for n in full_names if n in html]
    # single names: only where they are part of a place name (an amphoe or tambon is often named like a person)
    text = html
    for name in sorted(set(areas.tambons()["tambon_name_th"]) | set(areas.amphoes()["amphoe_name_th"]), key=len, reverse=True):
        text = text.replace(name, " ")
    names = set(people["first_name"].drop_nulls()) | set(people["last_name"].drop_nulls())
    assert not [n for n in names if len(n) >= 5 and n in text]


def test_counts_under_five_are_suppressed(page):
    _, parsed = page
    numbers = [c.replace(",", "") for c in parsed.num_cells]
    assert "<5" in numbers  # the samples have small tambons
    assert not [n for n in numbers if n in {"1", "2", "3", "4"}]


def test_report_figures_equal_the_analyst_tables(page, sample_warehouse):
    html, parsed = page
    con = duckdb.connect(str(sample_warehouse / "analyst.duckdb"), read_only=True)
    s = con.sql("SELECT * FROM partition_summary WHERE province_code = '55' ORDER BY term").pl()
    returned = con.sql("SELECT children FROM summary_by_transition WHERE province_code = '55' AND term = '2567-1' "
                       "AND transition = 'returned_to_school'").fetchall()[0][0]
    con.close()
    now, before = s.filter(pl.col("term") == "2567-1").row(0, named=True), s.filter(pl.col("term") == "2566-2").row(0, named=True)
    text = " ".join(parsed.texts)
    assert f"{now['target_population']:,}" in text and f"{now['out_of_school']:,}" in text
    # "N targeted, M returned, P%": the previous term's out-of-school children and how many are back in school
    assert f"กลับเข้าเรียน {returned} คน จากเด็กนอกระบบ {before['out_of_school']} คน " \
           f"({100 * returned / before['out_of_school']:.2f}%)" in text
    assert "จังหวัดน่าน" in text and "1/2567" in text and "2/2566" in text  # Thai name, both terms in the trend


def test_report_command_and_a_clear_error_for_a_term_not_loaded(sample_warehouse, tmp_path):
    out = tmp_path / "r.html"
    ok = subprocess.run([sys.executable, "-m", "pipelines.cli", "report", "--province", "40", "--term", "2566-2",
                         "--warehouse", str(sample_warehouse), "--out", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = subprocess.run([sys.executable, "-m", "pipelines.cli", "report", "--province", "40", "--term", "2568-1",
                          "--warehouse", str(sample_warehouse)], capture_output=True, text=True)
    assert bad.returncode == 1 and "not in" in bad.stderr and "2566-2, 2567-1" in bad.stderr
    with pytest.raises(report.ReportError, match="run the pipeline first"):
        report.write_report(tmp_path / "empty", "40", "2567-1")


def test_reports_of_many_partitions_read_at_once_equal_each_read_alone(sample_warehouse):
    """The report step reads every partition of its run in one pass (``load_many``); what a partition gets, and
    the page made of it, must not depend on which other partitions were asked with it."""
    analyst = sample_warehouse / "analyst.duckdb"
    with duckdb.connect(str(analyst), read_only=True) as con:
        keys = [(p, Term.parse(t)) for p, t in con.sql("SELECT DISTINCT province_code, term FROM partition_summary "
                                                        "ORDER BY ALL").fetchall()]
    assert len({p for p, _ in keys}) >= 2 and len({t for _, t in keys}) >= 2
    together = report.load_many(analyst, list(reversed(keys)))
    assert set(together) == {(p, str(t)) for p, t in keys}

    def same(a, b):
        if isinstance(a, pl.DataFrame):
            return a.schema == b.schema and a.equals(b)
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return a == b

    for province, term in keys:
        alone, many = report.load(analyst, province, term), together[(province, str(term))]
        for part in ("province", "term", "totals", "previous", "transitions", "trend", "frames", "health", "beyond"):
            assert same(getattr(alone, part), getattr(many, part)), (province, str(term), part)
        assert alone.frames["amphoe"].height and alone.health["ingest"].height  # counts, not empty frames
        assert report.render(alone) == report.render(many)
    with pytest.raises(report.ReportError, match="terms loaded: 2566-2, 2567-1"):
        report.load_many(analyst, [*keys, ("40", Term.parse("2568-1"))])
