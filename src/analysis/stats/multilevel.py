"""Agencies within provinces: ICC(1)/ICC(2), REML ICC(1), r_wg(J), and each province against the nation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from analysis.indicators.clusterrobust import cluster_mean_se_cr2
from analysis.stats.thresholds import threshold


def icc(values: pd.Series, groups: pd.Series, confidence: float = 0.95) -> pd.DataFrame:
    """ICC(1) and ICC(2) of a per-agency score grouped by province (one-way random effects).

    ``values`` and ``groups`` are aligned Series (e.g. the agency index and its province);
    rows with a missing value are dropped. With unequal group sizes the group size is
    Bliese's (2000) adjusted ``k0 = (N - sum n_g^2 / N) / (G - 1)``. ICC(1) =
    ``(MSB - MSW) / (MSB + (k0 - 1) MSW)``, ICC(2) = ``(MSB - MSW) / MSB``, with the F-based
    intervals of Shrout & Fleiss (1979) for the one-way model. Hand-written because
    pingouin.intraclass_corr needs a balanced targets x raters design.
    Columns: type, icc, F, df1, df2, p, ci_low, ci_high, n_groups, n, k0.

    Parameters
    ----------
    values : pandas.Series
        A score per agency.
    groups : pandas.Series
        Each agency's province.
    confidence : float
        Level of the F-based intervals.

    Returns
    -------
    pandas.DataFrame
        Rows ICC1 and ICC2: type, icc, F, df1, df2, p, ci_low, ci_high, n_groups, n, k0.

    References
    ----------
    Shrout & Fleiss (1979); Bliese (2000). Full references: ``docs/references.md``.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (6 targets, 4 judges), one-way model: ICC(1,1) = .17 with
    95 % interval -.13 to .72; ICC(1,k) = .44 (-.88 to .91), as published.

    >>> table = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> out = icc(pd.Series(table.ravel().astype(float)), pd.Series(np.repeat(np.arange(6), 4)))
    >>> out[["icc", "ci_low", "ci_high"]].round(2).values.tolist()
    [[0.17, -0.13, 0.72], [0.44, -0.88, 0.91]]
    """
    d = pd.DataFrame({"y": values, "g": groups}).dropna()
    grouped = d.groupby("g", observed=True)["y"]
    n_g, means = grouped.size(), grouped.mean()
    n, n_groups = len(d), len(n_g)
    df1, df2 = n_groups - 1, n - n_groups
    if df1 < 1 or df2 < 1:  # one province, or one agency in each: no between/within split
        return pd.DataFrame([{"type": t, "icc": np.nan, "F": np.nan, "df1": df1, "df2": df2, "p": np.nan,
                              "ci_low": np.nan, "ci_high": np.nan, "n_groups": n_groups, "n": n, "k0": np.nan}
                             for t in ("ICC1", "ICC2")])
    msb = float((n_g * (means - d["y"].mean()) ** 2).sum() / df1)
    msw = float(((d["y"] - d["g"].map(means)) ** 2).sum() / df2)
    k0 = (n - (n_g**2).sum() / n) / df1
    f = msb / msw
    q = stats.f.ppf(1 - (1 - confidence) / 2, [df1, df2], [df2, df1])
    f_low, f_high = f / q[0], f * q[1]
    common = {"F": f, "df1": df1, "df2": df2, "p": float(stats.f.sf(f, df1, df2)),
              "n_groups": n_groups, "n": n, "k0": k0}
    return pd.DataFrame([
        {"type": "ICC1", "icc": (msb - msw) / (msb + (k0 - 1) * msw),
         "ci_low": (f_low - 1) / (f_low + k0 - 1), "ci_high": (f_high - 1) / (f_high + k0 - 1), **common},
        {"type": "ICC2", "icc": (msb - msw) / msb, "ci_low": 1 - 1 / f_low, "ci_high": 1 - 1 / f_high,
         **common},
    ])[["type", "icc", "F", "df1", "df2", "p", "ci_low", "ci_high", "n_groups", "n", "k0"]]


def _reml_criterion(gamma: float, ssw: float, n_g: np.ndarray, means: np.ndarray) -> float:
    """-2 x the REML log-likelihood of ``y ~ 1 + (1 | group)``, profiled over the mean and the
    residual variance, at the variance ratio ``gamma = tau2 / sigma2`` (constants dropped).

    Per group ``V_g = sigma2 (I + gamma J)``, so ``(y - mu)' V_g^-1 (y - mu) = (SSW_g + w_g (ybar_g -
    mu)^2) / sigma2`` with ``w_g = n_g / (1 + n_g gamma)``; the GLS mean is ``sum w_g ybar_g / sum
    w_g`` and ``sigma2 = Q / (N - 1)`` (Searle, Casella & McCulloch 1992, ch. 6).
    """
    w = n_g / (1 + n_g * gamma)
    mu = float(np.sum(w * means) / np.sum(w))
    q = ssw + float(np.sum(w * (means - mu) ** 2))
    dof = float(np.sum(n_g)) - 1
    return dof * np.log(q / dof) + float(np.sum(np.log1p(n_g * gamma))) + float(np.log(np.sum(w)))


def icc_reml(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """ICC(1) from the variance components of a random-intercept model fitted by REML.

    The multilevel cross-check of :func:`icc`'s ANOVA estimate: ``tau2 / (tau2 + sigma2)`` with
    ``tau2`` the between-province and ``sigma2`` the within-province variance of
    ``y ~ 1 + (1 | province)``. With equal group sizes (and MSB > MSW) the two estimates are the
    same number; with unequal sizes they differ slightly, and a large gap would point at a few
    provinces with very few agencies. Columns: type, icc, tau2, sigma2, n_groups, n, converged.

    The REML criterion is profiled down to the one variance ratio (:func:`_reml_criterion`) and
    minimised by a grid over ``log gamma`` and a bounded Brent search around the best grid point
    (to ``1e-12``). Hand-written rather than statsmodels ``MixedLM`` because its optimisers
    disagree on this survey's scores (lbfgs stops at tau2 = 0 with an infinite likelihood and
    reports convergence; bfgs stops short), so the estimate depended on which one stopped where;
    the unit tests check this fit against MixedLM's best likelihood and the ANOVA identity.

    Parameters
    ----------
    values : pandas.Series
        A score per agency.
    groups : pandas.Series
        Each agency's province.

    Returns
    -------
    pandas.DataFrame
        One row: type, icc, tau2, sigma2, n_groups, n, converged.

    References
    ----------
    Searle, Casella & McCulloch (1992). Full references: ``docs/references.md``.

    Examples
    --------
    Equal group sizes: REML gives the ANOVA estimate, .17 on Shrout & Fleiss's (1979) Table 2.

    >>> table = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> out = icc_reml(pd.Series(table.ravel().astype(float)), pd.Series(np.repeat(np.arange(6), 4)))
    >>> round(float(out["icc"].iloc[0]), 2)
    0.17
    """
    d = pd.DataFrame({"y": values, "g": groups}).dropna()
    grouped = d.groupby("g", observed=True)["y"]
    n_g, means = grouped.size().to_numpy(float), grouped.mean().to_numpy(float)
    ssw = float(((d["y"] - d["g"].map(grouped.mean())) ** 2).sum())
    row = {"type": "ICC1_REML", "icc": np.nan, "tau2": np.nan, "sigma2": np.nan, "n_groups": len(n_g),
           "n": len(d), "converged": False}
    if len(n_g) < 2 or len(d) - len(n_g) < 1:
        return pd.DataFrame([row])
    grid = np.concatenate([[0.0], np.logspace(-6, 3, 91)])
    crit = np.array([_reml_criterion(g, ssw, n_g, means) for g in grid])
    best = int(np.argmin(crit))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(_reml_criterion, bounds=(lo, hi), args=(ssw, n_g, means), method="bounded",
                                   options={"xatol": 1e-12, "maxiter": 500})
    gamma = float(res.x) if res.fun <= crit[best] else float(grid[best])
    w = n_g / (1 + n_g * gamma)
    mu = np.sum(w * means) / np.sum(w)
    sigma2 = (ssw + float(np.sum(w * (means - mu) ** 2))) / (len(d) - 1)
    row.update(icc=gamma / (1 + gamma), tau2=gamma * sigma2, sigma2=sigma2, converged=bool(res.success))
    return pd.DataFrame([row])


def rwg(item_values: pd.DataFrame, groups: pd.Series, scale_min: int, scale_max: int) -> pd.DataFrame:
    """Within-group agreement r_wg(J) of James, Demaree & Wolf (1984) over J parallel items.

    ``item_values`` holds answers on an integer A-point scale (A = scale_max - scale_min + 1),
    one row per agency; ``groups`` its province. The null is the uniform ("rectangular")
    distribution, variance ``(A^2 - 1) / 12``. For this survey pass the likert items' answer
    codes (1-5, A = 5): the 0-100 item scores of the other types are not on a common
    A-point scale, so no uniform null variance fits them (a likert score s maps back to the
    code ``1 + s / 25``). Item variances use the group's non-missing answers (ddof = 1).
    When the mean observed variance exceeds the null variance r_wg(J) is set to 0 (James et
    al. 1984; Lindell & Brandt 1997), instead of the formula's out-of-range value. A province
    where no item has two answers (a single agency) has no r_wg (NaN, not flagged).
    Columns: group, n, j, mean_var, r_wg_j, flag_low_rwg (below the ``rwg`` threshold, .70).

    Parameters
    ----------
    item_values : pandas.DataFrame
        Answers on an A-point scale, one row per agency.
    groups : pandas.Series
        Each agency's province.
    scale_min, scale_max : int
        The scale's end points.

    Returns
    -------
    pandas.DataFrame
        One row per province: group, n, j, mean_var, r_wg_j, flag_low_rwg.

    References
    ----------
    James, Demaree & Wolf (1984); Lindell & Brandt (1997); LeBreton & Senter (2008).
    Full references: ``docs/references.md``.

    Examples
    --------
    Two 5-point items; province ``a`` agrees (mean variance 1/3 against the null's 2), ``b`` does
    not (2.25 > 2, so 0):

    >>> answers = pd.DataFrame({"q1": [3, 4, 3, 2, 5], "q2": [3, 4, 4, 1, 1]})
    >>> rwg(answers, pd.Series(["a", "a", "a", "b", "b"]), 1, 5)["r_wg_j"].round(3).tolist()
    [0.909, 0.0]
    """
    a = scale_max - scale_min + 1
    null_var = (a**2 - 1) / 12
    rows = []
    for g, block in item_values.groupby(groups, observed=True):
        var = block.var(ddof=1).dropna()
        j = len(var)
        ratio = float(var.mean()) / null_var if j else np.nan
        r = np.nan if not j else j * (1 - ratio) / (j * (1 - ratio) + ratio) if ratio <= 1 else 0.0
        rows.append({"group": g, "n": len(block), "j": j, "mean_var": ratio * null_var,
                     "r_wg_j": r, "flag_low_rwg": threshold("rwg").meets(r) is False})
    return pd.DataFrame(rows, columns=["group", "n", "j", "mean_var", "r_wg_j", "flag_low_rwg"])


def compare_to_national(agency_scores: pd.Series, groups: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Each province's agencies against the national mean of the other provinces' agencies.

    The difference between the province's mean and the mean of all agencies in the *other*
    provinces (so the province does not pull its own reference), tested with both means
    uncertain: the province's variance ``s^2 / n`` and the reference mean's cluster-robust CR2
    variance (agencies clustered by province, :func:`analysis.indicators.clusterrobust.cluster_mean_se_cr2`),
    on Welch-Satterthwaite degrees of freedom. Raw p and the Benjamini-Hochberg adjusted p over
    provinces (statsmodels ``multipletests``, ``fdr_bh``). ``label`` is above / below when the
    adjusted p < ``alpha``, otherwise "not different"; "not tested" for a province with one agency
    (no variance to test with) or when fewer than two other provinces have data. Columns: group, n,
    mean, national_mean, diff, se_diff, t, df, p, p_adj, label.

    Parameters
    ----------
    agency_scores : pandas.Series
        A score per agency.
    groups : pandas.Series
        Each agency's province.
    alpha : float
        False discovery rate of the Benjamini-Hochberg adjustment.

    Returns
    -------
    pandas.DataFrame
        One row per province: group, n, mean, national_mean, diff, t, df, p, p_adj, label.

    References
    ----------
    Welch (1947); Satterthwaite (1946); Bell & McCaffrey (2002); Benjamini & Hochberg (1995).
    Full references: ``docs/references.md``.

    Examples
    --------
    Six provinces of four agencies; ``a`` is high, ``b`` low:

    >>> scores = pd.Series([60.0, 62, 64, 61, 40, 42, 44, 41, 50, 51, 52, 49, 49, 51, 50, 52, 52, 50, 51, 49,
    ...                     48, 50, 52, 51])
    >>> compare_to_national(scores, pd.Series(list("aaaabbbbccccddddeeeeffff")))["label"].tolist()
    ['above', 'below', 'not different', 'not different', 'not different', 'not different']
    """
    d = pd.DataFrame({"y": agency_scores, "g": groups}).dropna()
    rows = []
    for g, y in d.groupby("g", observed=True)["y"]:
        others = d[d["g"] != g]
        ref, se_ref, df_ref = cluster_mean_se_cr2(others["y"], others["g"])
        v_prov = float(y.var(ddof=1)) / len(y) if len(y) >= 2 else np.nan
        v_ref = se_ref * se_ref
        testable = len(y) >= 2 and v_prov > 0 and np.isfinite(v_ref)
        se = np.sqrt(v_prov + v_ref) if testable else np.nan
        df = (v_prov + v_ref) ** 2 / (v_prov**2 / (len(y) - 1) + v_ref**2 / df_ref) if testable else np.nan
        t = (y.mean() - ref) / se if testable else np.nan
        rows.append({"group": g, "n": len(y), "mean": y.mean(), "national_mean": ref, "diff": y.mean() - ref,
                     "se_diff": se, "t": t, "df": df, "p": 2 * stats.t.sf(abs(t), df) if testable else np.nan})
    out = pd.DataFrame(rows, columns=["group", "n", "mean", "national_mean", "diff", "se_diff", "t", "df", "p"])
    tested = out["p"].notna()
    out["p_adj"] = np.nan
    if tested.any():
        out.loc[tested, "p_adj"] = multipletests(out.loc[tested, "p"], alpha=alpha, method="fdr_bh")[1]
    out["label"] = np.where(~tested, "not tested", np.where(out["p_adj"] >= alpha, "not different",
                                                           np.where(out["diff"] > 0, "above", "below")))
    return out
