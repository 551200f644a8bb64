"""The site's pages that are not computed from a notebook run: the bilingual glossary.

``glossary.th.html`` and ``glossary.en.html`` sit at the site's root beside ``index.html``. They
are built from :func:`analysis.report.glossary.glossary_notebook` (Markdown only, nothing to
execute) with the site's page template (:func:`analysis.pipeline.batch.to_html`), so they carry
the same header as every page: the way back to the overview, the other language, the provenance
and, on the bundled sample, the synthetic-data notice. Same inputs, same bytes; each file is written
atomically.
"""

from __future__ import annotations

from pathlib import Path

from analysis.core.safeio import write_text
from analysis.pipeline.batch import Page, Provenance, to_html
from analysis.report.glossary import PAGE, glossary_notebook
from analysis.report.labels import LANGS, label


def glossary_page(lang: str, prov: Provenance | None = None) -> Page:
    """The glossary page of one language, as the page template sees it.

    Parameters
    ----------
    lang : str
        ``"th"`` or ``"en"``.
    prov : Provenance, optional
        What the header says about the run's inputs (:func:`analysis.pipeline.batch.provenance`).

    Returns
    -------
    Page
        At the site's root (``root=""``), named "คำอธิบายศัพท์" / "Glossary", with the other
        language's glossary as its alternate.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    other = "en" if lang == "th" else "th"
    return Page(lang=lang, name=label("headings", "glossary", lang), root="",
                alternate=PAGE.format(lang=other), provenance=prov or Provenance())


def write_glossary(site: Path, prov: Provenance) -> list[Path]:
    """Write the glossary pages, ``<site>/glossary.th.html`` and ``<site>/glossary.en.html``.

    Parameters
    ----------
    site : Path
        The site's folder (``outputs/site``).
    prov : Provenance
        What the pages' header says about the run's inputs.

    Returns
    -------
    list of Path
        The files written, Thai first.

    Notes
    -----
    Call it before :func:`analysis.pipeline.batch.write_site_assets`, which subsets the font to
    the characters of every page, the glossary's included.
    """
    site = Path(site)
    return [write_text(to_html(glossary_notebook(lang), glossary_page(lang, prov)), site / PAGE.format(lang=lang))
            for lang in LANGS]
