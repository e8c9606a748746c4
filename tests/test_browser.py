"""Seen as a person sees it: the report and the Dagster UI in a real browser (Debian's chromium, headless).

Screenshots are saved in test-artifacts/ at the project root.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import zero_dropout
from dagster_dev import dagster_dev

CHROMIUM = os.environ.get("ZERO_DROPOUT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = zero_dropout.PROJECT_ROOT / "test-artifacts"
# Chromium as root in a container, on a machine with no network: no sandbox, no background traffic.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run"]
THAI = re.compile("[\u0e00-\u0e7f]")


def _thai_font_families() -> set[str]:
    out = subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: install Debian's chromium and fonts-thai-tlwg "
                    "(see the README's test command)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _watch(page) -> dict[str, list[str]]:
    seen = {"console_errors": [], "page_errors": [], "requests": []}
    page.on("console", lambda m: seen["console_errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    return seen


def _fonts_used(page, selector: str) -> list[dict]:
    """The platform fonts Chromium actually drew a node's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_report_renders_thai_text_and_every_chart_offline(browser, sample_warehouse):
    report = sample_warehouse / "reports" / "55" / "report_55_2567-1.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page)
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "report_55_2567-1.png"), full_page=True)

    assert seen["console_errors"] == [] and seen["page_errors"] == []
    assert [u for u in seen["requests"] if not u.startswith("file://")] == []  # nothing from the network
    charts = page.locator("svg.chart")
    assert charts.count() >= 7
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20, f"chart {i} not drawn"
        assert chart.locator("rect").count() + chart.locator("text", has_text="<5").count() > 0, f"chart {i} is empty"

    thai_fonts = _thai_font_families()
    assert thai_fonts, "no font with Thai glyphs installed (fonts-thai-tlwg)"
    for selector in ("h1", "svg.chart text", ".card .label"):
        text = page.locator(selector).first.inner_text() if selector != "svg.chart text" else \
            page.locator(selector).first.text_content()
        assert THAI.search(text)
        used = [f for f in _fonts_used(page, selector) if f["glyphCount"] > 0]
        assert used and all(f["familyName"] in thai_fonts for f in used), \
            f"{selector}: Thai text drawn with {used}, not with a Thai font ({sorted(thai_fonts)[:5]} ...): boxes"
    page.close()


def test_dagster_ui_shows_the_assets_and_the_latest_counts(browser, samples, tmp_path):
    home, warehouse = tmp_path / "dagster_home", tmp_path / "warehouse"
    home.mkdir()
    env = {"DAGSTER_HOME": str(home), "ZERO_DROPOUT_INBOX": str(samples / "inbox"), "ZERO_DROPOUT_WAREHOUSE": str(warehouse),
           "ZERO_DROPOUT_PSEUDONYM_KEY": "ui-test-key", "DAGSTER_DISABLE_TELEMETRY": "1"}
    # materialise into a persistent instance, as a nightly run would, then open the UI on it
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--warehouse", str(warehouse)],
                          env={**os.environ, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    import duckdb

    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    out_of_school = con.sql("SELECT count(*) FROM out_of_school").fetchall()[0][0]
    con.close()

    with dagster_dev(env) as (port, nodes, stopped):
        page = browser.new_page(viewport={"width": 3600, "height": 2400})  # the whole group graph in view
        seen = _watch(page)
        base = f"http://127.0.0.1:{port}"
        # the term assets, then the province history that reads every term of a province (the cross-term
        # dependencies), its publication, and the load
        graphs = {"linkage": ("registry_people", "moe_students", "survey_responses", "target_population", "moe_links",
                              "moe_review_queue", "survey_links", "survey_review_queue", "aid_payments", "aid_links",
                              "justice_records", "justice_links"),
                  "out_of_school": ("moe_link_rates", "cohort_status", "out_of_school_children", "term_transitions",
                                    "out_of_school_summaries", "target_group_children", "risk_stages", "aid_by_child",
                                    "published_province", "restricted_warehouse"),
                  "warehouse": ("restricted_warehouse", "analyst_warehouse", "province_report")}
        for group, names in graphs.items():
            page.goto(f"{base}/locations/zero_dropout/asset-groups/{group}")
            for name in names:
                page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
            _dismiss_welcome(page)
            loading = page.get_by_text("Loading...")
            if loading.count():
                loading.first.wait_for(state="hidden", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / f"dagster_graph_{group}.png"))

        page.goto(f"{base}/assets/restricted_warehouse")
        page.get_by_text("rows_out_of_school", exact=True).first.wait_for(timeout=60_000)
        page.get_by_text(f"{out_of_school:,}", exact=True).first.wait_for(timeout=30_000)
        _dismiss_welcome(page)
        page.screenshot(path=str(ARTIFACTS / "dagster_restricted_warehouse.png"), full_page=True)
        assert seen["page_errors"] == []
        page.close()
    assert stopped.cleanly


def _dismiss_welcome(page) -> None:
    """The UI greets a new instance with a newsletter dialog; a person would press Skip."""
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
