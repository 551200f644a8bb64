"""The glossary page: every term an official meets on the pages, in plain Thai and English.

The words are in ``templates/glossary.yaml`` (one entry per term: its name in both languages, what
it means and how to act on it); the numbers they quote, the readiness bands' cut-offs, the pillars'
names and the reliability thresholds, are filled in from the parameters the pipeline itself uses
(``params/questionnaire.yaml`` through the codebook, ``params/thresholds.yaml``), so the glossary
never disagrees with the pages. :func:`glossary_notebook` builds the page as a notebook without
code, which :func:`analysis.pipeline.batch.to_html` turns into ``glossary.<lang>.html`` like any
other page (:mod:`analysis.pipeline.sitepages`). Each term has a stable anchor, ``term-<id>``
(:func:`anchor`), which the province pages link to (:func:`href`). All text is HTML-escaped.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.core.paths import read_yaml
from analysis.instrument.codebook import Codebook, load_codebook
from analysis.report.labels import LANGS, label
from analysis.report.markup import esc
from analysis.stats.thresholds import threshold

if TYPE_CHECKING:
    import nbformat

GLOSSARY_FILE = Path(__file__).with_name("templates") / "glossary.yaml"
#: the page's file name at the site's root, per language
PAGE = "glossary.{lang}.html"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def glossary() -> dict[str, Any]:
    """The glossary's words as written in ``templates/glossary.yaml`` (placeholders not filled).

    Returns
    -------
    dict
        ``intro``, ``contents``, ``meaning``, ``action`` (each ``{"th": ..., "en": ...}``) and
        ``terms``, a list of dicts with ``id``, ``th``, ``en``, ``what_th``, ``what_en``, ``act_th``
        and ``act_en``.
    """
    return read_yaml(GLOSSARY_FILE)


def term_ids() -> list[str]:
    """The ids of the glossary's terms, in the page's order.

    Returns
    -------
    list of str
        E.g. ``["score", "band", ...]``; the anchor of each is :func:`anchor`.
    """
    return [str(t["id"]) for t in glossary()["terms"]]


def anchor(term: str) -> str:
    """The id of a term's entry on the glossary page.

    Parameters
    ----------
    term : str
        A term's id (:func:`term_ids`).

    Returns
    -------
    str
        ``"term-<id>"``.

    Raises
    ------
    KeyError
        When the glossary has no such term (so a page never links to an anchor that is not there).

    Examples
    --------
    >>> anchor("icc")
    'term-icc'
    """
    if term not in term_ids():
        raise KeyError(f"the glossary has no term {term!r} (terms: {', '.join(term_ids())})")
    return f"term-{term}"


def href(term: str, lang: str, root: str = "") -> str:
    """The link to a term on the glossary page of a language, from a page ``root`` below the site's root.

    Parameters
    ----------
    term : str
        A term's id (:func:`term_ids`).
    lang : str
        ``"th"`` or ``"en"``.
    root : str
        The relative path from the linking page to the site's root (``"../"`` from ``provinces/``).

    Returns
    -------
    str
        E.g. ``"../glossary.th.html#term-band"``.

    Examples
    --------
    >>> href("band", "en", "../")
    '../glossary.en.html#term-band'
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return f"{root}{PAGE.format(lang=lang)}#{anchor(term)}"


def facts(lang: str, codebook: Codebook | None = None) -> dict[str, str]:
    """The values the glossary's placeholders stand for, from the pipeline's own parameters.

    Parameters
    ----------
    lang : str
        ``"th"`` or ``"en"``.
    codebook : Codebook, optional
        The questionnaire (default :func:`~analysis.instrument.codebook.load_codebook`).

    Returns
    -------
    dict of str to str
        ``bands`` (each band's name and cut-offs, e.g. "Low 0–25"), ``pillars`` (code and name),
        ``icc2``, ``rwg``, ``alpha``, ``omega`` (thresholds, two decimals) and ``few`` (the number of
        agencies below which an estimate is read with care). Plain text, not yet escaped.
    """
    cb = codebook or load_codebook()
    name = "name_th" if lang == "th" else "name_en"
    bands = ", ".join(f"{getattr(b, name)} {b.lower:g}–{b.upper:g}" for b in cb.bands_table().itertuples())
    pillars = ", ".join(f"{p.id} {getattr(p, name)}" for p in cb.pillars)
    out = {"bands": bands, "pillars": pillars, "few": f"{threshold('few_agencies').bound:g}"}
    out.update({k: f"{threshold(k).bound:.2f}" for k in ("icc2", "rwg", "alpha", "omega")})
    return out


def _fill(text: str, values: dict[str, str]) -> str:
    """``text`` escaped, with each ``{name}`` replaced by its escaped value (``KeyError`` if unknown)."""
    return _PLACEHOLDER.sub(lambda m: esc(values[m.group(1)]), esc(" ".join(str(text).split())))


def glossary_html(lang: str, codebook: Codebook | None = None) -> str:
    """The glossary's entries as an HTML definition list, one ``<dt id="term-...">`` per term.

    Parameters
    ----------
    lang : str
        ``"th"`` or ``"en"``.
    codebook : Codebook, optional
        The questionnaire, for the bands' cut-offs and the pillars' names.

    Returns
    -------
    str
        ``<dl class="dgr-glossary">...</dl>`` without blank lines (so Markdown passes it through as
        one HTML block); each term gives its name in the page's language with the other language's
        name beside it, what it means and how to act on it. Every text escaped.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    g, values, other = glossary(), facts(lang, codebook), "en" if lang == "th" else "th"
    meaning, action = esc(g["meaning"][lang]), esc(g["action"][lang])
    items = []
    for t in g["terms"]:
        items.append(
            f'<dt id="{esc(anchor(str(t["id"])))}">{_fill(t[lang], values)} '
            f'<span class="dgr-term-other" lang="{other}">{_fill(t[other], values)}</span></dt>\n'
            f'<dd><p><strong>{meaning}:</strong> {_fill(t["what_" + lang], values)}</p>\n'
            f'<p><strong>{action}:</strong> {_fill(t["act_" + lang], values)}</p></dd>')
    return '<dl class="dgr-glossary">\n' + "\n".join(items) + "\n</dl>"


def contents_html(lang: str) -> str:
    """A compact list of links to every term of the page (its table of contents).

    Parameters
    ----------
    lang : str
        ``"th"`` or ``"en"``.

    Returns
    -------
    str
        ``<nav class="dgr-glossary-toc">`` with one link per term, text escaped.
    """
    g = glossary()
    links = "\n".join(f'<li><a href="#{esc(anchor(str(t["id"])))}">{_fill(t[lang], {})}</a></li>' for t in g["terms"])
    return (f'<nav class="dgr-glossary-toc" aria-label="{esc(g["contents"][lang])}">\n'
            f'<ul>\n{links}\n</ul>\n</nav>')


def glossary_notebook(lang: str, codebook: Codebook | None = None) -> nbformat.NotebookNode:
    """The glossary page of a language as a notebook of Markdown cells (no code, nothing to execute).

    Parameters
    ----------
    lang : str
        ``"th"`` or ``"en"``.
    codebook : Codebook, optional
        The questionnaire (default :func:`~analysis.instrument.codebook.load_codebook`).

    Returns
    -------
    nbformat.NotebookNode
        A version-4 notebook: a heading with the introduction and the list of terms, then the
        definition list (:func:`glossary_html`). Convert it with
        :func:`analysis.pipeline.batch.to_html`.
    """
    # imported here: nbformat's schema validation takes ~1 s to import (jsonschema, rfc3987), and
    # every province page imports this module (for the glossary's links) but never needs it
    from nbformat.v4 import new_markdown_cell, new_notebook

    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    g = glossary()
    head = (f"# {esc(label('headings', 'glossary', lang))}\n\n"
            f"<p>{_fill(g['intro'][lang], {})}</p>\n\n{contents_html(lang)}")
    nb = new_notebook(cells=[new_markdown_cell(head), new_markdown_cell(glossary_html(lang, codebook))])
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"glossary-{i}"
    return nb
