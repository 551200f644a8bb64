"""The estimator study: how well do province estimates recover a known truth over simulated surveys?

For each seed :func:`simulate` draws a complete survey from the sample's generative model
(:func:`analysis.synthetic.sample.generate`), cleans it as a real export, scores the agencies
and estimates every province five ways (:data:`ESTIMATORS`):

* ``direct``: the mean of the responding agencies with a normal interval on the smoothed
  sampling variance ``psi_i = s^2_pooled / n_i`` (:func:`analysis.indicators.estimates.province_estimates`);
* ``direct_bca``: the same mean with the BCa bootstrap interval and bootstrap rank interval the
  project publishes now (:func:`analysis.indicators.bootstrap.province_bootstrap`, 2,000 resamples);
* ``eb``: the Fay-Herriot EBLUP (region dummies) of the direct estimates, with its Prasad-Rao MSE
  interval;
* ``direct_adj`` and ``eb_adj``: the same two with the type-adjusted (survey-regression) direct
  estimate, ``psi_i = s^2_res / n_i`` (``adjust_for="agency"``).

A sixth row per province, ``oracle``, is a reference no survey can compute: the mean true
readiness ``eta`` of the agencies that were scored, i.e. a perfect questionnaire with the same
respondents. Its Spearman correlation with the truth is the ceiling of what the respondents can
say about the ranking.

**Truth** is the estimand of all five, the province's *model-expected score* on the 0-100
index scale: the expected index of an agency of the province, averaged over the 19 agency types
(equally), the agency noise and the pillar and item noise, given the province's region and
province effects and the seed's item parameters (:func:`model_expected_scores`). It is computed
exactly, not by simulation: the index is a fixed weighted sum of item scores (arithmetic
aggregation without missing items), each item score is a non-decreasing step function of its
normal latent ``z`` (found once per item by scanning the generator's own
:func:`~analysis.synthetic.sample.answer_codes` and :func:`~analysis.instrument.scoring.item_score`
on a fine grid and bisecting every jump to machine precision), and given a province and an
agency type ``z`` is normal, so ``E[score] = score(-inf) + sum_k jump_k Phi((m - t_k) / s)``.
The only error is floating point (about 1e-12 points). Checked against brute force (19,000
agencies per province drawn with the generator's model and scored by the package, seed 7): the
exact values lay 0.055, 0.017 and 0.004 points from the simulated means, whose standard error was
0.07; a unit test repeats the check.

Two features of the generated surveys are not in the estimand, on purpose: 2 % of answer cells
are blank (the index then re-weights the answered items; in the brute-force check this moved the
mean by less than 0.01 points) and agencies respond with a probability that rises slightly with
readiness (a shift common to every province). The estimators are judged with both included, as on
real data.

The true rank is the rank of the truth. Because the truth is a strictly increasing function of
``region + province`` effect (the type effects are the same in every province), it ranks the
provinces exactly as the generator's ``latent_readiness``; :func:`summarise` reports the Spearman
correlation with both.

References
----------
Efron, B., & Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
*Journal of the American Statistical Association*, 70(350), 311-319.

Fay, R. E., & Herriot, R. A. (1979). Estimates of income for small places: an application of
James-Stein procedures to census data. *Journal of the American Statistical Association*, 74(366),
269-277.

Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations: statistical
issues in comparisons of institutional performance. *Journal of the Royal Statistical Society,
Series A*, 159(3), 385-443.

Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate
statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.

Rao, J. N. K., & Molina, I. (2015). *Small Area Estimation* (2nd ed.). Wiley. Chapter 6.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import rankdata

from analysis.cleaning.clean import clean_responses
from analysis.core.numerics import rank_desc, weighted_row_sum
from analysis.indicators.bootstrap import province_bootstrap
from analysis.indicators.choices import Choices
from analysis.indicators.estimates import province_estimates
from analysis.indicators.scores import agency_scores, aggregate, pillar_scores, pillar_weights, score_columns
from analysis.instrument.codebook import Codebook, Item
from analysis.instrument.reference import load_provinces
from analysis.instrument.scoring import item_score
from analysis.synthetic.sample import SampleExport, answer_codes, generate

__all__ = ["ESTIMATORS", "TARGETS", "index_item_weights", "item_score_steps", "model_expected_scores", "per_seed",
           "preferred", "simulate", "simulate_seed", "spearman", "summarise"]

#: The estimators compared, in the order tables list them: the plain direct mean with a normal interval
#: on ``psi = s^2_pooled / n``, the same mean with the bootstrap BCa interval published now, its
#: Fay-Herriot EB; the type-adjusted (survey-regression) direct estimate and its EB. ``simulate``
#: adds a reference row ``oracle`` (the mean true readiness of the scored agencies), which no survey
#: can compute: the ceiling of what the respondents could tell about the ranking.
ESTIMATORS = ("direct", "direct_bca", "eb", "direct_adj", "eb_adj")
#: The targets of the psychometric review: pooled Spearman with the truth at least .92; 95 % intervals
#: covering the truth 93-97 % of the time; 90 % rank intervals covering the true rank 88-93 %.
TARGETS = {"spearman_pooled": (0.92, 1.0), "coverage": (0.93, 0.97), "rank_coverage": (0.88, 0.93)}


# --------------------------------------------------------------------------- the truth


def item_score_steps(item: Item, lo: float = -12.0, hi: float = 12.0,
                     step: float = 1e-3) -> tuple[float, np.ndarray, np.ndarray]:
    """An item's 0-100 score as a step function of its latent ``z``: ``(floor, thresholds, jumps)``.

    ``score(z) = floor + sum_k jumps_k [z >= thresholds_k]`` for ``z`` in ``[lo, hi]`` (beyond
    12 standard deviations the probability is below 1e-32). The function is the generator's
    :func:`~analysis.synthetic.sample.answer_codes` followed by the codebook's scoring; it is
    scanned on a grid of width ``step`` and each jump bisected to adjacent floating-point numbers.
    A grid cell holding two jumps would be detected (bisection would end between the first two
    values, not at the cell's ends) and the scan repeated ten times finer.

    Examples
    --------
    A yes/no item scores 0 up to ``z = 0`` and 100 above; a likert item steps by 25 at its cut points:

    >>> from analysis.instrument.codebook import load_codebook
    >>> items = {it.type: it for it in load_codebook().items}
    >>> floor, t, jump = item_score_steps(items["yes_no"])
    >>> floor, t.round(12).tolist(), jump.tolist()
    (0.0, [0.0], [100.0])
    >>> floor, t, jump = item_score_steps(items["likert"])
    >>> floor, t.round(12).tolist(), jump.tolist()
    (0.0, [-1.5, -0.5, 0.5, 1.5], [25.0, 25.0, 25.0, 25.0])
    """
    def g(z: np.ndarray) -> np.ndarray:
        return item_score(item, answer_codes(item, z))

    grid = np.linspace(lo, hi, int(round((hi - lo) / step)) + 1)
    vals = g(grid)
    if (np.diff(vals) < 0).any():
        raise ValueError(f"item {item.id}: the score is not non-decreasing in the latent")
    cells = np.flatnonzero(np.diff(vals) != 0)
    a, b = grid[cells], grid[cells + 1]
    ga, gb = vals[cells], vals[cells + 1]
    for _ in range(200):  # bisection: g(a) == ga and g(b) == gb throughout
        mid = a + (b - a) / 2
        done = (mid <= a) | (mid >= b)
        if done.all():
            break
        below = g(mid) == ga
        a, b = np.where(below & ~done, mid, a), np.where(~below & ~done, mid, b)
    if not (np.array_equal(g(a), ga) and np.array_equal(g(b), gb)):
        if step < 1e-6:  # pragma: no cover - no item of the codebook comes near this
            raise ValueError(f"item {item.id}: could not separate the jumps of its score")
        return item_score_steps(item, lo, hi, step / 10)
    return float(vals[0]), b, gb - ga


def index_item_weights(codebook: Codebook, choices: Choices) -> pd.Series:
    """Each item's weight in the agency index when every item is answered (they sum to 1).

    Read off the package's own aggregation (:func:`~analysis.indicators.scores.pillar_scores`,
    :func:`~analysis.indicators.scores.aggregate`) applied to unit item scores, which is exact
    because arithmetic aggregation is linear. Only choices with fixed weights qualify: the
    arithmetic aggregation of goalpost scores with codebook or equal weights.
    """
    if (choices.aggregation != "arithmetic" or choices.normalisation != "goalposts"
            or choices.weights not in ("codebook", "equal")):
        raise ValueError("the model-expected index needs goalpost scores aggregated arithmetically with codebook "
                         f"or equal weights, not {choices}")
    ids = codebook.item_ids
    unit = pd.DataFrame(np.eye(len(ids)), columns=ids)
    _, pillars = pillar_scores(unit, codebook, choices)
    w = pillar_weights(codebook, choices.weights, pillars)
    weights = aggregate(pillars[w.index].to_numpy(), w.to_numpy(), "arithmetic", min_share=0.0)
    return pd.Series(weights, index=ids)


def _expected_item_score(steps: tuple[float, np.ndarray, np.ndarray], mean: np.ndarray, sd: float) -> np.ndarray:
    """``E[score(z)]`` for ``z ~ N(mean, sd^2)``, elementwise over ``mean``, jumps added in order."""
    floor, thresholds, jumps = steps
    out = np.full(mean.shape, floor)
    for t, d in zip(thresholds, jumps, strict=True):
        out = out + d * ndtr((mean - t) / sd)
    return out


def model_expected_scores(export: SampleExport, codebook: Codebook, choices: Choices) -> pd.DataFrame:
    """The truth of the estimator study: every province's model-expected index (0-100).

    For agency type ``k`` of province ``p`` the generator's readiness is
    ``eta ~ N(mu_pk, sd_agency^2)`` with ``mu_pk = region_p + province_p + type_k``; pillar factor
    ``f = c eta / sd_eta + sqrt(1 - c^2) d`` and item latent
    ``z = lambda f + sqrt(1 - lambda^2) e + shift + difficulty`` with ``d, e ~ N(0, 1)``, so
    ``z ~ N(lambda c mu_pk / sd_eta + shift + difficulty, 1 - lambda^2 c^2 (1 - sd_agency^2 / sd_eta^2))``.
    The expected index is ``sum_i W_i E[score_i(z_i)]`` (:func:`index_item_weights`,
    :func:`item_score_steps`), averaged over the 19 types.

    Parameters
    ----------
    export:
        A generated survey (its ``model`` and ``truth`` tables carry the parameters and effects).
    codebook, choices:
        The instrument and the index choices the agencies are scored with.

    Returns
    -------
    pandas.DataFrame
        One row per province in ``iso_code`` order: ``province``, ``region``, ``truth`` (the
        model-expected index), ``true_rank`` (1 = highest) and the generator's ``latent_readiness``.
    """
    lat = export.model["config"]["latent"]
    sd_eta, c, sd_a = float(export.model["sd_eta"]), float(lat["pillar_common"]), float(lat["sd_agency"])
    prov = export.truth["provinces"].sort_values("iso_code").reset_index(drop=True)
    types = export.truth["agency_types"]["type_effect"].to_numpy(dtype=float)
    mu = (prov["region_effect"] + prov["province_effect"]).to_numpy(dtype=float)[:, None] + types[None, :]
    items = export.truth["loadings"].merge(export.truth["pillars"][["pillar", "shift"]], on="pillar")
    items = items.set_index("item").loc[codebook.item_ids]
    weights = index_item_weights(codebook, choices)
    steps = {it.id: item_score_steps(it) for it in codebook.items}  # 0.1 s
    per_item = []
    for iid, row in items.iterrows():
        lam = float(row["loading"])
        sd = float(np.sqrt(1.0 - lam**2 * c**2 * (1.0 - sd_a**2 / sd_eta**2)))
        mean = lam * c * mu / sd_eta + float(row["shift"]) + float(row["difficulty"])
        per_item.append(_expected_item_score(steps[str(iid)], mean, sd))
    expected = weighted_row_sum(np.stack(per_item, axis=-1), weights.to_numpy())  # (province, type)
    truth = expected.sum(axis=1) / expected.shape[1]
    return pd.DataFrame({"province": prov["iso_code"].astype(str), "region": prov["region"].astype(str),
                         "truth": truth, "true_rank": rank_desc(truth),
                         "latent_readiness": prov["latent_readiness"].to_numpy(dtype=float)})


# --------------------------------------------------------------------------- one simulated survey


def _survey_agencies(export: SampleExport, codebook: Codebook, choices: Choices) -> pd.DataFrame:
    """Clean the generated export as a real one and score its agencies."""
    raw = export.raw.copy()
    raw["source_file"] = "simulated_export.csv"
    raw["source_row"] = np.arange(2, len(raw) + 2)
    clean = clean_responses(raw, codebook).clean
    return agency_scores(clean, codebook, choices)


def _estimator_frames(est: pd.DataFrame, suffix: str = "") -> list[pd.DataFrame]:
    """The direct and EB columns of a :func:`province_estimates` table as two long frames."""
    frames = []
    for kind in ("direct", "eb"):
        cols = [kind, "direct_var" if kind == "direct" else "eb_mse",
                *(f"{kind}_{c}" for c in ("low", "high", "rank", "rank_low", "rank_high"))]
        f = est[["province", "n", *cols]].copy()
        f.columns = ["province", "n", "estimate", "variance", "low", "high", "rank", "rank_low", "rank_high"]
        frames.append(f.assign(estimator=kind + suffix))
    return frames


def _oracle(export: SampleExport, agencies: pd.DataFrame, provinces: pd.Series) -> pd.DataFrame:
    """Reference, not an estimator: each province's mean true readiness ``eta`` over the agencies
    that were scored, i.e. what a perfect instrument would give with the same respondents."""
    eta = export.truth["agencies"].set_index(["province", "agency"])["eta"]
    keys = pd.MultiIndex.from_frame(agencies[["province", "agency"]].astype(str))
    mean = pd.Series(eta.reindex(keys).to_numpy(), index=keys.get_level_values(0)).groupby(level=0).mean()
    value = mean.reindex(provinces).to_numpy()
    return pd.DataFrame({"province": provinces.to_numpy(), "estimate": value,
                         "rank": pd.array(np.where(np.isnan(value), np.nan, rank_desc(value)), dtype="Int64"),
                         "estimator": "oracle"})


def simulate_seed(seed: int, codebook: Codebook, choices: Choices, *, n_draws: int = 10_000,
                  n_boot: int = 2000, confidence: float = 0.95, rank_level: float = 0.90) -> pd.DataFrame:
    """One simulated survey: every province's estimate by each estimator, beside the truth.

    Returns one row per province and estimator (see :func:`simulate` for the columns).
    """
    export = generate(codebook, seed=seed)
    agencies = _survey_agencies(export, codebook, choices)
    truth = model_expected_scores(export, codebook, choices)
    provinces = load_provinces(in_survey_only=True)
    est, adj = (province_estimates(agencies, provinces, confidence=confidence, rank_level=rank_level, n_draws=n_draws,
                                   seed=seed, adjust_for=a) for a in (None, "agency"))
    boot = province_bootstrap(agencies[["province", "region", "agency", "submission_id",
                                        *score_columns(codebook)]], codebook, n_boot, confidence, rank_level, seed)
    boot = boot.set_index("province").reindex(est["province"]).reset_index()
    frames = [*_estimator_frames(est), *_estimator_frames(adj, "_adj")]
    frames.append(pd.DataFrame({"province": boot["province"], "n": est["n"], "estimate": boot["index"],
                                "variance": np.nan, "low": boot["index_low"], "high": boot["index_high"],
                                "rank": boot["rank"], "rank_low": boot["rank_low"], "rank_high": boot["rank_high"],
                                "estimator": "direct_bca"}))
    frames.append(_oracle(export, agencies, est["province"]).assign(n=est["n"].to_numpy()))
    out = pd.concat(frames, ignore_index=True).merge(truth, on="province", how="left")
    out.insert(0, "seed", int(seed))
    for col in ("n", "rank", "rank_low", "rank_high", "true_rank"):
        out[col] = out[col].astype("Int64")
    for col in ("estimate", "variance", "low", "high"):
        out[col] = out[col].astype(float)
    cols = ["seed", "estimator", "province", "region", "n", "truth", "true_rank", "latent_readiness", "estimate",
            "variance", "low", "high", "rank", "rank_low", "rank_high"]
    order = {e: i for i, e in enumerate((*ESTIMATORS, "oracle"))}
    out = out[cols].assign(_order=out["estimator"].map(order)).sort_values(["_order", "province"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def simulate(seeds: Sequence[int], codebook: Codebook, choices: Choices, *, n_draws: int = 10_000,
             n_boot: int = 2000, n_jobs: int = 1) -> pd.DataFrame:
    """Simulate one survey per seed and estimate every province with every estimator.

    Parameters
    ----------
    seeds:
        Seeds of :func:`analysis.synthetic.sample.generate` (avoid the bundled sample's own seed).
    codebook, choices:
        Instrument and index choices (the truth needs arithmetic aggregation of goalpost scores with
        fixed weights, :func:`index_item_weights`).
    n_draws, n_boot:
        Normal draws of the rank intervals; bootstrap resamples of ``direct_bca``.
    n_jobs:
        Worker processes (seeds are independent; the result does not depend on ``n_jobs``).

    Returns
    -------
    pandas.DataFrame
        One row per seed x estimator x province: ``seed``, ``estimator`` (:data:`ESTIMATORS`, then
        the ``oracle`` reference, which has an estimate and a rank only),
        ``province``, ``region``, ``n`` (agencies scored), ``truth`` (model-expected index),
        ``true_rank``, ``latent_readiness``, ``estimate``, ``variance`` (``psi`` or MSE; missing for
        the bootstrap), ``low``, ``high`` (95 % interval), ``rank``, ``rank_low``, ``rank_high``
        (90 % rank interval).
    """
    seeds = [int(s) for s in seeds]
    kwargs = {"n_draws": n_draws, "n_boot": n_boot}
    if n_jobs > 1 and len(seeds) > 1:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(seeds))) as pool:
            futures = [pool.submit(simulate_seed, s, codebook, choices, **kwargs) for s in seeds]
            parts = [f.result() for f in futures]
    else:
        parts = [simulate_seed(s, codebook, choices, **kwargs) for s in seeds]
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- the summary


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties), with sums in a fixed order.

    >>> spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 30.0, 20.0, 40.0]))
    0.8
    """
    rx, ry = rankdata(np.asarray(x, dtype=float)), rankdata(np.asarray(y, dtype=float))
    dx, dy = rx - rx.mean(), ry - ry.mean()
    return float(np.sum(dx * dy) / np.sqrt(np.sum(dx * dx) * np.sum(dy * dy)))


def _seed_metrics(s: pd.DataFrame) -> pd.Series:
    """Spearman with the truth and with ``latent_readiness``, interval and rank-interval coverage of one
    estimator in one seed."""
    s = s[s["estimate"].notna()]
    est = s["estimate"].to_numpy(dtype=float)
    ci = s[s["low"].notna() & s["high"].notna()]
    ri = s[s["rank_low"].notna() & s["rank_high"].notna()]
    t = ri["true_rank"].astype(float)
    return pd.Series({
        "spearman": spearman(est, s["truth"].to_numpy(dtype=float)),
        "spearman_latent": spearman(est, s["latent_readiness"].to_numpy(dtype=float)),
        "coverage": float(((ci["low"] <= ci["truth"]) & (ci["truth"] <= ci["high"])).mean()) if len(ci) else np.nan,
        "rank_coverage": float(((ri["rank_low"].astype(float) <= t) & (t <= ri["rank_high"].astype(float))).mean())
        if len(ri) else np.nan,
    })


def per_seed(df: pd.DataFrame) -> pd.DataFrame:
    """One row per estimator and seed: ``spearman`` (with the truth), ``spearman_latent`` (with
    ``latent_readiness``), ``coverage`` (95 % intervals) and ``rank_coverage`` (90 % rank intervals)."""
    out = df.groupby(["estimator", "seed"], sort=False).apply(_seed_metrics).reset_index()
    order = {e: i for i, e in enumerate((*ESTIMATORS, "oracle"))}
    out = out.assign(_o=out["estimator"].map(order)).sort_values(["_o", "seed"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


def _seed_metrics_by_seed(g: pd.DataFrame) -> pd.DataFrame:
    return g.groupby("seed").apply(_seed_metrics)


def _mcse(x: pd.Series) -> float:
    """Monte-Carlo standard error of a mean over seeds (seeds are independent; provinces within one are not)."""
    x = x.dropna()
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan


def _per_estimator(g: pd.DataFrame, reference: pd.Series | None) -> dict[str, float]:
    on_scale = (g["estimator"] != "oracle").all()  # the oracle is on the latent scale: ranks only
    ok = g["estimate"].notna()
    est, truth = g.loc[ok, "estimate"].to_numpy(dtype=float), g.loc[ok, "truth"].to_numpy(dtype=float)
    seeds = _seed_metrics_by_seed(g)
    gain = seeds["spearman"] - reference if reference is not None else pd.Series(np.nan, index=seeds.index)
    ci = g[ok & g["low"].notna() & g["high"].notna()]
    ri = g[ok & g["rank_low"].notna() & g["rank_high"].notna()]
    return {
        "n_seeds": float(g["seed"].nunique()),
        "n_estimates": float(ok.sum()),
        "spearman_pooled": spearman(est, truth),
        "spearman_mean": float(seeds["spearman"].mean()),
        "spearman_mean_se": _mcse(seeds["spearman"]),
        "spearman_min": float(seeds["spearman"].min()),
        "spearman_max": float(seeds["spearman"].max()),
        "spearman_gain": float(gain.mean()),
        "spearman_gain_se": _mcse(gain),
        "spearman_latent_mean": float(seeds["spearman_latent"].mean()),
        "rank_error": float(np.mean(np.abs(g.loc[ok, "rank"].astype(float) - g.loc[ok, "true_rank"].astype(float)))),
        "rmse": float(np.sqrt(np.mean((est - truth) ** 2))) if on_scale else np.nan,
        "bias": float(np.mean(est - truth)) if on_scale else np.nan,
        "coverage": float(((ci["low"] <= ci["truth"]) & (ci["truth"] <= ci["high"])).mean()) if len(ci) else np.nan,
        "coverage_se": _mcse(seeds["coverage"]),
        "width": float((ci["high"] - ci["low"]).mean()) if len(ci) else np.nan,
        "rank_coverage": float(((ri["rank_low"].astype(float) <= ri["true_rank"].astype(float))
                                & (ri["true_rank"].astype(float) <= ri["rank_high"].astype(float))).mean())
        if len(ri) else np.nan,
        "rank_coverage_se": _mcse(seeds["rank_coverage"]),
        "rank_width": float((ri["rank_high"].astype(float) - ri["rank_low"].astype(float) + 1).mean())
        if len(ri) else np.nan,
    }


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per estimator: how close to the truth, and how honest the intervals, over all seeds.

    Parameters
    ----------
    df:
        The table of :func:`simulate`.

    Returns
    -------
    pandas.DataFrame
        One row per estimator (:data:`ESTIMATORS`, then ``oracle``):

        * ``n_seeds``, ``n_estimates`` (seed x province pairs with an estimate);
        * ``spearman_pooled``: Spearman of estimate and truth over all seed x province pairs (the
          review's target; pooling also rewards following the truth's level from seed to seed, so it
          runs above the per-seed mean); ``spearman_mean`` with its Monte-Carlo standard error
          ``spearman_mean_se``, ``spearman_min``, ``spearman_max`` (per seed);
          ``spearman_gain`` (``_se``): mean per-seed difference from ``direct`` (paired);
          ``spearman_latent_mean``: per seed against the generator's ``latent_readiness`` (equal to
          ``spearman_mean``: the truth is increasing in it);
        * ``rank_error``: mean absolute difference of estimated and true rank; ``rmse``, ``bias``
          (points; missing for the oracle, which is on the latent scale);
        * ``coverage`` (``_se``): share of the 95 % intervals containing the truth, ``width`` their
          mean width; ``rank_coverage`` (``_se``): share of the 90 % rank intervals containing the
          true rank, ``rank_width`` the mean number of ranks they span;
        * ``meets_spearman``, ``meets_coverage``, ``meets_rank_coverage`` against :data:`TARGETS`, and
          ``meets_all`` (nullable booleans: missing where the estimator has no such interval).

        Monte-Carlo standard errors are the spread of the per-seed values over ``sqrt(n_seeds)``
        (Morris, White & Crowther 2019), because provinces of one survey are not independent.
    """
    groups = dict(tuple(df.groupby("estimator", sort=False)))
    reference = _seed_metrics_by_seed(groups["direct"])["spearman"] if "direct" in groups else None
    rows = {e: _per_estimator(g, reference) for e, g in groups.items()}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out = out.reindex([e for e in ESTIMATORS if e in out.index] + [e for e in out.index if e not in ESTIMATORS])
    for key, col in (("spearman_pooled", "meets_spearman"), ("coverage", "meets_coverage"),
                     ("rank_coverage", "meets_rank_coverage")):
        lo, hi = TARGETS[key]
        value = out[key].to_numpy(dtype=float)
        out[col] = pd.array(np.where(np.isnan(value), None, (value >= lo) & (value <= hi)), dtype="boolean")
    out["meets_all"] = out["meets_spearman"] & out["meets_coverage"] & out["meets_rank_coverage"]
    for col in ("n_seeds", "n_estimates"):
        out[col] = out[col].astype(int)
    out.index.name = "estimator"
    return out.reset_index()


def preferred(summary: pd.DataFrame) -> str:
    """The estimator the study favours: most of the three targets met; among those, the smallest RMSE
    (accuracy of the published score), then the smallest mean rank error. The ``oracle`` reference is
    not a candidate.

    >>> preferred(pd.DataFrame({"estimator": ["direct", "eb", "oracle"], "meets_spearman": [False, False, True],
    ...                         "meets_coverage": [True, True, None], "meets_rank_coverage": [True, True, None],
    ...                         "rmse": [3.0, 2.8, None], "rank_error": [7.5, 7.6, 6.0]}))
    'eb'
    """
    s = summary[summary["estimator"] != "oracle"].copy()
    met = s[["meets_spearman", "meets_coverage", "meets_rank_coverage"]].astype("boolean").fillna(False)
    s["_met"] = met.astype(int).sum(axis=1)
    s["_rmse"], s["_rank_error"] = s["rmse"].astype(float), s["rank_error"].astype(float)
    best = s.sort_values(["_met", "_rmse", "_rank_error"], ascending=[False, True, True], kind="stable")
    return str(best["estimator"].iloc[0])
