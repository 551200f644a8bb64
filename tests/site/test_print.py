"""The printed brief: a province page on A4 in real Chromium (run after ``make report``).

A Thai and an English page are printed to PDF with the site's print stylesheet, as
``python -m analysis pdf`` does: each must fit on at most two A4 pages, without the header's
navigation (overview and other-language links). The PDFs and a PNG of the Thai page rendered with
print media go to ``outputs/screenshots/`` for review. The ``pdf`` command is also run end to end
on a copy of the site, and without Chromium it must say what to install. Browser tests skip where
Chromium is missing, unless ``DGR_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from analysis.core.paths import outputs_dir
from analysis.pipeline import pdf

SITE = outputs_dir() / "site"
SHOTS = outputs_dir() / "screenshots"
#: the pages printed: a Thai and an English page (Chiang Mai; Yala, whose names are long)
PRINTED = ("TH-50.th", "TH-50.en", "TH-96.en")
#: A4 in PostScript points (210 x 297 mm), as Chromium writes the MediaBox
A4_POINTS = (595.0, 842.0)


@pytest.fixture(scope="module")
def built() -> None:
    if not (SITE / "index.html").exists():
        pytest.fail("outputs/site/index.html is missing: run 'make report' first")


@pytest.fixture()
def browser(built):
    """A headless Chromium (Debian's, driven by Playwright) for one test (Playwright's sync API
    allows one running instance at a time, and the ``pdf`` command starts its own)."""
    exe = pdf.find_chromium()
    if exe is None:
        if os.environ.get("DGR_REQUIRE_BROWSER") == "1":
            pytest.fail("DGR_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=pdf.CHROMIUM_ARGS)
        yield b
        b.close()


def _media_boxes(data: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in
            re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)]


@pytest.mark.parametrize("stem", PRINTED)
def test_province_page_prints_on_at_most_two_a4_pages(browser, stem: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    out = SHOTS / f"{stem}.print.pdf"
    n = pdf.print_page(page, SITE / "provinces" / f"{stem}.html", out)
    data = out.read_bytes()
    assert n == pdf.count_pdf_pages(data) >= 1
    assert n <= 2, f"{stem} prints on {n} A4 pages"
    boxes = _media_boxes(data)
    assert boxes and all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in boxes), boxes
    # the header's links are not printed: no link annotation to the overview or the other language
    assert b"index.html" not in data, f"{stem}: the overview link is printed"
    other = stem[:-2] + ("en" if stem.endswith("th") else "th")
    assert f"{other}.html".encode() not in data, f"{stem}: the other-language link is printed"
    print(f"{stem}: {n} A4 pages, {len(data):,} bytes")
    page.close()


def test_print_layout_in_print_media(browser) -> None:
    """With print media: the navigation is hidden, the provenance line kept, headings kept with what
    follows them, wide outputs not scrolling; a PNG of the printed Thai page saved for review."""
    page = browser.new_page(viewport={"width": 700, "height": 1000})  # about A4's width inside its margins
    page.goto((SITE / "provinces" / "TH-50.th.html").as_uri())
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    page.evaluate("document.fonts.ready.then(() => true)")
    style = page.evaluate("""() => {
      const s = (q, p) => getComputedStyle(document.querySelector(q))[p];
      return {nav: s('.site-nav', 'display'), provenance: s('.site-provenance', 'display'),
              h2: s('main h2', 'breakAfter'), output: s('.output-html', 'overflowX'),
              links: Array.from(document.querySelectorAll('a[href]')).filter(a => a.getClientRects().length)
                       .map(a => a.getAttribute('href'))};
    }""")
    assert style["nav"] == "none" and style["provenance"] != "none"
    assert style["h2"] == "avoid" and style["output"] == "visible"
    assert not style["links"], f"links shown in print: {style['links']}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 700, "something wider than the paper"
    page.screenshot(path=str(SHOTS / "TH-50.th.print.png"), full_page=True)
    page.close()


def test_pdf_command_writes_every_page_atomically(built, tmp_path: Path) -> None:
    """``python -m analysis pdf`` on a copy of the site: the chosen pages and the overview as PDFs,
    no temporary file left behind (a copy, so the real site's weight is not changed)."""
    if pdf.missing_requirement():
        pytest.skip(pdf.missing_requirement())
    shutil.copytree(SITE, tmp_path / "site", ignore=shutil.ignore_patterns("pdf"))
    assert pdf.main(["--outputs", str(tmp_path), "--provinces", "TH-50", "--lang", "th,en"]) == 0
    written = sorted(p.name for p in (tmp_path / "site" / "pdf").iterdir())
    assert written == ["TH-50.en.pdf", "TH-50.th.pdf", "index.pdf"]
    for name in written:
        assert (tmp_path / "site" / "pdf" / name).read_bytes().startswith(b"%PDF-")


def test_pdf_command_without_chromium_says_what_to_install(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert pdf.main(["--outputs", str(tmp_path), "--provinces", "TH-50"]) == 1
    err = capsys.readouterr().err
    assert "no Chromium" in err and "apt-get install chromium" in err and "pip install playwright" in err
    assert not (tmp_path / "site" / "pdf").exists()
