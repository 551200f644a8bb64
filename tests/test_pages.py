"""The site's page template and shared assets, on small notebooks (no kernel, no browser).

Pages load nothing from elsewhere and inline no styles; each has its language, title, header with
the way back and the other language, and where its figures come from; the same notebook gives the
same bytes. The stylesheet carries Sarabun subset to the characters of the pages.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.core.paths import sample_dir
from analysis.pipeline import batch

SAMPLE = batch.Provenance(round_year=2018, instrument="2018-model-1", sources=("survey_export.csv",),
                          collected=((2018, 8, 8), (2018, 10, 14)), synthetic=True)
#: what a page must never fetch or run: a script from elsewhere, a CDN, the notebook viewers' libraries
FORBIDDEN = ("<script src", "cdn", "require.js", "requirejs", "mathjax", "mermaid", "http://", "https://", "<style",
             "jp-Notebook", "font/ttf")


def _notebook() -> nbformat.NotebookNode:
    """A small executed notebook shaped like the province write-up: a parameters cell without
    output, markdown and HTML outputs (one a table wider than any phone), a markdown cell."""
    html = '<table class="dgr-heatmap"><tr>' + "".join(f"<td>{i}</td>" for i in range(60)) + "</tr></table>"
    nb = new_notebook(cells=[
        new_code_cell("province = 'TH-50'", metadata={"tags": ["parameters"]}),
        new_code_cell("display(Markdown(secret_source))", outputs=[new_output(
            "display_data", data={"text/markdown": "# หัวเรื่อง: จังหวัดเชียงใหม่\n\nดัชนี **52.6** · index 47.1–56.9",
                                  "text/plain": "<IPython.core.display.Markdown object>"})]),
        new_code_cell("display(HTML(chart))", outputs=[new_output(
            "display_data", data={"text/html": html, "text/plain": "<IPython.core.display.HTML object>"})]),
        new_code_cell("1 + 1", outputs=[new_output("execute_result", data={"text/plain": "2"}, execution_count=3)]),
        new_markdown_cell("A note with a [link](../index.html)."),
    ])
    nb.cells[0].id = "f00d"  # papermill gives its cells random ids
    return nb


@pytest.fixture(scope="module")
def th_page() -> str:
    return batch.to_html(_notebook(), batch.province_page("TH-50", "th", SAMPLE))


@pytest.fixture(scope="module")
def en_page() -> str:
    return batch.to_html(_notebook(), batch.province_page("TH-50", "en", SAMPLE))


def test_page_fetches_and_runs_nothing_from_elsewhere(th_page: str, en_page: str) -> None:
    overview = batch.to_html(_notebook(), batch.overview_page(SAMPLE))
    for page in (th_page, en_page, overview):
        low = page.lower()
        for s in FORBIDDEN:
            assert s.lower() not in low, f"page contains {s!r}"
        assert "<script" not in low


def test_code_is_hidden_and_outputs_shown(th_page: str) -> None:
    assert "secret_source" not in th_page and "province = " not in th_page
    assert "<h1>หัวเรื่อง: จังหวัดเชียงใหม่</h1>" in th_page
    assert "<strong>52.6</strong>" in th_page
    assert '<table class="dgr-heatmap">' in th_page
    assert "<pre" in th_page and ">2</pre>" in th_page, "an execute_result shows"
    assert 'href="../index.html">link</a>' in th_page, "markdown cells show"


def test_wide_outputs_scroll_in_their_own_box(th_page: str) -> None:
    box = th_page.index('<div class="output output-html" tabindex="0">')
    assert box < th_page.index('<table class="dgr-heatmap">') < th_page.index("</div>", box)
    css = (batch.STATIC_DIR / "site.css").read_text(encoding="utf-8")
    assert re.search(r"\.output-html \{[^}]*overflow-x: auto", css)
    assert "img { max-width: 100%" in css


def test_language_title_and_header(th_page: str, en_page: str) -> None:
    assert '<html lang="th" ' in th_page and '<html lang="en" ' in en_page
    assert "<title>จังหวัดเชียงใหม่ · ความพร้อมรัฐบาลดิจิทัล 2561</title>" in th_page
    assert "<title>Chiang Mai · Digital government readiness 2018</title>" in en_page
    for page, other in ((th_page, "TH-50.en.html"), (en_page, "TH-50.th.html")):
        header = page[page.index('<header class="site-header">'):page.index("</header>")]
        assert 'href="../index.html"' in header, "the way back to the overview"
        assert f'href="{other}"' in header, "the same province in the other language"
        assert '<link href="../assets/site.css" rel="stylesheet"/>' in page
    assert 'lang="en">English</a>' in th_page and 'lang="th">ภาษาไทย</a>' in en_page


def test_overview_title_and_header() -> None:
    page = batch.to_html(_notebook(), batch.overview_page(SAMPLE))
    assert '<html lang="th" ' in page
    assert "<title>ความพร้อมรัฐบาลดิจิทัล 2561 · Digital government readiness 2018</title>" in page
    assert '<link href="assets/site.css" rel="stylesheet"/>' in page
    assert 'aria-current="page" href="index.html"' in page
    assert "hreflang" not in page, "the overview is bilingual: no other-language twin"


def test_provenance_in_the_header(th_page: str, en_page: str) -> None:
    th_header = th_page[:th_page.index("</header>")]
    en_header = en_page[:en_page.index("</header>")]
    assert "รอบสำรวจ พ.ศ. 2561" in th_header and "2018-model-1" in th_header
    assert "ตอบแบบสำรวจ 8 ส.ค. 2561 – 14 ต.ค. 2561" in th_header
    assert "Survey round 2018" in en_header and "Responses 8 Aug 2018 – 14 Oct 2018" in en_header
    for header in (th_header, en_header):
        assert "survey_export.csv" in header
        assert 'class="site-notice"' in header
    assert "ข้อมูลสังเคราะห์" in th_header and "Synthetic data" in en_header
    real = batch.Provenance(round_year=2018, instrument="2018-model-1", sources=("dga_2018.xlsx",))
    page = batch.to_html(_notebook(), batch.province_page("TH-50", "en", real))
    assert "site-notice" not in page and "Synthetic" not in page, "no notice on real data"
    assert "dga_2018.xlsx" in page


def test_every_header_links_the_glossary(th_page: str, en_page: str) -> None:
    """Province pages link the glossary of their language at the site's root; the bilingual overview
    links both, neither marked as the current page."""
    for page, lang in ((th_page, "th"), (en_page, "en")):
        nav = page[page.index('<nav'):page.index("</nav>")]
        assert f'<a href="../glossary.{lang}.html">' in nav
        assert ("คำอธิบายศัพท์" if lang == "th" else "Glossary") in nav
    overview = batch.to_html(_notebook(), batch.overview_page(SAMPLE))
    nav = overview[overview.index('<nav'):overview.index("</nav>")]
    assert '<a href="glossary.th.html">คำอธิบายศัพท์</a>' in nav
    assert '<a href="glossary.en.html" lang="en">Glossary</a>' in nav
    css = (batch.STATIC_DIR / "site.css").read_text(encoding="utf-8")
    assert re.search(r"\.site-nav \{[^}]*flex-wrap: wrap", css), "the nav wraps on a phone"


def test_run_date_in_the_provenance_line_only_when_given() -> None:
    dated = dataclasses.replace(SAMPLE, run_date=(2026, 2, 5))
    th = batch.to_html(_notebook(), batch.province_page("TH-50", "th", dated))
    en = batch.to_html(_notebook(), batch.province_page("TH-50", "en", dated))
    assert "จัดทำ 5 ก.พ. 2569" in th[:th.index("</header>")]
    assert "Produced 5 Feb 2026" in en[:en.index("</header>")]
    for undated in (SAMPLE, dataclasses.replace(SAMPLE, run_date=None)):
        page = batch.to_html(_notebook(), batch.province_page("TH-50", "en", undated))
        assert "Produced" not in page and "จัดทำ" not in page


def _running(page: str) -> str:
    """The printed running header: the CSS string of --dgr-running on <html>, unescaped."""
    import html

    value = html.unescape(re.search(r'<html lang="\w+" style="--dgr-running: ([^"]*)">', page).group(1))
    assert value.startswith("'") and value.endswith("'"), value
    return value[1:-1]


def test_running_header_for_every_printed_page(th_page: str, en_page: str) -> None:
    """Province, round, date and source, as the CSS string the @page rule prints on every A4 page."""
    assert _running(th_page) == ("จังหวัดเชียงใหม่ · รอบสำรวจ พ.ศ. 2561 · ตอบแบบสำรวจ 8 ส.ค. 2561 – 14 ต.ค. 2561 · "
                                 "ข้อมูล: survey_export.csv · ข้อมูลสังเคราะห์")
    assert _running(en_page) == ("Chiang Mai · Survey round 2018 · Responses 8 Aug 2018 – 14 Oct 2018 · "
                                 "Data: survey_export.csv · synthetic data")
    dated = dataclasses.replace(SAMPLE, run_date=(2026, 2, 5))
    assert "Produced 5 Feb 2026" in _running(batch.to_html(_notebook(), batch.province_page("TH-50", "en", dated)))
    css = (batch.STATIC_DIR / "site.css").read_text(encoding="utf-8")
    assert re.search(r"@top-left \{[^}]*content: var\(--dgr-running", css)
    # a file name with quotes and backslashes stays inside the CSS string, and HTML-escaped
    odd = batch.Provenance(round_year=2018, sources=("it's\\<x>.csv",))
    page = batch.to_html(_notebook(), batch.province_page("TH-50", "en", odd))
    assert _running(page) == "Chiang Mai · Survey round 2018 · Data: it\\'s\\\\<x>.csv"
    assert "<x>" not in page


def test_header_text_is_escaped() -> None:
    odd = batch.Provenance(round_year=2018, instrument="v<1>", sources=("a&b<script>.csv",))
    page = batch.to_html(_notebook(), batch.province_page("TH-50", "en", odd))
    assert "a&amp;b&lt;script&gt;.csv" in page and "v&lt;1&gt;" in page
    assert "<script" not in page


def test_same_notebook_same_bytes() -> None:
    pages = []
    for cell_id in ("f00d", "beef"):
        nb = _notebook()
        nb.cells[0].id = cell_id
        pages.append(batch.to_html(nb, batch.province_page("TH-50", "th", SAMPLE)))
    assert pages[0] == pages[1]
    assert "f00d" not in pages[0]


def test_unknown_province_keeps_its_code() -> None:
    page = batch.province_page("TH-99", "en")
    assert page.name == "TH-99" and page.alternate == "TH-99.th.html" and page.root == "../"


def _fonts(css: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"url\(data:font/woff2?;base64,([A-Za-z0-9+/=]+)\)", css)]


def test_site_assets_subset_the_font_to_the_pages(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    site = tmp_path / "site"
    (site / "provinces").mkdir(parents=True)
    (site / "index.html").write_text(batch.to_html(_notebook(), batch.overview_page(SAMPLE)), encoding="utf-8")
    (site / "provinces" / "TH-50.th.html").write_text(
        batch.to_html(_notebook(), batch.province_page("TH-50", "th", SAMPLE)), encoding="utf-8")
    path = batch.write_site_assets(site)
    assert path == site / "assets" / "site.css"
    css = path.read_text(encoding="utf-8")
    assert not re.search(r"url\((?!data:)", css), "nothing fetched but the stylesheet itself"
    assert css.count("@font-face {") == 2
    assert "font-weight: 400" in css and "font-weight: 700" in css
    fonts = _fonts(css)
    assert len(fonts) == 2 and all(len(f) < 30_000 for f in fonts), [len(f) for f in fonts]
    cmap = TTFont(io.BytesIO(fonts[0])).getBestCmap()
    for ch in "กฮ฿aZ09–·":  # the Thai block, ASCII, and punctuation the pages use
        assert ord(ch) in cmap, ch
    assert ord("€") not in cmap, "a character no page uses is left out"
    assert len(css.encode()) < 70_000
    before = path.read_bytes()
    batch.write_site_assets(site)
    assert path.read_bytes() == before, "same pages, same stylesheet"


def _outputs(tmp_path: Path, raw: list[str] | None, names: tuple[str, ...] = ("survey_export.csv",)) -> Path:
    """A minimal outputs folder: the cleaning log and responses, and (optionally) the record of
    the cleaning notebook's parameters that papermill keeps."""
    out = tmp_path / "outputs"
    (out / "clean").mkdir(parents=True)
    (out / "clean" / "cleaning_log.json").write_text(json.dumps({"files": [{"file": n} for n in names]}))
    pd.DataFrame({"submitted_at": pd.to_datetime(["2018-10-14 22:38", "2018-08-08 12:31", None])}).to_parquet(
        out / "clean" / "clean_responses.parquet")
    if raw is not None:
        (out / "notebooks").mkdir()
        nb = {"metadata": {"papermill": {"parameters": {"raw_paths": raw}}}, "cells": []}
        (out / "notebooks" / "01_clean_responses.ipynb").write_text(json.dumps(nb))
    return out


def test_provenance_of_the_bundled_sample(tmp_path: Path) -> None:
    p = batch.provenance(_outputs(tmp_path, [str(sample_dir() / "survey_export.csv")]))
    assert p.synthetic
    assert p.round_year == 2018 and p.instrument == "2018-model-1"
    assert p.sources == ("survey_export.csv",)
    assert p.collected == ((2018, 8, 8), (2018, 10, 14))


def test_a_copy_of_the_sample_is_still_the_sample(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "survey_export.csv"
    copy.parent.mkdir()
    shutil.copy(sample_dir() / "survey_export.csv", copy)
    assert batch.provenance(_outputs(tmp_path, [str(copy)])).synthetic


def test_real_exports_get_no_synthetic_notice(tmp_path: Path) -> None:
    real = tmp_path / "real" / "survey_export.csv"
    real.parent.mkdir()
    real.write_text("submission_id,province\nX1,TH-50\n", encoding="utf-8")
    assert not batch.provenance(_outputs(tmp_path, [str(real)])).synthetic


def test_no_record_or_another_cleaning_means_no_claim(tmp_path: Path) -> None:
    assert not batch.provenance(_outputs(tmp_path / "a", None)).synthetic, "no record of the raw paths"
    other = _outputs(tmp_path / "b", [str(sample_dir() / "survey_export.csv")], names=("dga_2018.xlsx",))
    p = batch.provenance(other)
    assert not p.synthetic, "the record is of another cleaning than the one the pages show"
    assert p.sources == ("dga_2018.xlsx",)


def test_template_and_stylesheet_are_part_of_every_fingerprint() -> None:
    files = {p.name for p in batch.page_files()}
    assert {"index.html.j2", "conf.json", "site.css"} <= files
