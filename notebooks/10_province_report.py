# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
# One province's write-up. Parameters: `province` (ISO 3166-2 code, e.g. "TH-50") and `lang`
# ("th" or "en"). It only reads results computed once for all provinces (outputs/index,
# outputs/reliability, outputs/clean) and draws; run `make report` (or notebooks 01-03) first.

province = "TH-50"
lang = "th"
outputs = "outputs"

# %% tags=["remove-cell"]
from IPython.display import HTML, Markdown, display

from analysis.core.paths import resolve
from analysis.report import html_charts, text
from analysis.report import province as pr
from analysis.report.labels import LANGS, group
from analysis.report.markup import esc

if lang not in LANGS:
    raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
d = pr.load_province(province, resolve(outputs))
s = text.sections(d, lang)
T = group("headings", lang)  # the words themselves are in src/analysis/report/templates/
title = pr.name(d, lang) if lang == "th" else f"{pr.name(d, lang)} ({d.province['name_th']})"
display(Markdown(f"# {T['title']}: {esc(title)}\n\n## {T['overview']}\n\n{s['headline']}\n\n"
                 f"{s['comparison']}"))
if s["how_to_read"]:  # a short box: how to read score, band, interval, the test and the heatmap
    display(HTML(s["how_to_read"]))

# %% tags=["remove-input"]
if d.has_data:  # a province without a usable response has no pillar scores to show
    display(Markdown(f"## {T['pillars']}\n\n{s['pillars']}"))
    display(HTML(html_charts.pillar_comparison(d, lang)))

# %% tags=["remove-input"]
display(Markdown(f"## {T['agencies']}\n\n{s['agencies']}"))
if d.has_data:
    display(HTML(html_charts.agency_heatmap(d, lang)))

# %% tags=["remove-input"]
if d.has_data:
    display(Markdown(f"## {T['recommendations']}\n\n{s['recommendations']}"))
display(Markdown(f"## {T['caveats']}\n\n{s['caveats']}\n\n{text.methods(d, lang)}"))
