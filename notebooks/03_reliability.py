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
# # 03 · Reliability: does the instrument measure consistently, and do province means mean anything?
#
# Before scores are compared, this notebook checks the questionnaire and the aggregation to
# provinces, on the clean responses of `01_clean_responses` and the agency scores of
# `02_readiness_index` (so that agreement and the province tests describe the index as published,
# with whatever modelling choices it was built with):
#
# 1. **internal consistency** of each pillar (Cronbach's alpha with a Feldt interval, McDonald's
#    omega with a bootstrap interval, both also for the codebook-weighted pillar score that is
#    published and for the ordinal items' latent responses; item-total correlations);
# 2. **factor structure** (KMO and Bartlett, parallel analysis, an exploratory factor analysis, the
#    confirmatory six-pillar model, omega hierarchical for the whole instrument), from correlations
#    suited to ordinal answers;
# 3. **within-province agreement** (ICC(1), ICC(2), r_wg), which says whether a province mean is a
#    property of the province or just of the agencies that happened to answer;
# 4. **province versus nation** tests, corrected for making one comparison per province at once.
#
# Every verdict below uses the one table of thresholds, `params/thresholds.yaml`, printed after the
# set-up with the source of each (full references in `docs/references.md`).

# %% tags=["parameters"]
clean_dir = "outputs/clean"
index_dir = "outputs/index"
out_dir = "outputs/reliability"
n_boot = 2000
seed = 20180720

# %%
import json

import pandas as pd
from IPython.display import Markdown, display

from analysis.core.paths import resolve
from analysis.instrument.codebook import load_codebook
from analysis.report import findings
from analysis.stats import thresholds
from analysis.stats.run import run_reliability

pd.set_option("display.max_rows", 80, "display.width", 160, "display.precision", 3)
cb = load_codebook()
clean = pd.read_parquet(resolve(clean_dir) / "clean_responses.parquet")
agencies = pd.read_parquet(resolve(index_dir) / "agency_scores.parquet")
settings = json.loads((resolve(index_dir) / "index_settings.json").read_text(encoding="utf-8"))
t = run_reliability(clean, agencies, cb, resolve(out_dir), n_boot=n_boot, seed=seed, index_settings=settings)
print(f"{len(clean)} clean responses in {agencies['province'].nunique()} provinces; results in {out_dir}")
print("index analysed:", ", ".join(f"{k}={v}" for k, v in settings["choices"].items()))

# %%
thresholds.table()[["name", "rule", "label_en", "source"]]

# %% [markdown]
# ## Internal consistency per pillar
#
# Each pillar's items, scored 0-100, should move together. Alpha assumes every item measures the
# pillar equally well; omega (one-factor model) does not, which is why Flora (2020) recommends it.
#
# - **Missing answers**: covariances are pairwise-complete, so an agency that left one item blank
#   still counts for every other pair (`n` agencies; `n_min` answered the least-answered pair, and
#   the Feldt interval uses it). Listwise deletion would have kept only the agencies that answered
#   every item of the pillar.
# - **What is published**: `alpha`/`omega_total` describe the plain sum of item scores; the pillar
#   score the index publishes weights items by the codebook (indicator weight x item weight), so
#   `alpha_weighted`/`omega_weighted` (McDonald 1999, ch. 6) are the reliability of the published
#   score, with their own bootstrap interval (BCa, 2,000 resamples).
# - **Ordinal answers**: yes/no, Likert and maturity answers are categories; `alpha_ordinal` and
#   `omega_ordinal` come from polychoric correlations and describe the latent responses behind the
#   categories (Zumbo, Gadermann & Zeisser 2007). They are higher than the score-based values
#   because coarse categories lose information; the score-based values describe the scores as they
#   are used.

# %%
cons = t["alpha"][["pillar", "n", "n_min", "k", "alpha", "ci_low", "ci_high", "alpha_weighted", "alpha_ordinal"]].merge(
    t["omega"][["pillar", "omega_total", "ci_low", "ci_high", "omega_weighted", "weighted_ci_low",
                "weighted_ci_high", "omega_ordinal"]], on="pillar", suffixes=("_alpha", "_omega"))
alpha_rule, omega_rule = thresholds.threshold("alpha"), thresholds.threshold("omega")
cons["meets"] = [alpha_rule.meets(a) is True and omega_rule.meets(o) is True
                 for a, o in zip(cons["ci_low_alpha"], cons["weighted_ci_low"], strict=True)]
cons

# %% [markdown]
# ## Items that do not fit their pillar
#
# A corrected item-total correlation below .30 means the item shares little with the rest of its
# pillar; `alpha_if_deleted` above the pillar's alpha means dropping it would raise consistency.
# Such items are candidates for rewording in the next round, not for silent removal.

# %%
ia = t["item_analysis"]
ia[ia["flag_low_item_total"]]

# %% [markdown]
# ## Factor structure
#
# The whole-instrument analyses start from one correlation matrix suited to the answers:
# polychoric correlations between ordinal items (yes/no, Likert, maturity, options chosen),
# polyserial between an ordinal and a continuous item (capped counts and percentages), Pearson
# between continuous ones (Olsson 1979; Olsson, Drasgow & Dorans 1982). Pearson correlations of
# few-category items understate the relations and can invent "difficulty factors". Each
# correlation uses every agency that answered both items; `n_min` (the least-answered pair) is the
# n of Bartlett's test and of parallel analysis.
#
# KMO says whether the correlations are worth factoring at all; Bartlett's test rejects an
# identity correlation matrix; parallel analysis (Horn 1965) counts the factors that stand above
# random data of the same size; the EFA extracts one factor per pillar with an oblimin rotation.

# %%
t["kmo_bartlett"].head(1)

# %%
pa = t["parallel_analysis"]
display(Markdown(f"Parallel analysis retains **{int(pa['retain'].sum())}** factors "
                 f"(the codebook has {len(cb.pillars)} pillars)."))
t["efa_variance"]

# %% [markdown]
# The confirmatory model puts each item on its own pillar's factor, the pillars correlated. It is
# estimated two ways:
#
# - **DWLS** treats every item as ordered categories, as lavaan's `ordered=` option (WLSMV) does:
#   polychoric correlations, each weighted by its asymptotic variance (Muthen 1984); count and
#   percent items are cut at their quintiles. Its chi-square is the standard DWLS statistic
#   (N - 1 times the minimum), *not* the mean-and-variance-adjusted WLSMV statistic, whose p-value
#   would be better calibrated; read the fit indices, not the p-value. These are the fit indices
#   that apply to this instrument's answers. Each correlation uses the agencies that answered both
#   of its items (pairwise, as lavaan's `missing = "pairwise"`).
# - **ML** treats the 0-100 scores as continuous and normal, as the first round did, on the EM
#   covariance of all agencies (two-stage ML, Savalei & Bentler 2009). With few-category items its
#   chi-square and RMSEA are distorted, so it is shown for comparison only.
#
# Hu & Bentler's (1999) cut-offs (CFI, TLI >= .95; RMSEA <= .06; SRMR <= .08) were made for
# continuous data; for DWLS they are lenient (Xia & Yang 2019), so a model that only just meets
# them should not be called well fitting.

# %%
t["cfa"]

# %% [markdown]
# Omega hierarchical (oblimin, as psych::omega) is the share of the total score's variance due to
# one general readiness factor, from the same polychoric matrix.

# %%
t["omega_hierarchical"]

# %% [markdown]
# ## Within-province agreement: can a province mean stand for the province?
#
# ICC(1) is the share of variance in agency scores that lies between provinces; ICC(2) is the
# reliability of a province *mean* of the average number of agencies (`k0`, below). ICC(2) >= .70 means provinces can be
# told apart by their means; below it, rankings mostly reflect which agencies answered.
# ICC1_REML is the same share estimated from a random-intercept model (REML variance components),
# the multilevel cross-check: with 3-19 agencies per province it should sit close to ICC1.

# %%
display(Markdown(findings.agreement_summary(t["icc"])))
t["icc"].pivot(index="score", columns="type", values="icc").join(
    t["icc"][t["icc"]["type"] == "ICC2"].set_index("score")[["ci_low", "ci_high"]])

# %% [markdown]
# r_wg(J) (James, Demaree & Wolf 1984) measures agreement among a province's agencies on the 1-5
# Likert items against a uniform "no agreement" null; with many items it is high almost by
# construction, so it is read together with ICC.

# %%
t["rwg"].describe().loc[["count", "mean", "min", "max"], ["n", "r_wg_j"]]

# %% [markdown]
# ## Province versus nation, corrected for testing every province at once
#
# Each province's agencies are tested against the mean of all other provinces' agencies. Both
# means are uncertain: the province's from its agencies, the reference's from agencies clustered in
# provinces (CR2 standard error, Bell & McCaffrey 2002), combined on Welch-Satterthwaite degrees of
# freedom. Testing many provinces at once at 5 % flags some by chance alone (one in twenty), so
# p-values are adjusted by Benjamini-Hochberg (false discovery rate 5 %) before a province is
# called above or below the nation.

# %%
cmp = t["province_vs_nation"]
display(Markdown(findings.comparison_summary(cmp)))
cmp.sort_values("diff")[["group", "n", "mean", "national_mean", "diff", "se_diff", "df", "p", "p_adj",
                         "label"]].head(10)
