"""Checks on the complete site that ``make report`` builds (run by ``make site-test``).

The browser tests open the pages in headless Chromium (Debian's ``chromium``, driven by
Playwright): from the folder (file://) and served over HTTP, at a phone's width (390 px) and a
desktop's (1280 px), with every request intercepted. Nothing may be cut off, every table and link
must be reachable, and no request may leave the site. Screenshots go to ``outputs/screenshots/``
for review. Where the browser is missing they skip, unless ``DGR_REQUIRE_BROWSER=1`` (set by
``.ci/run``), where a missing browser fails the test.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from analysis.cleaning.privacy import PATTERNS
from analysis.core.paths import outputs_dir, sample_dir
from analysis.instrument.reference import load_provinces
from analysis.pipeline.batch import provenance
from analysis.synthetic.sample import TEST_NAMES

SITE = outputs_dir() / "site"
#: the issue's budget: a province page with everything it embeds and links, and the whole site
PAGE_BUDGET = 100_000
SITE_BUDGET = 15_000_000
#: a phone's width and a desktop's
WIDTHS = (390, 1280)
#: the pages looked at in the browser at both widths (the overview, a Thai and two English pages,
#: the glossary in both languages)
REVIEWED = ("index.html", "provinces/TH-50.th.html", "provinces/TH-50.en.html", "provinces/TH-96.en.html",
            "glossary.th.html", "glossary.en.html")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


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


def _link_target_exists(page: Path, href: str) -> bool:
    """A relative link from ``page`` leads to an existing file, and to an element with the id of its
    fragment when it has one (``../glossary.th.html#term-icc``)."""
    path, _, fragment = unquote(href).partition("#")
    target = (page.parent / path).resolve() if path else page
    if not target.exists():
        return False
    return not fragment or f'id="{fragment}"' in target.read_text(encoding="utf-8")


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
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        links = _check_page(page, (SITE / "index.html").as_uri(), shots / "index.png")
        local = [h for h in links if not urlparse(h).scheme and not h.startswith("#")]
        assert len(local) >= 152, "the index links every province page in both languages"
        for href in local:
            assert _link_target_exists(SITE / "index.html", href), f"index.html: broken link {href}"
        for rel, shot in (("provinces/TH-50.th.html", "TH-50.th.png"), ("provinces/TH-96.en.html", "TH-96.en.png")):
            back = _check_page(page, (SITE / rel).as_uri(), shots / shot, charts=("dgr-pillars", "dgr-heatmap"))
            for href in back:
                if not urlparse(href).scheme:
                    assert _link_target_exists(SITE / rel, href), f"{rel}: broken link {href}"
        browser.close()


def test_glossary_pages_and_every_header_links_them() -> None:
    """The bilingual glossary at the site's root, linked from the header of every page; the "how to
    read this" box of each province page with data links existing entries of its language's glossary."""
    pages = {lang: (SITE / f"glossary.{lang}.html").read_text(encoding="utf-8") for lang in ("th", "en")}
    for lang, text in pages.items():
        assert 'id="term-icc"' in text and 'id="term-bca"' in text and 'id="term-sobol"' in text, lang
    for page in sorted((SITE / "provinces").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        lang = page.name.split(".")[1]
        nav = text[text.index("<nav"):text.index("</nav>")]
        assert f'href="../glossary.{lang}.html"' in nav, f"{page.name}: no glossary link in the header"
        box = re.search(r'<aside[^>]*class="dgr-howto".*?</aside>', text, re.S)
        if 'class="dgr-heatmap"' in text:  # a province with data
            assert box, f"{page.name}: no 'how to read this' box"
            links = re.findall(r'href="\.\./glossary\.(\w\w)\.html#([\w-]+)"', box.group(0))
            assert len(links) >= 3 and {lg for lg, _ in links} == {lang}
            assert all(f'id="{frag}"' in pages[lang] for _, frag in links), page.name
    index = (SITE / "index.html").read_text(encoding="utf-8")
    nav = index[index.index("<nav"):index.index("</nav>")]
    assert 'href="glossary.th.html"' in nav and 'href="glossary.en.html"' in nav


def test_every_page_has_its_language_and_title() -> None:
    """``<html lang>`` of the page's language; ``<title>`` "จังหวัดเชียงใหม่ · ความพร้อมรัฐบาลดิจิทัล 2561"."""
    year = provenance().round_year
    assert year, "the survey round's year"
    for r in load_provinces(in_survey_only=True).itertuples():
        for lang, title in (("th", f"จังหวัด{r.name_th} · ความพร้อมรัฐบาลดิจิทัล {year + 543}"),
                            ("en", f"{r.name_en} · Digital government readiness {year}")):
            text = (SITE / "provinces" / f"{r.iso_code}.{lang}.html").read_text(encoding="utf-8")
            assert f'<html lang="{lang}" ' in text, f"{r.iso_code}.{lang}: lang"
            assert f"<title>{title}</title>" in text, f"{r.iso_code}.{lang}: title"
    index = (SITE / "index.html").read_text(encoding="utf-8")
    assert '<html lang="th" ' in index
    assert f"<title>ความพร้อมรัฐบาลดิจิทัล {year + 543} · Digital government readiness {year}</title>" in index


def _local_resources(page: Path) -> list[Path]:
    """The files a page links for its display (stylesheets, images, scripts), not data: URIs."""
    text = page.read_text(encoding="utf-8")
    refs = re.findall(r'<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"|<(?:img|script)[^>]*src="([^"]+)"', text)
    paths = [a or b for a, b in refs]
    assert not [u for u in paths if urlparse(u).scheme not in ("", "data")], f"{page.name} links outside the site"
    return [(page.parent / unquote(u)).resolve() for u in paths if not u.startswith("data:")]


def test_page_weights_within_budget() -> None:
    """A province page with what it embeds and links at most 100 KB; the whole site at most 15 MB."""
    weights = {}
    for page in sorted((SITE / "provinces").glob("*.html")):
        own = _local_resources(page)
        assert all(r.exists() for r in own), f"{page.name}: missing {[str(r) for r in own if not r.exists()]}"
        weights[page.name] = page.stat().st_size + sum(r.stat().st_size for r in own)
    heaviest = max(weights, key=weights.get)
    assert weights[heaviest] <= PAGE_BUDGET, f"{heaviest}: {weights[heaviest]:,} bytes with its stylesheet"
    site = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    assert site <= SITE_BUDGET, f"the site is {site:,} bytes"
    print(f"heaviest province page {heaviest} {weights[heaviest]:,} B (with site.css); site {site:,} B")


#: Anything cut off at this width: the page wider than the window, a box that hides what overflows
#: it, a scrolling box other than the outputs' own (.output-html, .output-text), and every table
#: and visible link that is neither inside the window nor inside such a scroll box that is.
#: (An element that overflows visibly, like the pillar chart's "100" centred on its last gridline,
#: is cut off only where a box or the window clips it, which the first two checks catch.)
_LAYOUT = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  const name = e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '');
  const own = e => e.classList.contains('output-html') || e.classList.contains('output-text');
  if (document.documentElement.scrollWidth > window.innerWidth) bad.push('page scrolls sideways: ' +
      document.documentElement.scrollWidth);
  for (const e of document.querySelectorAll('body *')) {
    const o = getComputedStyle(e).overflowX;
    const over = e.scrollWidth > e.clientWidth + 1;
    if (over && (o === 'hidden' || o === 'clip')) bad.push('clips: ' + name(e));
    if (over && (o === 'auto' || o === 'scroll') && !own(e)) bad.push('scrolls: ' + name(e));
  }
  const reachable = e => {
    const inside = r => r.left >= -1 && r.right <= vw + 1;
    if (inside(e.getBoundingClientRect())) return true;
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return own(p) && inside(p.getBoundingClientRect());
    }
    return false;
  };
  for (const t of document.querySelectorAll('table')) if (!reachable(t)) bad.push('table out of reach: ' + name(t));
  for (const a of document.querySelectorAll('a[href]')) {
    const r = a.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && !reachable(a)) bad.push('link out of reach: ' + a.getAttribute('href'));
  }
  return bad;
}"""
#: Sarabun from the shared stylesheet, loaded (document.fonts.check is also true for a font no rule names)
_SARABUN = """() => document.fonts.ready.then(() => Array.from(document.fonts)
  .filter(f => f.family.replace(/["']/g, '') === 'Sarabun' && f.status === 'loaded').length)"""


def _guarded(page, allowed: tuple[str, ...]) -> list[str]:
    """Intercept every request of ``page``; the list fills with those to anywhere but ``allowed``
    (which are refused, so the test never waits on the network)."""
    outside: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate(_SARABUN) >= 1, f"{url}: Sarabun from assets/site.css did not load"


def test_layout_at_phone_and_desktop_widths() -> None:
    """At 390 and 1280 px: nothing cut off, every table and link reachable, no request outside the
    site, the page's lang and title; full-page screenshots saved for review."""
    exe, sync_playwright = _browser()
    shots = outputs_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            outside = _guarded(page, ("file://",))
            for rel in REVIEWED:
                _open(page, (SITE / rel).as_uri())
                bad = page.evaluate(_LAYOUT)
                assert not bad, f"{rel} at {width} px: {bad[:8]}"
                lang = "en" if rel.endswith(".en.html") else "th"
                assert page.evaluate("document.documentElement.lang") == lang, f"{rel}: lang"
                text = (SITE / rel).read_text(encoding="utf-8")
                assert page.title() == re.search(r"<title>(.*?)</title>", text).group(1), f"{rel}: title"
                page.screenshot(path=str(shots / f"{Path(rel).stem}.{width}.png"), full_page=True)
            assert not outside, f"requests outside the site at {width} px: {outside[:5]}"
            page.close()
        browser.close()


#: every tile link of the overview's map: where it leads, and whether a tap at its centre (after
#: scrolling it into view) lands on it, inside the viewport
_MAP_LINKS = """() => Array.from(document.querySelectorAll('svg.dgr-map a')).map(a => {
  a.scrollIntoView({block: 'center', inline: 'center'});
  const r = a.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {href: a.getAttribute('href'), w: r.width, inside: r.left >= 0 && r.right <= innerWidth,
          hit: !!hit && a.contains(hit)};
})"""


def test_overview_map_tiles_are_links_reachable_on_a_phone() -> None:
    """At 390 px the overview's tile map fits, and each of its 76 tiles is a link that can be tapped
    and leads to an existing Thai province page."""
    exe, sync_playwright = _browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        _open(page, (SITE / "index.html").as_uri())
        tiles = page.evaluate(_MAP_LINKS)
        browser.close()
    codes = set(load_provinces(in_survey_only=True)["iso_code"])
    assert sorted(t["href"] for t in tiles) == sorted(f"provinces/{c}.th.html" for c in codes)
    for t in tiles:
        assert (SITE / t["href"]).exists(), t["href"]
        assert t["inside"] and t["hit"] and t["w"] >= 24, t  # on screen, on top, big enough to tap


@pytest.fixture()
def served() -> Iterator[str]:
    """The site served over HTTP on a free local port (the address, with a trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


def test_site_served_over_http(served: str) -> None:
    """Served over HTTP the pages load their stylesheet and font from the same server and nothing
    from anywhere else; the header's links lead to the other language and back to the overview."""
    exe, sync_playwright = _browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        outside = _guarded(page, (served,))
        _open(page, served + "provinces/TH-50.th.html")
        assert page.evaluate("getComputedStyle(document.querySelector('.output-html')).overflowX") == "auto"
        page.click("header nav a[hreflang=en]")
        page.wait_for_load_state("load")
        assert page.url == served + "provinces/TH-50.en.html"
        assert page.evaluate("document.documentElement.lang") == "en" and page.title().startswith("Chiang Mai · ")
        page.click("header nav a[href='../index.html']")
        page.wait_for_load_state("load")
        assert page.url == served + "index.html"
        _open(page, page.url)
        links = page.evaluate("Array.from(document.querySelectorAll('table.sortable a')).map(a => a.href)")
        assert len(links) == 152 and all(u.startswith(served + "provinces/") for u in links)
        assert not outside, f"requests outside the site: {outside[:5]}"
        browser.close()
