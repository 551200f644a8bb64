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

# %% [markdown]
# # 00 · Survey overview: the questionnaire and the raw export
#
# This notebook shows **what the survey asks** (the codebook in `params/questionnaire.yaml`) and
# **what a raw export looks like** before any cleaning: how many submissions came from each
# province and region, and how the answers of each item type were typed. Nothing here changes the
# data; cleaning is `01_clean_responses`.
#
# Parameters (papermill): `raw_paths`, the exports to describe (any platform's layout; all of them
# are described together), `column_map` (a mapping file of source headers to items; default `None`:
# `params/column_map.yaml`) and `codebook_path`; like every notebook's paths, relative to the
# project root (or absolute).

# %% tags=["parameters"]
raw_paths = ["data/sample/survey_export.csv"]
column_map = None
codebook_path = "params/questionnaire.yaml"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from analysis.cleaning import describe
from analysis.cleaning.reading import read_exports
from analysis.core.paths import resolve
from analysis.instrument.codebook import load_codebook
from analysis.report import charts, findings

pd.set_option("display.max_rows", 80, "display.max_colwidth", 70, "display.width", 160)
charts.use_thai_font()
cb = load_codebook(resolve(codebook_path))
raw, infos = read_exports([resolve(p) for p in raw_paths], cb, column_map=resolve(column_map) if column_map else None)
print(f"{cb.instrument.name_en} (version {cb.instrument.version})")
print(f"{len(cb.pillars)} pillars, {sum(len(p.indicators) for p in cb.pillars)} indicators, {len(cb.items)} items")
print(f"{len(infos)} export(s), {len(raw)} submissions in all:")
for info in infos:
    print(f"  {info.path.rsplit('/', 1)[-1]}: {info.rows} submissions, {info.format}, encoding {info.encoding}, "
          f"platform {info.platform}, {len(cb.items) - len(info.missing_items)} of {len(cb.items)} items")

# %% [markdown]
# ## The framework: six pillars
#
# Each pillar is the weighted mean of its indicators, each indicator the weighted mean of its
# items, and the agency index the weighted mean of the pillars (weights below, from the codebook).

# %%
cb.pillars_table()

# %% [markdown]
# ## Every item
#
# `weight_overall` is the item's share of the agency index (pillar x indicator x item weight).
# Scoring turns each answer into 0-100: yes/no to 0 or 100, multi-select to the share of options
# chosen, maturity (0-4, Gartner's five stages) and Likert (1-5) linearly, counts and percents
# linearly between their goalposts, capped.

# %%
cb.items_table()[["item", "indicator", "type", "score_min", "score_max", "weight_overall", "text_en"]]

# %% [markdown]
# ## Readiness bands
#
# Agencies and provinces are placed in bands by their 0-100 index (cut-offs from the codebook,
# in the style of the UN E-Government Development Index).

# %%
cb.bands_table()

# %% [markdown]
# ## Submissions per region
#
# The survey contacts 19 agencies in each of the 76 provinces outside Bangkok (1,444 agencies).
# Submissions are counted *before* cleaning, so re-submissions, test rows and rows from outside
# the survey are still in.

# %%
by_province = describe.submissions_by_province(raw)
by_region = describe.submissions_by_region(by_province)
display(Markdown(findings.submissions_summary(by_region)))
by_region

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.bar(by_region.index, by_region["submissions"], color=charts.PALETTE[0], label="submissions")
ax.bar(by_region.index, by_region["agencies_contacted"], fill=False, edgecolor="black", hatch="//",
       label="agencies contacted")
ax.set_ylabel("count")
ax.set_title("Raw submissions and agencies contacted per region (ภาค)")
ax.legend(frameon=False)
fig.tight_layout()

# %% [markdown]
# ## Submissions per province
#
# Province text was matched with the cleaning rules (Thai and English names, abbreviations,
# "จ."/"จังหวัด" prefixes, ISO codes). Rows that match no province in the survey are counted in
# the last line: Bangkok is outside the survey, and unknown names go to quarantine in cleaning.

# %%
by_province.sort_values("submissions", ascending=False).head(10)

# %%
by_province[~by_province["in_survey"]]

# %% [markdown]
# ## How answers were typed
#
# The same answer arrives in many spellings: yes/no as มี/ไม่มี, ใช่/ไม่ใช่, Yes/No or 1/0;
# Likert answers as digits, Thai digits or labels; multi-select answers as delimited lists.
# `distinct_texts` is the number of different spellings the cleaning rules must understand.

# %%
describe.answers_by_type(raw, cb)
