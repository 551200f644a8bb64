"""Checks on the complete site that ``make report`` builds (run by ``make site-test``).

The browser test opens the pages in headless Chromium (Debian's ``chromium``, driven by
Playwright). Where the browser is missing it skips, unless ``DGR_REQUIRE_BROWSER=1`` (set by
``.ci/run``), where a missing browser fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from analysis.cleaning.privacy import PATTERNS
from analysis.core.paths import outputs_dir, sample_dir
from analysis.instrument.reference import load_provinces
from analysis.synthetic.sample import TEST_NAMES

SITE = outputs_dir() / "site"


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if not (SITE / "index.html").exists():
        pytest.fail("outputs/site/index.html is missing: run 'make report' first")


def test_every_province_has_both_pages() -> None:
    codes = load_provinces(in_survey_only=True)["iso_code"]
    missing = [f"{c}.{lang}.html" for c in codes for lang in ("th", "en")
               if not (SITE / "provinces" / f"{c}.{lang}.html").exists()]
    assert not missing, missing[:5]
    manifest = json.loads((outputs_dir() / "notebooks" / "provinces" / "manifest.json").read_text(encoding="utf-8"))
    assert all(t["status"] == "ok" for t in manifest["tasks"].values())


def test_no_personal_data_anywhere_under_outputs() -> None:
    raw = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = set(raw["respondent_name"]) - set(TEST_NAMES)
    needles = [n.encode("utf-8") for n in names | set(raw["respondent_email"]) | set(raw["respondent_phone"])]
    phones = {re.sub(r"\D", "", p)[-9:] for p in raw["respondent_phone"]}
    typed = [m for c in raw["comments"] for m in PATTERNS["phone"].findall(c)]  # e.g. "+66 81 234 5678"
    assert typed, "the sample should carry a phone number typed into a comment"
    needles += [m.encode("utf-8") for m in typed]
    phones |= {re.sub(r"\D", "", m)[-9:] for m in typed}
    for path in outputs_dir().rglob("*"):
        if not path.is_file() or path.suffix == ".png":
            continue
        data = path.read_bytes()
        for n in needles:
            assert n not in data, f"{path}: personal data {n.decode()!r}"
        if path.suffix in (".csv", ".json", ".html", ".md"):
            digits = set(re.findall(r"(?<!\d)\d{9}(?!\d)", re.sub(r"[\s\-+]", "", data.decode("utf-8", "ignore"))))
            assert not digits & phones, f"{path}: a phone number"


def test_no_unescaped_comment_in_pages() -> None:
    raw = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    risky = {c for c in raw["comments"] if re.search(r"[<>&]", c)}
    assert risky
    for page in SITE.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for c in risky:
            assert c not in text, f"{page.name}: comment {c!r} unescaped"


def _browser():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    required = os.environ.get("DGR_REQUIRE_BROWSER") == "1"
    if exe is None:
        if required:
            pytest.fail("DGR_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH")
    from playwright.sync_api import sync_playwright

    return exe, sync_playwright


# the HTML charts of a province page: each is drawn (has a size) with its rows; the pillar chart's
# marks (positioned boxes) stay inside its plot area
_CHART_BOXES = """Array.from(document.querySelectorAll('table.dgr-pillars, table.dgr-heatmap')).map(t => {
  const r = t.getBoundingClientRect();
  const outside = Array.from(t.querySelectorAll('td[aria-hidden] div div')).filter(m => {
    const c = m.parentElement.getBoundingClientRect(), b = m.getBoundingClientRect();
    return b.left < c.left - 6 || b.right > c.right + 6;}).length;
  const marks = t.querySelectorAll('td[aria-hidden] div div[style*="calc("]').length;
  return [t.className, r.width, r.height, outside, marks, t.querySelectorAll('tbody th[scope=row]').length];})"""
#: rows and drawn point marks expected in each chart (6 pillars x 3 series; 19 agencies)
_CHART_SHAPES = {"dgr-pillars": (6, 18), "dgr-heatmap": (19, 0)}


def _check_page(page, url: str, shot: Path, charts: tuple[str, ...] = ()) -> list[str]:
    """Open ``url``; return its relative links. Asserts images loaded, HTML charts drawn, Thai text present."""
    page.goto(url)
    page.wait_for_load_state("load")
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert all(ok and w > 0 for ok, w in images), f"{url}: an image did not load"
    boxes = {name: rest for name, *rest in page.evaluate(_CHART_BOXES)}
    assert len(images) + len(boxes) > 0, f"{url}: no charts"
    for name in charts:
        assert name in boxes, f"{url}: chart {name} missing"
        w, h, outside, marks, rows = boxes[name]
        assert w > 300 and h > 150, f"{url}: chart {name} not drawn ({w:.0f} x {h:.0f} px)"
        assert (rows, marks) == _CHART_SHAPES[name], f"{url}: {name} has {rows} rows and {marks} marks"
        assert outside == 0, f"{url}: {outside} marks of {name} fall outside the plot"
    text = page.inner_text("body")
    assert re.search("[\u0e01-\u0e5b]{5,}", text), f"{url}: no Thai text"
    assert page.evaluate("document.fonts.check('16px Sarabun')"), f"{url}: Sarabun not available"
    page.screenshot(path=str(shot), full_page=False)
    return page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")


def test_site_in_headless_chromium() -> None:
    exe, sync_playwright = _browser()
    shots = outputs_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        links = _check_page(page, (SITE / "index.html").as_uri(), shots / "index.png")
        local = [h for h in links if not urlparse(h).scheme and not h.startswith("#")]
        assert len(local) >= 152, "the index links every province page in both languages"
        for href in local:
            assert (SITE / unquote(href)).resolve().exists(), f"index.html: broken link {href}"
        for rel, shot in (("provinces/TH-50.th.html", "TH-50.th.png"), ("provinces/TH-96.en.html", "TH-96.en.png")):
            back = _check_page(page, (SITE / rel).as_uri(), shots / shot, charts=("dgr-pillars", "dgr-heatmap"))
            for href in back:
                if not urlparse(href).scheme and not href.startswith("#"):
                    assert ((SITE / rel).parent / unquote(href)).resolve().exists(), f"{rel}: broken link {href}"
        browser.close()
