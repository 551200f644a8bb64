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
# # 30 · Estimator simulation: which province estimate should be published?
#
# The psychometric review found that the direct province index (the mean of the responding
# agencies) ranks provinces with a Spearman correlation of about .89 with the truth over simulated
# surveys, and asked for an estimator that does better, with honest intervals. This notebook
# repeats the experiment on 20 fresh surveys drawn from the sample's generative model
# (`analysis.synthetic.sample`, none with the bundled sample's seed), cleaned and scored exactly as
# a real export, and compares five estimators of every province's score
# (`analysis.pipeline.simulation`, `analysis.indicators.estimates`):
#
# | estimator | point estimate | 95 % interval | 90 % rank interval |
# |---|---|---|---|
# | `direct` | mean of the responding agencies | normal, `psi = s²_pooled / n` | normal draws with `psi` |
# | `direct_bca` | the same mean | BCa bootstrap (2,000 resamples; published now) | bootstrap draws |
# | `eb` | Fay-Herriot EBLUP of `direct`, region dummies | `eb ± 1.96 √mse` (Prasad-Rao) | normal draws with the MSE |
# | `direct_adj` | survey-regression mean, adjusted for agency type | normal, `psi = s²_res / n` | normal, `psi` |
# | `eb_adj` | Fay-Herriot EBLUP of `direct_adj`, region dummies | `eb ± 1.96 √mse` | normal draws with the MSE |
#
# `oracle` is a reference, not an estimator: the mean *true* readiness of the agencies that
# answered, i.e. what an error-free questionnaire would give with the same respondents.
#
# **Truth** is each province's *model-expected score*: the expected 0-100 index of its agencies
# over the 19 agency types and all agency-level and item-level noise, given the province's own
# effects. It is computed exactly from the generator's parameters, not estimated; the true rank is
# its rank, which is also the rank of the generator's latent readiness.
#
# **Targets** of the review: pooled Spearman with the truth ≥ .92; 95 % intervals covering the
# truth 93-97 % of the time; 90 % rank intervals covering the true rank 88-93 % of the time.

# %% tags=["parameters"]
seeds = list(range(101, 121))
out_dir = "outputs/simulation"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from analysis.core.numerics import round_frame
from analysis.core.paths import resolve
from analysis.core.safeio import write_table
from analysis.indicators.choices import load_choices
from analysis.indicators.estimates import ESTIMAND
from analysis.instrument.codebook import load_codebook
from analysis.pipeline import simulation
from analysis.report import charts

pd.set_option("display.max_rows", 80, "display.width", 160, "display.precision", 3)
charts.use_thai_font()
cb, choices = load_codebook(), load_choices()
results = simulation.simulate(seeds, cb, choices)
summary = simulation.summarise(results)
seed_table = simulation.per_seed(results)
out = resolve(out_dir)
for name, table in {"estimator_simulation": results, "estimator_summary": summary,
                    "estimator_per_seed": seed_table}.items():
    write_table(round_frame(table, 6), out / name)
print(f"{results['seed'].nunique()} simulated surveys (seeds {min(seeds)}-{max(seeds)}) x "
      f"{results['province'].nunique()} provinces x {len(simulation.ESTIMATORS)} estimators and the oracle; "
      f"results in {out_dir}")

# %% [markdown]
# ## How close, and how honest?
#
# One row per estimator, over all 20 surveys × 76 provinces. `spearman_pooled` is the review's
# measure (all seed × province pairs ranked together); `spearman_mean` is the average of the 20
# per-survey correlations, with its Monte-Carlo standard error; `spearman_gain` is the paired
# per-survey difference from `direct`. `rank_error` is the mean absolute error of the rank,
# `rmse` and `width` are in index points; `*_se` are Monte-Carlo standard errors over surveys.

# %%
cols = ["estimator", "spearman_pooled", "spearman_mean", "spearman_mean_se", "spearman_gain", "spearman_gain_se",
        "rank_error", "rmse", "coverage", "coverage_se", "width", "rank_coverage", "rank_coverage_se", "rank_width",
        "meets_spearman", "meets_coverage", "meets_rank_coverage"]
summary[cols].set_index("estimator").round(3)

# %%
shown = ["direct", "direct_bca", "eb", "eb_adj", "oracle"]
colour = dict(zip(shown, [charts.PALETTE[i] for i in (0, 5, 1, 2, 7)], strict=True))
rho = seed_table.pivot(index="seed", columns="estimator", values="spearman")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [3, 2]})
x = np.arange(len(rho))
for i, e in enumerate(shown):
    ax1.plot(x + (i - 2) * 0.08, rho[e], "o", ms=4, color=colour[e], label=e)
ax1.axhline(simulation.TARGETS["spearman_pooled"][0], color="grey", ls="--", lw=1)
ax1.text(len(rho) - 0.5, simulation.TARGETS["spearman_pooled"][0] + 0.004, "target .92", ha="right", fontsize=8)
ax1.set_xticks(x, rho.index, fontsize=7, rotation=90)
ax1.set_xlabel("seed")
ax1.set_ylabel("Spearman with the truth")
ax1.legend(frameon=False, fontsize=8, ncol=3, loc="lower left")
s = summary.set_index("estimator").loc[list(simulation.ESTIMATORS)]
y = np.arange(len(s))
ax2.axvspan(*simulation.TARGETS["coverage"], color=charts.PALETTE[0], alpha=0.12)
ax2.axvspan(*simulation.TARGETS["rank_coverage"], color=charts.PALETTE[3], alpha=0.12)
ax2.barh(y + 0.2, s["coverage"], 0.4, color=charts.PALETTE[0], label="95 % interval covers the truth")
ax2.barh(y - 0.2, s["rank_coverage"], 0.4, color=charts.PALETTE[3], label="90 % rank interval covers the true rank")
ax2.set_yticks(y, s.index)
ax2.set_xlim(0.8, 1.0)
ax2.invert_yaxis()
ax2.set_xlabel("coverage (shaded: target ranges)")
ax2.legend(frameon=False, fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0))
fig.tight_layout()
alt = (f"Left: Spearman correlation with the true province scores in each of the {len(rho)} simulated surveys; mean "
       + ", ".join(f"{e} {rho[e].mean():.3f}" for e in shown) + ", target .92. Right: interval coverage, "
       + "; ".join(f"{e} {s.at[e, 'coverage']:.1%} (ranks {s.at[e, 'rank_coverage']:.1%})" for e in s.index) + ".")
display(HTML(charts.figure_html(fig, alt)))

# %% [markdown]
# ## What the evidence says

# %%
s = summary.set_index("estimator")
best = simulation.preferred(summary)
lo_c, hi_c = simulation.TARGETS["coverage"]
lo_r, hi_r = simulation.TARGETS["rank_coverage"]
target_rho = simulation.TARGETS["spearman_pooled"][0]
TARGET_COLUMNS = ["meets_spearman", "meets_coverage", "meets_rank_coverage"]


def verdict(e: str) -> str:
    """One line per estimator: each target met or missed, with the numbers."""
    r = s.loc[e]
    rho = (f"Spearman {r['spearman_pooled']:.3f} pooled ({r['spearman_mean']:.3f} ± {r['spearman_mean_se']:.3f} per "
           f"survey) {'meets' if r['meets_spearman'] else 'misses'} ≥ {target_rho:.2f}")
    cov = (f"95 % intervals cover {r['coverage']:.1%} ({'within' if r['meets_coverage'] else 'outside'} "
           f"{lo_c:.0%}-{hi_c:.0%}; mean width {r['width']:.1f} points)")
    rank = (f"90 % rank intervals cover {r['rank_coverage']:.1%} "
            f"({'within' if r['meets_rank_coverage'] else 'outside'} {lo_r:.0%}-{hi_r:.0%}; "
            f"{r['rank_width']:.0f} ranks wide)")
    return f"- **{e}**: {rho}; {cov}; {rank}; RMSE {r['rmse']:.2f} points, mean rank error {r['rank_error']:.1f}."


meet_rho = [e for e in simulation.ESTIMATORS if s.at[e, "meets_spearman"]]
n_agencies = results.loc[results["estimator"] == "direct", "n"]
gains = ", ".join(f"`{e}` {s.at[e, 'spearman_gain']:+.3f} ± {s.at[e, 'spearman_gain_se']:.3f}"
                  for e in simulation.ESTIMATORS if e not in ("direct", "direct_bca"))
type_noise = ""
if s.at["direct", "coverage"] > s.at["direct_adj", "coverage"] + 0.005:
    type_noise = ("; it runs wide because the pooled within-province variance counts the spread between agency "
                  "types as sampling noise, although the same 19 types exist in every province. Adjusting for type "
                  "removes that part")
oracle = s.loc["oracle"]
ceiling = ""
if oracle["spearman_pooled"] < target_rho + 0.01:
    ceiling = (f"A target of {target_rho:.2f} is therefore at or beyond the reach of any estimator built on these "
               "respondents; more agencies per province, a more reliable instrument or province-level covariates "
               "would be needed to pass it.")
honest = [e for e in simulation.ESTIMATORS if s.at[e, "meets_coverage"]]
narrowest = min(honest, key=lambda e: s.at[e, "width"]) if honest else None
n_met = int(s.loc[best, TARGET_COLUMNS].astype(bool).sum())
caveat = ""
if not s.at[best, "meets_spearman"]:
    caveat = (f"It does not reach the Spearman target{', and neither does any alternative' if not meet_rho else ''}: "
              "publish ranks with their intervals, not as a league table (Goldstein & Spiegelhalter 1996).")
peers = [f"`{e}`" for e in simulation.ESTIMATORS
         if e != best and int(s.loc[e, TARGET_COLUMNS].astype(bool).sum()) == n_met]
peer_text = " and ".join([", ".join(peers[:-1]), peers[-1]] if len(peers) > 1 else peers) or "no other estimator"
display(Markdown("\n".join([
    f"**Estimand.** Every estimator here estimates {ESTIMAND}. The truth is that quantity, computed exactly "
    "from the generator; intervals are judged on whether they contain it.",
    "",
    *[verdict(e) for e in simulation.ESTIMATORS],
    "",
    f"**Ranking.** {'Only ' + ', '.join(meet_rho) if meet_rho else 'No estimator'} reaches the Spearman target. "
    "Neither borrowing strength across provinces nor adjusting for agency type changes the ranking much; the "
    f"per-survey Spearman differs from `direct`'s by {gains} (mean ± Monte-Carlo SE). With "
    f"{n_agencies.min()}-{n_agencies.max()} agencies in every province, shrinkage toward the region moves the "
    "estimates but hardly reorders them. The ceiling is in "
    "the data: the oracle, which knows every responding agency's true readiness without measurement error, "
    f"reaches {oracle['spearman_pooled']:.3f} pooled ({oracle['spearman_mean']:.3f} per survey), because agencies "
    "differ so much within a province that a province's respondents pin its level down only so far. "
    f"{ceiling}",
    "",
    f"**Intervals.** The plain mean's normal interval covers {s.at['direct', 'coverage']:.1%}{type_noise}: "
    f"`direct_adj` covers {s.at['direct_adj', 'coverage']:.1%}. "
    f"The bootstrap now published covers {s.at['direct_bca', 'coverage']:.1%}"
    f" with rank intervals covering {s.at['direct_bca', 'rank_coverage']:.1%}."
    + (f" Of the estimators with honest 95 % intervals, `{narrowest}` has the narrowest "
       f"({s.at[narrowest, 'width']:.1f} points against {s.at['direct', 'width']:.1f} for `direct`)."
       if narrowest else ""),
    "",
    f"**Recommendation.** The evidence favours **`{best}`** for publication: it meets {n_met} of the three targets, "
    f"as do {peer_text}, and among those it has the "
    f"smallest error: RMSE {s.at[best, 'rmse']:.2f} points against {s.at['direct', 'rmse']:.2f} for `direct`, mean "
    f"rank error {s.at[best, 'rank_error']:.2f} against {s.at['direct', 'rank_error']:.2f}, Spearman "
    f"{s.at[best, 'spearman_pooled']:.3f} pooled against {s.at['direct', 'spearman_pooled']:.3f}. {caveat}",
])))
