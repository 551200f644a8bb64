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
# # 01 · Cleaning: from the raw export to validated responses
#
# This notebook turns one or more raw survey exports into **one validated response per province
# and agency**, and accounts for every raw row: each ends as *clean*, *quarantined* (with the
# reasons) or *superseded* (replaced by a later submission of the same agency). Personal data
# (respondent name, position, phone, e-mail) is dropped; a keyed hash links re-submissions.
#
# Parameters (papermill): `raw_paths`, a list of CSV/XLSX exports in the order they were exported
# (paths relative to the project root or absolute; any platform's layout), `out_dir`, where results
# are written (default `outputs/clean`), and `column_map`, a mapping file of source headers to items
# (default `None`: `params/column_map.yaml`). The rules and thresholds are in `params/cleaning.yaml`
# and `params/columns.yaml`.

# %% tags=["parameters"]
raw_paths = ["data/sample/survey_export.csv"]
out_dir = "outputs/clean"
column_map = None

# %%
import matplotlib.pyplot as plt
import pandas as pd

from analysis.cleaning.clean import REASONS, response_rates, run_cleaning
from analysis.cleaning.normalise import load_rules
from analysis.core.paths import resolve
from analysis.report import charts

pd.set_option("display.max_rows", 100, "display.max_colwidth", 60, "display.width", 160)
charts.use_thai_font()
result = run_cleaning([resolve(p) for p in raw_paths], resolve(out_dir),
                      column_map=resolve(column_map) if column_map else None)
log = result.log
rules = load_rules()
files = pd.DataFrame([{
    "file": f["file"], "platform": f["platform"], "format": f["format"], "encoding": f["encoding"],
    "rows read": f["rows"], "columns unmatched": len(f["columns_unmatched"]), "items missing": len(f["items_missing"]),
} for f in log["files"]])
files

# %% [markdown]
# ## Reading: which column holds which item
#
# Each source column is matched to a questionnaire item or an export field by its item id, a
# platform's group path (`P1/p1_1_1`), the platform's own metadata names (`_uuid`,
# `SubmissionDate`, `ประทับเวลา`), the Thai or English question text, or a usual label of the form's
# own questions ("จังหวัด", "หน่วยงาน"). Nothing is guessed: a column that fits two items stops
# cleaning with the candidates. Overrides go in `params/column_map.yaml`. The full table is
# `column_mapping.csv`; how each column was matched:

# %%
result.mapping.groupby(["file", "method"], dropna=False).size().rename("columns").reset_index()

# %% [markdown]
# Columns matched to nothing are not read (so a column of personal data the form added never reaches
# the outputs), and items no column holds are blank for every row:

# %%
pd.DataFrame({
    "file": [f["file"] for f in log["files"]],
    "columns not read": [", ".join(f["columns_unmatched"]) or "-" for f in log["files"]],
    "items missing": [", ".join(f["items_missing"]) or "-" for f in log["files"]],
    "notes": ["; ".join(f["notes"]) or "-" for f in log["files"]],
})

# %% [markdown]
# Every sheet and every row of each file is accounted for: the header row, title rows above it,
# blank rows, data rows, or the reason a sheet holds no survey table.

# %%
pd.DataFrame([{"file": f["file"], **s} for f in log["files"] for s in f["sheets"]])

# %% [markdown]
# ## Accounting: every raw row ends in exactly one place
#
# The check below stops the notebook if a row was lost or counted twice.

# %%
accounting = pd.DataFrame({
    "rows": [log["raw_rows"], log["clean_rows"], log["quarantined_rows"], log["superseded_rows"]],
}, index=["raw", "clean", "quarantined", "superseded"])
assert log["raw_rows"] == log["clean_rows"] + log["quarantined_rows"] + log["superseded_rows"]
accounting

# %% [markdown]
# ## What each rule did
#
# **Text**: Unicode NFC; zero-width characters (U+200B, U+200C, U+200D, U+FEFF) and non-breaking
# spaces removed; "เเ" typed for "แ" and "ํา" typed for "ำ" repaired; Thai digits read as numbers.
# **Times**: Buddhist-Era and Gregorian years, Thai and English month names, ISO times with
# offsets, 12-hour clocks and Excel serial numbers, all in Thai local time; a year outside the
# plausible window (or a two-digit year that fits both eras) is flagged, never guessed.
# **Names**: province and agency text matched to codes, exactly or, for a close misspelling, only
# when the similarity reaches the threshold and clearly beats the runner-up; unknown or ambiguous
# names are quarantined, never guessed.

# %%
r = log["rules"]
text_rules = pd.DataFrame({k: r[k] for k in ("zero_width_or_odd_space", "sara_e_fixed", "thai_digits")})
text_rules

# %%
print(f"dates in Buddhist Era converted: {r['dates_buddhist_era']}; dates not understood: {r['dates_unparsed']}")
print(f"timestamp forms: {r['dates_by_form']}; flagged (left empty): {len(r['dates_flagged'])}")
print(f"province matches: {r['province_match']}; agency matches: {r['agency_match']}")
print(f"fuzzy threshold: similarity >= {rules['names']['fuzzy_min_similarity']}, "
      f"margin over the runner-up >= {rules['names']['fuzzy_margin']}")
pd.DataFrame(r["province_fuzzy_matches"])

# %% [markdown]
# **Answers**: each answer is turned into its codebook code. An answer outside its item's range
# (a Likert 7, a percent of 140) is set missing and flagged, not clipped; an answer the rules do not
# understand is also set missing and flagged. The flags are in `answer_flags.csv`.

# %%
pd.Series({
    "answers out of range (set missing)": r["answers_out_of_range"],
    "answers not understood (set missing)": r["answers_unrecognised"],
    "blank answers in clean rows": r["answers_blank_in_clean_rows"],
}, name="cells").to_frame()

# %%
result.answer_flags.groupby(["item", "flag"]).size().rename("cells").reset_index().sort_values(
    "cells", ascending=False).head(12)

# %% [markdown]
# ## Personal data in free text
#
# Respondents sometimes type a phone number, e-mail, LINE id, national ID or their own name into the
# comments. Each is replaced by a marker (`[phone]`, `[e-mail]`, `[line-id]`, `[national-id]`,
# `[name]`) before anything is written; the counts are in the log. The respondent key links
# re-submissions through a keyed hash: with the public default key (fine for the bundled sample)
# anyone could recompute it, so real data must be cleaned with `DGR_PSEUDONYM_KEY` set.

# %%
privacy = log["privacy"]
print("removed from free text:", privacy["free_text_redactions"])
print("pseudonym key:", privacy["pseudonym_key"])

# %% [markdown]
# ## Quarantine
#
# A row is quarantined when it cannot stand for a surveyed agency. A row may have several reasons;
# the primary one is the first in this order:

# %%
reasons = pd.DataFrame({
    "meaning": REASONS,
    "rows flagged": r["flagged_rows_by_reason"],
    "quarantined (primary reason)": pd.Series(log["quarantine_reasons"]),
}).fillna(0).astype({"quarantined (primary reason)": int})
reasons

# %% [markdown]
# "Too few items" also flags first attempts that the same agency later completed: those rows are
# *superseded*, not quarantined, which is why the two counts differ. The quarantined rows (no
# personal data is shown or stored):

# %%
result.quarantine[["submission_id", "source_row", "province_text", "agency_text", "primary_reason",
                   "answered_share"]]

# %% [markdown]
# ## Re-submissions
#
# When an agency submitted more than once, its latest complete submission is kept and the others
# are listed with the id that replaced them. A complete submission beats an incomplete one; then
# the later parsed time wins; when times tie or are missing, the later file, then the later row
# (so cumulative exports, given in the order they were downloaded, keep the newest copy). An id
# shared by different provinces or agencies (ids that restart in each file) is scoped by its file,
# and a blank id (Google Forms has none) stands in as file and row.

# %%
print("what decided each superseded row:", r["superseded_decided_by"])
print("submission ids:", r["submission_ids"])
result.superseded[["submission_id", "superseded_by", "decided_by", "province", "agency", "answered_share"]].head(10)

# %% [markdown]
# ## Response rates
#
# Responding agencies (clean responses) of the 19 contacted in each province. The 2018 round
# reported 1,237 of 1,444 (85.7 %).

# %%
by_province, by_region = response_rates(result.clean)
by_region

# %%
reg = by_region[by_region["region"] != "all"].sort_values("response_rate")
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.barh(reg["region_en"] + " · " + reg["region_th"], reg["response_rate"] * 100, color=charts.PALETTE[0])
overall = by_region.loc[by_region["region"] == "all", "response_rate"].iloc[0] * 100
ax.axvline(overall, color="black", linestyle="--", label=f"all provinces {overall:.1f} %")
ax.set_xlabel("agencies with a clean response (%)")
ax.set_xlim(0, 100)
ax.legend(frameon=False, loc="lower right")
ax.set_title("Response rate by region")
fig.tight_layout()

# %% [markdown]
# Provinces with the fewest clean responses: their estimates later carry the widest intervals.

# %%
by_province.sort_values(["responded", "iso_code"]).head(8)[["iso_code", "name_en", "name_th", "region_en",
                                                             "responded", "contacted"]]
