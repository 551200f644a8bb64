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
from analysis.report import html_charts
from analysis.report import province as pr
from analysis.report.markup import esc

if lang not in pr.LANGS:
    raise ValueError(f"lang must be one of {pr.LANGS}, not {lang!r}")
d = pr.load_province(province, resolve(outputs))
T = {
    "th": ["ผลการสำรวจความพร้อมรัฐบาลดิจิทัล", "ภาพรวม", "รายด้าน", "หน่วยงาน", "จุดที่ควรพัฒนาและข้อเสนอแนะ",
           "ข้อควรระวังในการตีความ"],
    "en": ["Digital Government Readiness", "Overview", "The six pillars", "The 19 agencies",
           "Weakest areas and what to do", "Caveats"],
}[lang]
title = pr.name(d, lang) if lang == "th" else f"{pr.name(d, lang)} ({d.province['name_th']})"
display(Markdown(f"# {T[0]}: {esc(title)}\n\n## {T[1]}\n\n{pr.headline(d, lang)}\n\n"
                 f"{pr.comparison(d, lang)}"))

# %% tags=["remove-input"]
if d.has_data:  # a province without a usable response has no pillar scores to show
    display(Markdown(f"## {T[2]}\n\n{pr.pillar_text(d, lang)}"))
    display(HTML(html_charts.pillar_comparison(d, lang)))

# %% tags=["remove-input"]
display(Markdown(f"## {T[3]}\n\n{pr.agency_text(d, lang)}"))
if d.has_data:
    display(HTML(html_charts.agency_heatmap(d, lang)))

# %% tags=["remove-input"]
if d.has_data:
    display(Markdown(f"## {T[4]}\n\n{pr.recommendations_text(d, lang)}"))
display(Markdown(f"## {T[5]}\n\n{pr.caveats_text(d, lang)}\n\n{pr.methods_text(lang)}"))
