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
# # 02 · Readiness index: scores, bands, intervals, ranks and sensitivity
#
# From the clean responses (`01_clean_responses`) this notebook builds the composite index the way
# the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) lays out: **normalise** each
# item to 0-100, **aggregate** items to indicators, indicators to the six pillars and pillars to an
# agency index, then estimates each province's score from its responding agencies. It then asks
# how far to trust the result: intervals, band probabilities and rank intervals from the province
# estimator, and a **Monte-Carlo over the modelling choices** (rank bands, Sobol indices).
#
# Every modelling choice is a parameter (defaults in `params/index.yaml`); pass any of them to
# papermill (`-p aggregation geometric`) or to the pipeline (`python -m analysis report --choice
# aggregation=geometric`) to see the scores change. The agency scores written here are the ones
# `03_reliability` analyses, so reliability always describes the index that is published.

# %% tags=["parameters"]
clean_dir = "outputs/clean"
out_dir = "outputs/index"
normalisation = None  # goalposts | minmax | zscore   (None: params/index.yaml)
aggregation = None  # arithmetic | geometric
weights = None  # codebook | equal | pca
missing = None  # skip | impute_type_mean
geometric_floor = None  # scores below it are raised to it before a geometric mean
min_answered_share = None  # answered share of weight an indicator / pillar needs

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from analysis.core.paths import resolve
from analysis.indicators.choices import load_choices, load_index_config
from analysis.indicators.run import run_index
from analysis.instrument.codebook import load_codebook
from analysis.report import charts, findings

pd.set_option("display.max_rows", 100, "display.width", 160, "display.precision", 2)
charts.use_thai_font()
cb = load_codebook()
choices = load_choices(normalisation=normalisation, aggregation=aggregation, weights=weights, missing=missing,
                       geometric_floor=geometric_floor, min_answered_share=min_answered_share)
config = load_index_config()
clean = pd.read_parquet(resolve(clean_dir) / "clean_responses.parquet")
tables = run_index(clean, cb, choices, config, resolve(out_dir))
agencies, provinces = tables["agency_scores"], tables["province_scores"]
print("choices:", ", ".join(f"{k}={v}" for k, v in vars(choices).items()))
print(f"{len(agencies)} agencies in {provinces['n_agencies'].gt(0).sum()} provinces")

# %% [markdown]
# ## National, regional and agency-type results
#
# Means over agencies, with 95 % intervals that are cluster-robust by province (agencies of one
# province share its conditions). For comparison, the 2018 round reported staff digital capability
# at 63.2 % and smart technology at 29.8 % (DGA 2018).

# %%
agg = tables["aggregates"]
display(Markdown(findings.pillar_pattern(agg, cb)))
agg[agg["level"].isin(["national", "region"])][["level", "group", "n_agencies", "index", "P1", "P2", "P3",
                                                 "P4", "P5", "P6"]]

# %%
agg[agg["level"] == "agency_type"].sort_values("index", ascending=False)[
    ["group", "n_agencies", "index", "share_low", "share_middle", "share_high", "share_very_high"]]

# %% [markdown]
# ## Province scores with 95 % intervals
#
# **What is estimated.** A province's *model-expected* score: what its agencies would score on
# average over repeated surveys of the same province. The agencies that happened to answer this
# round are a sample of that; the score of every single agency carries its own noise.
#
# **How** (`province_estimator` in `params/index.yaml`, default `eb`). The direct estimate is the
# mean of the responding agencies, adjusted for which of the 19 agency types answered (the same
# types exist in every province, so a province is not penalised because its strongest agency did
# not respond; Battese, Harter & Fuller 1988). The published score is its empirical-Bayes estimate
# (Fay & Herriot 1979): the direct estimate drawn towards the level predicted from the province's
# region, the more so the less certain it is, with a mean squared error that counts that
# uncertainty (Prasad-Rao / Datta-Lahiri). Over 20 simulated surveys of the same model
# (`30_estimator_simulation`) this gave the smallest error and the narrowest intervals that still
# cover 95 %, and ranked provinces at least as well as the plain mean; no estimator reached a
# Spearman correlation of .92 with the truth, because about 16 agencies per province cannot rank 76
# provinces more finely. The plain means with their BCa bootstrap intervals are kept as
# `direct_index`, `direct_index_low`, `direct_index_high`. A province with no responding agency
# gets no score.

# %%
print(f"estimator: {provinces['estimator'].iloc[0]}; "
      f"median shift from the direct mean: {(provinces['index'] - provinces['direct_index']).abs().median():.2f} "
      f"points; median 95 % interval width: {(provinces['index_high'] - provinces['index_low']).median():.1f} "
      f"(direct BCa: {(provinces['direct_index_high'] - provinces['direct_index_low']).median():.1f})")
display(Markdown(findings.interval_summary(provinces)))
charts.caterpillar(provinces, cb.bands_table(), title="Province readiness index")

# %% [markdown]
# ## Bands and ranks, with their uncertainty
#
# `band_probability` is the probability that the province's true score lies in its estimated band;
# below about 0.7 the band is a coin toss with its neighbour. `rank_low`-`rank_high` is the 90 %
# interval of the rank when every province's score is drawn from its estimate's uncertainty
# (Goldstein & Spiegelhalter 1996); `mc_rank_p05`-`mc_rank_p95` is the 5-95 % band over random
# modelling choices (sampling noise held fixed).

# %%
cols = ["province", "name_en", "n_agencies", "index", "index_low", "index_high", "band", "band_probability",
        "rank", "rank_low", "rank_high", "mc_rank_median", "mc_rank_p05", "mc_rank_p95"]
provinces.sort_values("rank")[cols].head(15)

# %%
bands_count = provinces["band"].value_counts().reindex(cb.bands_table()["band"], fill_value=0)
print("provinces per band:", bands_count.to_dict())
print(f"median width of the 90 % rank interval (sampling): "
      f"{(provinces['rank_high'] - provinces['rank_low']).median():.0f} places")
print(f"median width of the 5-95 % rank band (modelling choices): "
      f"{(provinces['mc_rank_p95'] - provinces['mc_rank_p05']).median():.0f} places")

# %% [markdown]
# ## Sensitivity to the modelling choices (Sobol indices)
#
# First-order (`S1`) and total (`ST`) Sobol indices of each choice on the mean absolute rank shift
# from the nominal ranking (Saltelli sampling, SALib). `ST` counts a choice's interactions too;
# a choice with `ST` near zero does not matter for the ranking. Pillar weights are perturbed by up
# to ±25 % around the chosen scheme.

# %%
tables["sobol"]

# %%
s = tables["sobol"]
fig, ax = plt.subplots(figsize=(6, 2.8))
x = np.arange(len(s))
ax.bar(x - 0.2, s["S1"].clip(lower=0), 0.4, label="first order S1", color=charts.PALETTE[0])
ax.bar(x + 0.2, s["ST"], 0.4, label="total ST", color=charts.PALETTE[1], hatch="//")
ax.set_xticks(x, s["choice"])
ax.set_ylabel("Sobol index")
ax.legend(frameon=False)
fig.tight_layout()

# %%
display(Markdown(findings.sensitivity_summary(tables["sobol"])))
