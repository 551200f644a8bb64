"""Province estimates of the readiness index: the direct mean and its Fay-Herriot empirical-Bayes
(EB) counterpart, each with intervals, ranks and rank intervals.

**Estimand.** Each province's *model-expected score*: the mean score its agencies would have on
average over repeated surveys of the same province, i.e. the superpopulation mean of the agency
score given the province's own level (``theta_i`` of the Fay-Herriot linking model; Rao & Molina
2015, chapter 6). It is neither the mean of the agencies that happened to answer (no
uncertainty at all) nor the census mean of the province's 19 agencies in this round (which
still contains this round's agency-level noise): a second survey of the same province would
draw new agency noise, and the province's standing is what stays.

**Direct estimate.** ``y_i``, the mean score of the province's ``n_i`` responding agencies. Its
sampling variance about ``theta_i`` is ``psi_i = s^2 / n_i`` (no finite-population correction:
the estimand is a superpopulation mean). With about 16 agencies a province's own ``s_i^2`` is
noisy (its relative standard error is about ``sqrt(2 / (n_i - 1))``, 35-40 %) and would make
the EB weights track noise, so ``s^2`` is the *pooled within-province variance*
``sum_i (n_i - 1) s_i^2 / sum_i (n_i - 1)``: a generalized variance function with one constant,
``psi_i = s^2_pooled / n_i``, the smoothing of sampling variances that Fay-Herriot practice uses
because the model treats ``psi_i`` as known (Rao & Molina 2015, chapter 6, on unknown sampling
variances; Wolter 2007, chapter 7). A province with one agency gets ``s^2_pooled / 1``.

**Type-adjusted direct estimate** (``adjust_for="agency"``). The plain mean weights the agency
types that happened to respond, while the estimand weights all types equally; and as the same
19 types exist in every province, the spread of type effects inside a province is not sampling
noise about the estimand, so ``s^2_pooled / n_i`` overstates ``psi_i``. The survey-regression
(modified direct) estimator removes both: fit the additive model ``score = province + type +
residual`` to all agencies (least squares, by backfitting), and estimate the province by its
fitted effect with the type effects centred on their unweighted mean,
``y_i = mean_a(score_a - tau_type(a)) + mean_k tau_k`` (Battese, Harter & Fuller 1988; Rao &
Molina 2015, chapter 2, modified direct estimators). Its variance is ``psi_i = s^2_res / n_i``
with ``s^2_res`` the pooled residual variance (``RSS / (N - m - K + 1)``); the error of the
estimated type effects, each from about 64 agencies, adds well under 1 % and is left out.

**EB estimate.** The Fay-Herriot model with ``x_i`` = intercept + region dummies, fitted by REML
(:func:`analysis.indicators.smallarea.fay_herriot`): ``eb_i = gamma_i y_i + (1 - gamma_i) x_i' beta``
with ``gamma_i = sigma2_u / (sigma2_u + psi_i)``, the James-Stein/Efron-Morris shrinkage toward the
region's regression prediction; a province without agencies gets that synthetic prediction.
Intervals ``eb -/+ z sqrt(mse)`` use the Prasad-Rao/Datta-Lahiri MSE.

**Ranks.** Rank 1 is the highest. Rank intervals draw every province's value independently from
``N(estimate, variance)`` and take the central ``rank_level`` range of its rank (Goldstein &
Spiegelhalter 1996), with the same draws' seed for the direct and the EB estimate.

References
----------
Battese, G. E., Harter, R. M., & Fuller, W. A. (1988). An error-components model for prediction of
county crop areas using survey and satellite data. *Journal of the American Statistical
Association*, 83(401), 28-36.

Efron, B., & Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
*Journal of the American Statistical Association*, 70(350), 311-319.

Fay, R. E., & Herriot, R. A. (1979). Estimates of income for small places: an application of
James-Stein procedures to census data. *Journal of the American Statistical Association*, 74(366),
269-277.

Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations: statistical
issues in comparisons of institutional performance. *Journal of the Royal Statistical Society,
Series A*, 159(3), 385-443.

Rao, J. N. K., & Molina, I. (2015). *Small Area Estimation* (2nd ed.). Wiley. Chapters 2 and 6.

Wolter, K. M. (2007). *Introduction to Variance Estimation* (2nd ed.). Springer. Chapter 7
(generalized variance functions).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtri

from analysis.core.numerics import group_sum
from analysis.indicators.bootstrap import for_all_provinces
from analysis.indicators.scores import bands, score_columns
from analysis.indicators.smallarea import band_probabilities, fay_herriot, rank_intervals
from analysis.instrument.codebook import Codebook

__all__ = ["ESTIMAND", "ESTIMATORS", "band_cutoffs", "direct_estimates", "province_estimates", "published_scores",
           "region_design", "type_adjusted_estimates"]

#: One sentence naming what every estimate of :func:`province_estimates` estimates.
ESTIMAND = ("the province's model-expected score: the mean score its agencies would have on average over "
            "repeated surveys of the same province (a superpopulation mean; no finite-population correction)")


def band_cutoffs(codebook: Codebook) -> dict[str, float]:
    """The codebook's readiness bands as ``{band code: lower cut-off}``, lowest band first.

    >>> from analysis.instrument.codebook import load_codebook
    >>> band_cutoffs(load_codebook())
    {'low': 0.0, 'middle': 25.0, 'high': 50.0, 'very_high': 75.0}
    """
    table = codebook.bands_table()
    return {str(b): float(lo) for b, lo in zip(table["band"], table["lower"], strict=True)}


def _province_table(provinces: pd.DataFrame) -> pd.DataFrame:
    """``iso_code`` and ``region`` of every surveyed province, sorted by ``iso_code``, checked."""
    missing = {"iso_code", "region"} - set(provinces.columns)
    if missing:
        raise ValueError(f"provinces needs the columns iso_code and region (missing {sorted(missing)})")
    prov = provinces[["iso_code", "region"]].astype({"iso_code": str, "region": str})
    if prov["iso_code"].duplicated().any():
        raise ValueError("provinces lists a province more than once")
    return prov.sort_values("iso_code", kind="stable").reset_index(drop=True)


def direct_estimates(agencies: pd.DataFrame, provinces: pd.DataFrame, score: str = "index") -> pd.DataFrame:
    """Each province's mean score, its agency count and the smoothed sampling variance ``psi_i``.

    Parameters
    ----------
    agencies:
        One row per responding agency with ``province`` (ISO code) and the ``score`` column; rows
        with a missing score are left out.
    provinces:
        Every surveyed province (columns ``iso_code``, ``region``); provinces without agencies get
        ``n = 0`` and missing estimates.
    score:
        The agency score to aggregate.

    Returns
    -------
    pandas.DataFrame
        One row per province in ``iso_code`` order: ``province``, ``region``, ``n``, ``direct``,
        ``s2_province`` (the province's own variance, ``ddof=1``; missing for ``n < 2``) and
        ``direct_var = s2_pooled / n``. ``attrs["s2_pooled"]`` holds the pooled within-province
        variance ``sum (n_i - 1) s_i^2 / sum (n_i - 1)``.

    Notes
    -----
    Agencies are summed in the order (province, score), so the order of the input rows changes no
    bit of the result; sums go through ``np.bincount`` (sequential, CPU-independent).

    Examples
    --------
    >>> prov = pd.DataFrame({"iso_code": ["A", "B", "C"], "region": ["r", "r", "r"]})
    >>> ag = pd.DataFrame({"province": ["A", "A", "A", "B"], "index": [40.0, 50.0, 60.0, 70.0]})
    >>> d = direct_estimates(ag, prov)
    >>> d[["province", "n", "direct", "direct_var"]]
      province  n  direct  direct_var
    0        A  3    50.0   33.333333
    1        B  1    70.0  100.000000
    2        C  0     NaN         NaN
    >>> d.attrs["s2_pooled"]
    100.0
    """
    prov = _province_table(provinces)
    if "province" not in agencies.columns or score not in agencies.columns:
        raise ValueError(f"agencies needs the columns province and {score!r}")
    a = agencies.loc[agencies[score].notna(), ["province", score]].astype({"province": str, score: float})
    unknown = sorted(set(a["province"]) - set(prov["iso_code"]))
    if unknown:
        raise ValueError(f"agencies in provinces missing from the provinces table: {unknown}")
    a = a.sort_values(["province", score], kind="stable")
    codes = pd.Categorical(a["province"], categories=prov["iso_code"]).codes
    m = len(prov)
    x = a[score].to_numpy(dtype=float)
    n = group_sum(np.ones(len(x)), codes, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = group_sum(x, codes, m) / n
        ss = group_sum((x - mean[codes]) ** 2, codes, m)
        s2_own = np.where(n >= 2, ss / (n - 1), np.nan)
    df_within = float(np.sum(np.maximum(n - 1, 0)))
    if df_within <= 0:
        raise ValueError("the pooled within-province variance needs a province with at least two agencies")
    s2_pooled = float(np.sum(ss[n >= 2]) / df_within)
    if not s2_pooled > 0:
        raise ValueError("the agencies' scores do not vary within provinces: no sampling variance")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 0, s2_pooled / n, np.nan)
    out = pd.DataFrame({"province": prov["iso_code"], "region": prov["region"], "n": n.astype(int),
                        "direct": np.where(n > 0, mean, np.nan), "s2_province": s2_own, "direct_var": var})
    out.attrs["s2_pooled"] = s2_pooled
    return out


def _additive_fit(y: np.ndarray, p: np.ndarray, k: np.ndarray, m: int, n_types: int, tol: float = 1e-11,
                  max_iter: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of ``y = mu_p + tau_k`` by backfitting (Gauss-Seidel on the normal equations).

    ``tau`` is centred on its unweighted mean over the types present, so ``mu_p`` is the province's
    level averaged over all types. Sums go through ``np.bincount`` (CPU-independent); iteration stops
    when no effect moves by more than ``tol`` points.
    """
    n_p, n_k = group_sum(np.ones(len(y)), p, m), group_sum(np.ones(len(y)), k, n_types)
    seen = n_k > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = group_sum(y, p, m) / n_p
        tau = np.zeros(n_types)
        for _ in range(max_iter):
            tau_new = np.where(seen, group_sum(y - mu[p], k, n_types) / n_k, 0.0)
            tau_new = np.where(seen, tau_new - np.sum(tau_new[seen]) / seen.sum(), 0.0)
            mu_new = group_sum(y - tau_new[k], p, m) / n_p
            change = max(float(np.nanmax(np.abs(mu_new - mu))), float(np.max(np.abs(tau_new - tau))))
            mu, tau = mu_new, tau_new
            if change <= tol:
                return mu, tau
    raise RuntimeError("the additive province + type fit did not converge")  # pragma: no cover


def type_adjusted_estimates(agencies: pd.DataFrame, provinces: pd.DataFrame, score: str = "index",
                            by: str = "agency") -> pd.DataFrame:
    """Survey-regression (type-adjusted) direct estimates: the province effect of ``score = province +
    type + residual``, with its variance ``s^2_res / n_i``.

    Parameters
    ----------
    agencies:
        One row per responding agency with ``province``, ``by`` (the agency type) and ``score``.
    provinces:
        Every surveyed province (``iso_code``, ``region``).
    score, by:
        The score and the column naming the agency type.

    Returns
    -------
    pandas.DataFrame
        As :func:`direct_estimates` (``province``, ``region``, ``n``, ``direct``, ``direct_var``),
        ``direct`` being the type-adjusted estimate; ``attrs`` holds ``s2_residual``, ``df_residual``
        and the centred ``type_effects``.

    References
    ----------
    Battese, Harter & Fuller (1988); Rao & Molina (2015), chapter 2. Full entries in the module
    docstring.

    Examples
    --------
    Two types that differ by 20 points; province B answered only with the low type, so its plain
    mean (40) understates it, while the adjusted estimate puts it 10 points below A on the
    all-types scale (A: 50 and B: 40 with types at -10 and +10):

    >>> prov = pd.DataFrame({"iso_code": ["A", "B"], "region": "r"})
    >>> ag = pd.DataFrame({"province": ["A", "A", "A", "A", "B", "B"], "agency": ["lo", "hi", "lo", "hi", "lo", "lo"],
    ...                    "index": [39.0, 61.0, 41.0, 59.0, 29.0, 31.0]})
    >>> d = type_adjusted_estimates(ag, prov)
    >>> d[["province", "n", "direct", "direct_var"]].round(6)
      province  n  direct  direct_var
    0        A  4    50.0         0.5
    1        B  2    40.0         1.0
    >>> {t: round(v, 9) for t, v in d.attrs["type_effects"].items()}, d.attrs["df_residual"], d.attrs["s2_residual"]
    ({'hi': 10.0, 'lo': -10.0}, 3, 2.0)
    """
    prov = _province_table(provinces)
    for col in ("province", by, score):
        if col not in agencies.columns:
            raise ValueError(f"agencies needs the column {col!r}")
    a = agencies.loc[agencies[score].notna(), ["province", by, score]].astype({"province": str, by: str,
                                                                               score: float})
    unknown = sorted(set(a["province"]) - set(prov["iso_code"]))
    if unknown:
        raise ValueError(f"agencies in provinces missing from the provinces table: {unknown}")
    a = a.sort_values(["province", by, score], kind="stable")
    types = sorted(a[by].unique())
    p = pd.Categorical(a["province"], categories=prov["iso_code"]).codes.astype(np.intp)
    k = pd.Categorical(a[by], categories=types).codes.astype(np.intp)
    y = a[score].to_numpy(dtype=float)
    m = len(prov)
    mu, tau = _additive_fit(y, p, k, m, len(types))
    n = group_sum(np.ones(len(y)), p, m)
    resid = y - mu[p] - tau[k]
    df_res = len(y) - int((n > 0).sum()) - (len(types) - 1)
    if df_res <= 0:
        raise ValueError("too few agencies for the residual variance of the province + type model")
    s2_res = float(np.sum(resid * resid) / df_res)
    if not s2_res > 0:
        raise ValueError("the agencies' scores have no residual variation: no sampling variance")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 0, s2_res / n, np.nan)
    out = pd.DataFrame({"province": prov["iso_code"], "region": prov["region"], "n": n.astype(int),
                        "direct": np.where(n > 0, mu, np.nan), "direct_var": var})
    out.attrs.update({"s2_residual": s2_res, "df_residual": df_res,
                      "type_effects": {t: float(v) for t, v in zip(types, tau, strict=True)}})
    return out


def region_design(provinces: pd.DataFrame, with_data: list[str] | None = None) -> pd.DataFrame:
    """The Fay-Herriot covariates: an intercept and a dummy for every region but the first (sorted).

    With ``with_data`` (the provinces that have a direct estimate) only regions holding one of them
    get a dummy, the first of those being the reference, and when there are too few provinces for
    the region effects (not more than one per covariate plus one) the intercept alone is used; so an
    interim export or a subset of provinces still gives a full-rank model.

    >>> region_design(pd.DataFrame({"iso_code": ["B", "A", "C"], "region": ["s", "n", "s"]}))
       const  region[s]
    A    1.0        0.0
    B    1.0        1.0
    C    1.0        1.0
    """
    prov = _province_table(provinces)
    X = pd.DataFrame({"const": 1.0}, index=pd.Index(prov["iso_code"].to_numpy(), name=None))
    regions = prov["region"] if with_data is None else prov.loc[prov["iso_code"].isin(with_data), "region"]
    for r in sorted(regions.unique())[1:]:
        X[f"region[{r}]"] = (prov["region"] == r).to_numpy(dtype=float)
    if with_data is not None and len(with_data) <= X.shape[1] + 1:
        X = X[["const"]]
    return X


def _rank_columns(prefix: str, estimate: pd.Series, variance: pd.Series, n_draws: int, seed: int,
                  level: float) -> pd.DataFrame:
    r = rank_intervals(estimate, variance, n_draws=n_draws, seed=seed, level=level)
    return pd.DataFrame({f"{prefix}_rank": r["rank"], f"{prefix}_rank_median": r["rank_median"],
                         f"{prefix}_rank_low": r["rank_low"], f"{prefix}_rank_high": r["rank_high"]})


def province_estimates(agencies: pd.DataFrame, provinces: pd.DataFrame, *, score: str = "index",
                       confidence: float = 0.95, rank_level: float = 0.90, n_draws: int = 10_000, seed: int = 0,
                       cutoffs: Mapping[str, float] | None = None, adjust_for: str | None = None) -> pd.DataFrame:
    """Direct and Fay-Herriot EB estimates of every surveyed province's model-expected score.

    Parameters
    ----------
    agencies:
        Agency scores (e.g. :func:`analysis.indicators.scores.agency_scores`): ``province`` and the
        ``score`` column, one row per responding agency.
    provinces:
        Every surveyed province, columns ``iso_code`` and ``region`` (e.g.
        ``load_provinces(in_survey_only=True)``). Provinces without agencies keep their row: no
        direct estimate, the EB estimate is the synthetic regional prediction.
    score:
        The agency score to estimate (``index`` or a pillar).
    confidence:
        Level of the normal intervals ``direct -/+ z sqrt(direct_var)`` and ``eb -/+ z sqrt(eb_mse)``.
    rank_level:
        Level of the rank intervals.
    n_draws, seed:
        Normal draws behind the rank intervals (``numpy.random.default_rng(seed)``; the direct and
        the EB ranks use the same seed).
    cutoffs:
        ``{band: lower cut-off}`` in ascending order (:func:`band_cutoffs` of the codebook); the
        first band is unbounded below, the last above. ``None``: no band probabilities.
    adjust_for:
        ``None``: the direct estimate is the plain mean with ``psi_i = s^2_pooled / n_i``
        (:func:`direct_estimates`). A column of ``agencies`` naming the agency type (``"agency"``):
        the type-adjusted survey-regression estimate with ``psi_i = s^2_res / n_i``
        (:func:`type_adjusted_estimates`); the EB estimate then shrinks that one.

    Returns
    -------
    pandas.DataFrame
        One row per province in ``iso_code`` order:

        * ``province``, ``region``, ``n`` (agencies with a score);
        * ``direct``, ``direct_var`` (``psi_i = s^2_pooled / n_i``), ``direct_low``, ``direct_high``;
          ``direct_rank``, ``direct_rank_median``, ``direct_rank_low``, ``direct_rank_high`` (among
          the provinces with agencies);
        * ``synthetic`` (``x_i' beta``), ``gamma`` (weight of the direct estimate), ``eb``, ``eb_mse``,
          ``eb_low``, ``eb_high``; ``eb_rank``, ``eb_rank_median``, ``eb_rank_low``, ``eb_rank_high``
          (among all provinces);
        * ``p_<band>``: probability of each band under ``N(eb, eb_mse)``.

        ``attrs`` holds ``estimand``, ``direct_method``, ``s2`` (the variance behind ``psi``),
        ``sigma2_u``, ``beta`` (dict) and the levels.

    Notes
    -----
    Deterministic: agencies are taken in (province, score) order and the rank draws are seeded, so
    row order and re-runs change nothing; the Fay-Herriot fit and the sums avoid BLAS
    (:mod:`analysis.core.numerics`), so results agree across CPUs far below 6 decimals.

    References
    ----------
    Fay & Herriot (1979); Efron & Morris (1975); Goldstein & Spiegelhalter (1996); Rao & Molina (2015),
    chapter 6; Wolter (2007), chapter 7. Full entries in the module docstring.

    Examples
    --------
    Four provinces of one region with four agencies each and the same spread, so equal
    ``psi = s^2 / 4 = (200 / 3) / 4``, and one province without agencies. With an intercept only and
    equal ``psi`` REML gives ``sigma2_u = var(direct) - psi = 422.917 - 16.667`` and ``gamma =
    406.25 / 422.917 = 0.961``; each EB estimate moves ``1 - gamma`` of the way to the mean of the
    direct estimates, 63.75, which is also the estimate of the province without agencies:

    >>> prov = pd.DataFrame({"iso_code": list("ABCDE"), "region": "r"})
    >>> scores = {"A": [30, 40, 50, 40], "B": [50, 60, 70, 60], "C": [55, 65, 75, 65], "D": [80, 90, 100, 90]}
    >>> ag = pd.DataFrame([(p, float(s)) for p, v in scores.items() for s in v], columns=["province", "index"])
    >>> est = province_estimates(ag, prov, n_draws=2000)
    >>> est[["province", "n", "direct", "direct_var", "gamma", "eb", "eb_rank"]].round(3)
      province  n  direct  direct_var  gamma      eb  eb_rank
    0        A  4    40.0      16.667  0.961  40.936        5
    1        B  4    60.0      16.667  0.961  60.148        4
    2        C  4    65.0      16.667  0.961  64.951        2
    3        D  4    90.0      16.667  0.961  88.966        1
    4        E  0     NaN         NaN    NaN  63.750        3
    """
    if adjust_for is None:
        direct = direct_estimates(agencies, provinces, score)
        method, s2 = "mean of the responding agencies; psi = pooled within-province variance / n", "s2_pooled"
    else:
        direct = type_adjusted_estimates(agencies, provinces, score, by=adjust_for)
        method, s2 = f"survey-regression estimate adjusted for {adjust_for}; psi = residual variance / n", "s2_residual"
    keys = pd.Index(direct["province"].to_numpy())
    y = pd.Series(direct["direct"].to_numpy(), index=keys)
    X = region_design(provinces, with_data=list(keys[y.notna().to_numpy()]))
    psi = pd.Series(direct["direct_var"].to_numpy(), index=keys)
    fit = fay_herriot(y[y.notna()], psi[y.notna()], X, confidence=confidence)
    fh = fit.estimates.set_index("area")
    z = float(ndtri(0.5 + confidence / 2))
    out = direct[["province", "region", "n", "direct", "direct_var"]].copy()
    half = z * np.sqrt(out["direct_var"].to_numpy())
    out["direct_low"], out["direct_high"] = out["direct"] - half, out["direct"] + half
    d_ranks = _rank_columns("direct", y, psi, n_draws, seed, rank_level)
    eb, mse = fh["eblup"].reindex(keys), fh["mse"].reindex(keys)
    e_ranks = _rank_columns("eb", eb, mse, n_draws, seed, rank_level)
    out = pd.concat([out, d_ranks.reset_index(drop=True)], axis=1)
    out["synthetic"] = fh["synthetic"].reindex(keys).to_numpy()
    out["gamma"] = fh["gamma"].reindex(keys).to_numpy()
    out["eb"], out["eb_mse"] = eb.to_numpy(), mse.to_numpy()
    out["eb_low"], out["eb_high"] = fh["low"].reindex(keys).to_numpy(), fh["high"].reindex(keys).to_numpy()
    out = pd.concat([out, e_ranks.reset_index(drop=True)], axis=1)
    if cutoffs is not None:
        bands = list(cutoffs)
        probs = band_probabilities(eb, mse, [float(cutoffs[b]) for b in bands[1:]], bands)
        out = pd.concat([out, probs.reset_index(drop=True)], axis=1)
    out.attrs.update({"estimand": ESTIMAND, "direct_method": method, "s2": direct.attrs[s2], "sigma2_u": fit.sigma2_u,
                      "beta": {k: float(v) for k, v in fit.beta.items()}, "confidence": confidence,
                      "rank_level": rank_level})
    return out


#: Fewer provinces with data than this and the EB estimator falls back to the direct one: the
#: between-province variance (REML) rests on the provinces, and a handful cannot carry it.
MIN_EB_PROVINCES = 10

#: The province estimators the published tables can show (``province_estimator`` in ``params/index.yaml``).
ESTIMATORS = {
    "eb": "empirical Bayes (Fay-Herriot, region as covariate) of the agency-type-adjusted direct estimate",
    "direct": "mean of the responding agencies, BCa bootstrap interval",
}


def published_scores(direct: pd.DataFrame, agencies: pd.DataFrame, provinces: pd.DataFrame, codebook: Codebook, *,
                     estimator: str = "eb", confidence: float = 0.95, rank_level: float = 0.90,
                     n_draws: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """The province table the pages and the overview show, by the chosen estimator.

    ``direct`` is :func:`analysis.indicators.bootstrap.province_bootstrap`'s table (direct means with
    BCa intervals, bands, band probabilities, ranks). With ``estimator="eb"`` every score (index and
    pillars), its interval, the band, the band probabilities and the rank and rank interval are
    replaced by the EB estimate of the type-adjusted direct estimate
    (:func:`province_estimates` with ``adjust_for="agency"``), which the estimator simulation
    (``notebooks/30_estimator_simulation``) found the most accurate with calibrated intervals; the
    direct values are kept as ``direct_<score>``, ``direct_<score>_low`` and ``direct_<score>_high``
    (with either estimator, so the table has the same columns).
    A province without responding agencies keeps no estimate (EB would give it the regional
    prediction, which says nothing about the province). ``estimator`` is recorded in a column.

    Parameters
    ----------
    direct : pandas.DataFrame
        The bootstrap table, one row per surveyed province.
    agencies : pandas.DataFrame
        Agency scores (``province``, ``agency``, index and pillar columns).
    provinces : pandas.DataFrame
        Surveyed provinces with ``iso_code`` and ``region``.
    codebook : Codebook
        For the score columns and the bands.
    estimator : str
        ``"eb"`` or ``"direct"`` (:data:`ESTIMATORS`).
    confidence, rank_level, n_draws, seed
        Interval levels and the draws of the rank intervals.

    Returns
    -------
    pandas.DataFrame
        ``direct`` with the published columns by the estimator, and ``estimator``.

    References
    ----------
    Fay & Herriot (1979); Battese, Harter & Fuller (1988); Rao & Molina (2015), ch. 6.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"province_estimator {estimator!r}: choose one of {sorted(ESTIMATORS)}")
    out = direct.copy()
    has = out["index"].notna().to_numpy()
    if estimator == "eb" and has.sum() < MIN_EB_PROVINCES:
        estimator = "direct"  # too few provinces to estimate the between-province variance
    out["estimator"] = estimator
    for col in score_columns(codebook):
        for suffix in ("", "_low", "_high"):
            out[f"direct_{col}{suffix}"] = out[f"{col}{suffix}"]
    if estimator == "direct":
        return out
    keys = out["province"]
    for col in score_columns(codebook):
        est = province_estimates(agencies, provinces, score=col, confidence=confidence, rank_level=rank_level,
                                 n_draws=n_draws, seed=seed, adjust_for="agency").set_index("province").reindex(keys)
        out[col] = np.where(has, est["eb"].to_numpy(), np.nan)
        out[f"{col}_low"] = np.where(has, est["eb_low"].to_numpy(), np.nan)
        out[f"{col}_high"] = np.where(has, est["eb_high"].to_numpy(), np.nan)
        if col == "index":
            _index_columns(out, est, has, codebook, rank_level, n_draws, seed)
    return out


def _index_columns(out: pd.DataFrame, est: pd.DataFrame, has: np.ndarray, codebook: Codebook, rank_level: float,
                   n_draws: int, seed: int) -> None:
    """Band, band probabilities and ranks of the EB index, among the provinces with data."""
    eb = pd.Series(np.where(has, est["eb"].to_numpy(), np.nan), index=out.index)
    mse = pd.Series(np.where(has, est["eb_mse"].to_numpy(), np.nan), index=out.index)
    out["band"] = bands(out["index"], codebook).to_numpy()
    cut = band_cutoffs(codebook)
    names = list(cut)
    probs = band_probabilities(eb, mse, [float(cut[b]) for b in names[1:]], names)
    for b in names:
        out[f"p_{b}"] = np.where(has, probs[f"p_{b}"].to_numpy(), np.nan)
    out["band_probability"] = [out.at[r, f"p_{b}"] if isinstance(b, str) else np.nan
                               for r, b in zip(out.index, out["band"], strict=True)]
    ranks = rank_intervals(eb[has], mse[has], n_draws=n_draws, seed=seed, level=rank_level)
    for c in ("rank", "rank_median", "rank_low", "rank_high"):
        out[c] = for_all_provinces(ranks[c].to_numpy(float), has, integer=c != "rank_median")
    out["n_ranked"] = int(has.sum())
