"""The bilingual glossary page: every term in both languages, anchors that the province pages'
links find, numbers from the parameters the pipeline uses, text escaped, pages written by
``sitepages.write_glossary`` with the site's header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.pipeline import batch, sitepages
from analysis.report import glossary
from analysis.report.labels import LANGS
from analysis.stats.thresholds import threshold

SAMPLE = batch.Provenance(round_year=2018, instrument="2018-model-1", sources=("survey_export.csv",),
                          collected=((2018, 8, 8), (2018, 10, 14)), synthetic=True)
TEMPLATES = Path(glossary.__file__).with_name("templates")
#: the terms the issue asks the glossary to explain (by their ids)
REQUIRED = {"score", "band", "pillar", "indicator", "agency-index", "national-mean", "region", "interval",
            "vs-nation", "bh", "eb", "bca", "rank", "band-probability", "icc", "rwg", "alpha", "excluded", "sobol",
            "synthetic"}


def test_every_term_is_there_in_both_languages() -> None:
    g = glossary.glossary()
    ids = glossary.term_ids()
    assert len(ids) == len(set(ids)), "ids are unique"
    assert set(ids) >= REQUIRED
    for t in g["terms"]:
        for key in ("th", "en", "what_th", "what_en", "act_th", "act_en"):
            assert isinstance(t.get(key), str) and t[key].strip(), f"{t['id']}.{key}"
        assert re.fullmatch(r"[a-z0-9-]+", t["id"]), "ids are stable, URL-safe anchors"
    for key in ("intro", "contents", "meaning", "action"):
        assert set(g[key]) == set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_entries_have_anchors_and_the_pipelines_numbers(codebook, lang: str) -> None:
    html = glossary.glossary_html(lang, codebook)
    assert html.startswith('<dl class="dgr-glossary">') and "\n\n" not in html, "one HTML block"
    ids = re.findall(r'<dt id="([^"]+)"', html)
    assert ids == [f"term-{i}" for i in glossary.term_ids()]
    assert html.count("<dd>") == len(ids)
    assert "{" not in html and "}" not in html, "every placeholder filled"
    name = "name_th" if lang == "th" else "name_en"
    for b in codebook.bands_table().itertuples():  # the cut-offs the bands are assigned with
        assert f"{getattr(b, name)} {b.lower:g}–{b.upper:g}" in html
    for p in codebook.pillars:
        assert f"{p.id} {getattr(p, name)}" in html
    for k in ("icc2", "rwg", "alpha"):
        assert f"{threshold(k).bound:.2f}" in html
    entry = html[html.index('id="term-bh"'):html.index("</dd>", html.index('id="term-bh"'))]
    assert "Benjamini-Hochberg" in entry
    assert ("โดยบังเอิญ" if lang == "th" else "by chance alone") in entry, "the same words as the province pages"


def test_glossary_follows_the_parameters(codebook) -> None:
    """Change a band's cut-off in the codebook and the glossary says the new one."""
    bands = [b.model_copy(update={"min": 30.0}) if i == 1 else b for i, b in enumerate(codebook.bands)]
    moved = codebook.model_copy(update={"bands": bands})
    html = glossary.glossary_html("en", moved)
    assert "Low 0–30, Middle 30–50" in html and "Low 0–25" not in html


def test_text_is_escaped(monkeypatch) -> None:
    hostile = {**glossary.glossary(), "terms": [{**glossary.glossary()["terms"][0], "en": "<script>x</script> & co",
                                                 "what_en": "a <b>b</b> {bands}"}]}
    monkeypatch.setattr(glossary, "glossary", lambda: hostile)
    html = glossary.glossary_html("en")
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; co" in html
    assert "a &lt;b&gt;b&lt;/b&gt; Low 0–25" in html


def test_anchor_and_link_to_an_unknown_term_fail() -> None:
    assert glossary.href("icc", "th", "../") == "../glossary.th.html#term-icc"
    with pytest.raises(KeyError, match="no term"):
        glossary.anchor("nonsense")
    with pytest.raises(ValueError):
        glossary.href("icc", "fr")


def test_every_glossary_link_of_the_templates_finds_its_term() -> None:
    """The province templates reach the glossary through c.glossary[id] / c.glossary.id: each id used exists."""
    used = set()
    for path in TEMPLATES.glob("province.*.md.j2"):
        src = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bg\.([a-z0-9_]+)\b", src)) | set(re.findall(r"\bg\['([a-z0-9-]+)'\]", src))
    assert used and used <= set(glossary.term_ids()), used - set(glossary.term_ids())


@pytest.mark.parametrize("lang", LANGS)
def test_notebook_becomes_a_page_of_the_site(tmp_path: Path, lang: str) -> None:
    nb = glossary.glossary_notebook(lang)
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown"]
    paths = sitepages.write_glossary(tmp_path, SAMPLE)
    assert paths == [tmp_path / "glossary.th.html", tmp_path / "glossary.en.html"]
    page = (tmp_path / f"glossary.{lang}.html").read_text(encoding="utf-8")
    other = "en" if lang == "th" else "th"
    assert f'<html lang="{lang}"' in page
    title = "คำอธิบายศัพท์ · ความพร้อมรัฐบาลดิจิทัล 2561" if lang == "th" else "Glossary · Digital government readiness 2018"
    assert f"<title>{title}</title>" in page
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert 'href="index.html"' in header and f'href="glossary.{other}.html"' in header
    assert f'aria-current="page" href="glossary.{lang}.html"' in header, "the glossary link marks this page"
    assert 'class="site-notice"' in header, "the synthetic-data notice"
    assert '<link href="assets/site.css" rel="stylesheet"/>' in page and "<script" not in page.lower()
    for term in glossary.term_ids():  # every entry with its anchor, and the list of terms links to it
        assert f'id="term-{term}"' in page and f'href="#term-{term}"' in page
    assert "<dl" in page and "&lt;dl" not in page, "the list is HTML, not text"
    again = sitepages.write_glossary(tmp_path, SAMPLE)
    assert (tmp_path / f"glossary.{lang}.html").read_text(encoding="utf-8") == page and again == paths
    assert not [p for p in tmp_path.iterdir() if p.name not in ("glossary.th.html", "glossary.en.html")], \
        "no temporary file left"


def test_glossary_page_describes_itself() -> None:
    page = sitepages.glossary_page("en", SAMPLE)
    assert page.root == "" and page.alternate == "glossary.th.html" and page.name == "Glossary"
    with pytest.raises(ValueError):
        sitepages.glossary_page("fr")
