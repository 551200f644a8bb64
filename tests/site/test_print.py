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
import zlib
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


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}


def _stream(body: bytes) -> bytes:
    m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    if not m:
        return b""
    return zlib.decompress(m.group(1)) if b"/FlateDecode" in body[:m.start()] else m.group(1)


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A font's ToUnicode CMap as glyph id -> text (bfchar and bfrange entries)."""
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for a, b in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(a, 16)] = bytes.fromhex(b.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for a, b, c in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for k in range(int(a, 16), int(b, 16) + 1):
                table[k] = chr(int(c, 16) + k - int(a, 16))
    return table


def pdf_page_texts(data: bytes) -> list[str]:
    """The text drawn on each page of a PDF Chromium (Skia) printed, in page order.

    Enough for Chromium's PDFs (objects not in object streams, Flate content streams, Type0 fonts
    with 2-byte glyph ids and ToUnicode maps): each hex string shown with Tj/TJ is mapped through
    its font's ToUnicode table; text objects are separated by a space.
    """
    objs = _objects(data)
    root = next(b for b in objs.values() if re.search(rb"/Type\s*/Pages\b", b) and b"/Parent" not in b)

    def leaves(body: bytes) -> list[bytes]:
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        if kids is None:
            return [body]
        return [leaf for n in re.findall(rb"(\d+) 0 R", kids.group(1)) for leaf in leaves(objs[int(n)])]

    texts = []
    for page in leaves(root):
        res = re.search(rb"/Resources\s+(\d+) 0 R", page)
        resources = objs[int(res.group(1))] if res else page
        inline = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)
        ref = re.search(rb"/Font\s+(\d+) 0 R", resources)
        font_dict = inline.group(1) if inline else objs[int(ref.group(1))] if ref else b""
        fonts = {}
        for name, num in re.findall(rb"/([A-Za-z0-9]+)\s+(\d+) 0 R", font_dict):
            tu = re.search(rb"/ToUnicode\s+(\d+) 0 R", objs[int(num)])
            fonts[name] = _to_unicode(_stream(objs[int(tu.group(1))])) if tu else {}
        content = b"".join(_stream(objs[int(n)]) for n in
                           re.findall(rb"(\d+) 0 R", re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", page, re.S).group(1)))
        out: list[str] = []
        font: dict[int, str] = {}
        for tok in re.finditer(rb"/([A-Za-z0-9]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\bET\b", content):
            if tok.group(1):
                font = fonts.get(tok.group(1), {})
            elif tok.group(2) is not None:
                h = tok.group(2)
                out.append("".join(font.get(int(h[i:i + 4], 16), "") for i in range(0, len(h), 4)))
            else:
                out.append(" ")
        texts.append(re.sub(r"\s+", " ", "".join(out)))
    return texts


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


def test_every_printed_page_has_the_running_header(browser) -> None:
    """Each A4 page, not only the first, says the province, survey round, date and data source (the
    @page margin box fed by the page's --dgr-running), and the second page has the rest of the brief."""
    page = browser.new_page()
    out = SHOTS / "TH-50.en.print.pdf"
    n = pdf.print_page(page, SITE / "provinces" / "TH-50.en.html", out)
    page.close()
    texts = pdf_page_texts(out.read_bytes())
    assert len(texts) == n == 2, f"the English Chiang Mai page prints on {n} pages (expected 2 to test page 2)"
    source = re.search(r"Data: ([^·]+?) ·", (SITE / "provinces" / "TH-50.en.html").read_text(encoding="utf-8"))
    assert source, "the page names its data source"
    for k, text in enumerate(texts, start=1):
        for part in ("Chiang Mai", "Survey round 2018", source.group(1).strip()):
            assert part in text, f"page {k} lacks {part!r} in its running header: {text[:300]!r}"
        assert re.search(r"(Produced|Responses) \d{1,2} [A-Z][a-z]{2} \d{4}", text), f"page {k}: no date"
        assert f"{k} / {n}" in text, f"page {k}: page number"
    assert "Caveats" in "".join(texts), "the brief's last section is printed"


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
