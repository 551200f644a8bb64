"""Cluster-robust inference with few clusters: the CR2 (bias-reduced linearisation) variance with
Satterthwaite degrees of freedom.

With few clusters the usual cluster-robust variance (CR1: the sandwich times ``G / (G - 1)``,
compared with ``t(G - 1)``) is biased downwards and its intervals cover too little, worst when the
clusters differ in size. Bell & McCaffrey (2002) adjust each cluster's residuals by
``A_j = [(I - H)_jj]^(-1/2)``, which makes the variance unbiased when the errors are independent
and homoskedastic (the working model), and compare the t statistic with a t distribution whose
degrees of freedom match the first two moments of the variance estimate under that working model
(Satterthwaite). Pustejovsky & Tipton (2018) take ``A_j`` from the Moore-Penrose pseudo-inverse,
so that the adjustment exists when fixed effects make ``(I - H)_jj`` singular. This module follows
R's ``clubSandwich`` (``vcovCR(type = "CR2")`` and ``coef_test(test = "Satterthwaite")`` for an
unweighted ``lm``) and reproduces the package's published values in the unit tests.

:func:`cluster_mean_cr2` is the case the project publishes (a mean of agency scores clustered by
province). It uses the closed form of CR2 and its degrees of freedom for an intercept-only model,
built from elementwise operations and per-cluster sums only, so it gives the same bits on every
CPU. :func:`cr2_ols` (any design) uses LAPACK eigen-decompositions; round what it returns.

References
----------
Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology*, 28(2), 169-181.

Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust variance
estimation and hypothesis testing in fixed effects models. *Journal of Business & Economic
Statistics*, 36(4), 672-683. https://doi.org/10.1080/07350015.2016.1247004

Pustejovsky, J. E. (2024). clubSandwich: Cluster-robust (sandwich) variance estimators with
small-sample corrections. R package, https://github.com/jepusto/clubSandwich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.numerics import group_sum

__all__ = ["cluster_mean_cr2", "cr2_ols"]

#: Eigenvalues of ``(I - H)_jj`` at or below this count as zero in the pseudo-inverse square root
#: (clubSandwich's ``matrix_power(x, -1/2)`` uses 1e-12).
EIG_TOL = 1e-12


# --------------------------------------------------------------------------- any design (LAPACK)


def _pinv_sqrt(m: np.ndarray) -> np.ndarray:
    """Symmetric square root of the Moore-Penrose pseudo-inverse of a symmetric PSD matrix."""
    values, vectors = np.linalg.eigh((m + m.T) / 2)
    inv_sqrt = np.where(values > EIG_TOL, 1.0 / np.sqrt(np.where(values > EIG_TOL, values, 1.0)), 0.0)
    return (vectors * inv_sqrt) @ vectors.T


def _clean(y: pd.Series | np.ndarray, X: pd.DataFrame | np.ndarray,
           clusters: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Complete rows as arrays (cluster codes 0..G-1) and the coefficient names; checks full rank."""
    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
    xa = np.asarray(X, dtype=float)
    ya = np.asarray(y, dtype=float)
    ga = pd.Series(np.asarray(clusters))
    ok = np.isfinite(ya) & np.isfinite(xa).all(axis=1) & ga.notna().to_numpy()
    codes = pd.factorize(ga[ok], sort=True)[0]
    xa, ya = xa[ok], ya[ok]
    if np.linalg.matrix_rank(xa) < xa.shape[1]:
        raise ValueError("X is rank deficient; drop the aliased columns first")
    if codes.max(initial=-1) < 1:
        raise ValueError("cluster-robust variance needs at least two clusters")
    return ya, xa, codes, names


def _two_sided_p(t: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    return 2 * stats.t.sf(np.abs(t), df)


def cr2_ols(y: pd.Series | np.ndarray, X: pd.DataFrame | np.ndarray, clusters: pd.Series | np.ndarray) -> pd.DataFrame:
    """OLS coefficients with CR2 standard errors and Satterthwaite degrees of freedom, and CR1.

    Parameters
    ----------
    y, X, clusters:
        Outcome, design matrix (include the intercept or fixed-effect dummies yourself; full column
        rank) and the cluster of each row, matched by position. Rows with a missing value are
        dropped.

    Returns
    -------
    pandas.DataFrame
        One row per coefficient: ``coef``, ``se``, ``df``, ``t``, ``p`` (CR2, working model
        ``I``, Satterthwaite df as ``clubSandwich::coef_test``) and ``se_cr1``, ``df_cr1``,
        ``t_cr1``, ``p_cr1`` (clubSandwich's CR1, the sandwich times ``G / (G - 1)``, with
        ``G - 1`` df). ``n_clusters`` repeats ``G``.

    Notes
    -----
    With ``M = (X'X)^-1``, residuals ``e`` and, per cluster ``j``,
    ``A_j = [(I - X_j M X_j')^+]^(1/2)``, the CR2 variance is
    ``M (sum_j X_j' A_j e_j e_j' A_j X_j) M``. For coefficient ``c`` let
    ``g_j = A_j X_j M c`` and ``b_j = X_j' g_j``; under the working model (independent errors of
    equal variance) the variance estimate is a quadratic form whose matrix in the ``g``
    coordinates is ``P = diag(g_j' g_j) - [b_j' M b_k]_jk``, and the Satterthwaite df is
    ``2 E[V]^2 / Var[V] = tr(P)^2 / sum(P^2)`` (Bell & McCaffrey 2002, sec. 4; Pustejovsky &
    Tipton 2018, sec. 3; clubSandwich's ``Satterthwaite_df``).

    References
    ----------
    Bell & McCaffrey (2002); Pustejovsky & Tipton (2018). Full entries in the module docstring.

    Examples
    --------
    An intercept-only model gives the mean and agrees with :func:`cluster_mean_cr2`:

    >>> y = np.array([3.0, 5.0, 4.0, 8.0, 9.0, 1.0, 2.0])
    >>> g = np.array([1, 1, 1, 2, 2, 3, 3])
    >>> res = cr2_ols(y, pd.DataFrame({"const": np.ones(7)}), g)
    >>> res[["coef", "se", "df"]].round(4)
             coef      se      df
    const  4.5714  1.7167  1.9231
    >>> mean, low, high, df = cluster_mean_cr2(pd.Series(y), pd.Series(g))
    >>> bool(np.isclose(df, res.loc["const", "df"]))
    True
    """
    ya, xa, codes, names = _clean(y, X, clusters)
    n_clusters = int(codes.max()) + 1
    bread = np.linalg.inv(xa.T @ xa)
    bread = (bread + bread.T) / 2
    coef = bread @ (xa.T @ ya)
    resid = ya - xa @ coef
    p = xa.shape[1]
    meat_cr2, meat_cr1 = np.zeros((p, p)), np.zeros((p, p))
    g_rows, b_rows = [], []  # per cluster: rows of M X_j' A_j (p x n_j) and M X_j' A_j X_j (p x p)
    for j in range(n_clusters):
        xj, ej = xa[codes == j], resid[codes == j]
        adj = _pinv_sqrt(np.eye(len(xj)) - xj @ bread @ xj.T)
        u2 = xj.T @ (adj @ ej)
        u1 = xj.T @ ej
        meat_cr2 += np.outer(u2, u2)
        meat_cr1 += np.outer(u1, u1)
        gj = bread @ xj.T @ adj
        g_rows.append(gj)
        b_rows.append(gj @ xj)
    v_cr2 = bread @ meat_cr2 @ bread
    v_cr1 = bread @ meat_cr1 @ bread * n_clusters / (n_clusters - 1)
    df = np.empty(p)
    for c in range(p):
        b = np.stack([bj[c] for bj in b_rows])  # G x p
        pm = -(b @ bread @ b.T)
        pm[np.diag_indices(n_clusters)] += np.array([np.sum(gj[c] ** 2) for gj in g_rows])
        df[c] = np.trace(pm) ** 2 / np.sum(pm**2)
    se, se1 = np.sqrt(np.diag(v_cr2)), np.sqrt(np.diag(v_cr1))
    t, t1 = coef / se, coef / se1
    return pd.DataFrame({"coef": coef, "se": se, "df": df, "t": t, "p": _two_sided_p(t, df),
                         "se_cr1": se1, "df_cr1": float(n_clusters - 1), "t_cr1": t1,
                         "p_cr1": _two_sided_p(t1, n_clusters - 1), "n_clusters": n_clusters}, index=names)


# --------------------------------------------------------------------------- the mean (closed form)


def cluster_mean_cr2(values: pd.Series, clusters: pd.Series,
                     confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Mean of ``values`` with a CR2 t interval on Satterthwaite degrees of freedom (clustered).

    The intercept-only case of :func:`cr2_ols` in closed form. With ``n`` values, cluster sizes
    ``n_j``, shares ``p_j = n_j / n`` and residual sums ``s_j = sum_{i in j} (x_i - mean)``:
    ``(I - H)_jj = I - 11'/n`` has the eigenvalue ``1 - p_j`` along ``1`` and 1 elsewhere, so

    * ``Var_CR2(mean) = sum_j s_j^2 / (1 - p_j) / n^2`` (CR1 has ``G / (G - 1)`` instead of
      ``1 / (1 - p_j)``; with equal clusters the two coincide), and
    * ``df = 1 / (sum_j d_j^2 - 2 sum_j d_j a_j + (sum_j a_j)^2)`` with ``d_j = p_j / (1 - p_j)``
      and ``a_j = p_j^2 / (1 - p_j)``; equal clusters give ``G - 1``, unequal ones fewer.

    Only elementwise operations and per-cluster sums (:func:`analysis.core.numerics.group_sum`),
    so the result does not depend on the CPU. Missing values are dropped first; fewer than two
    clusters give no interval (NaN). Returns ``(mean, low, high, df)``.

    References
    ----------
    Bell & McCaffrey (2002); Pustejovsky & Tipton (2018). Full entries in the module docstring.

    Examples
    --------
    With one value per cluster CR2 is the ordinary standard error and df is ``n - 1``, so the
    interval is the textbook t interval:

    >>> x = pd.Series([50.0, 60, 55, 40, 45, 42])
    >>> mean, low, high, df = cluster_mean_cr2(x, pd.Series(range(6)))
    >>> ref = stats.t.interval(0.95, 5, loc=x.mean(), scale=stats.sem(x))
    >>> bool(np.allclose([low, high], ref)), round(df, 12)
    (True, 5.0)

    Unequal clusters (shares 3/7, 2/7, 2/7) have fewer degrees of freedom than ``G - 1 = 2``:
    ``d = (3/4, 2/5, 2/5)``, ``a = (9/28, 4/35, 4/35)``, so ``df = 1 / 0.52``:

    >>> mean, low, high, df = cluster_mean_cr2(pd.Series([3.0, 5, 4, 8, 9, 1, 2]), pd.Series([1, 1, 1, 2, 2, 3, 3]))
    >>> round(mean, 4), round(low, 3), round(high, 3), round(df, 4)
    (4.5714, -3.105, 12.248, 1.9231)
    """
    mean, se, df = cluster_mean_se_cr2(values, clusters)
    if np.isnan(se):
        return mean, np.nan, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, df) * se)
    return mean, mean - half, mean + half, df


def cluster_mean_se_cr2(values: pd.Series, clusters: pd.Series) -> tuple[float, float, float]:
    """The mean, its CR2 standard error and Satterthwaite degrees of freedom (see
    :func:`cluster_mean_cr2`); NaN standard error and df with fewer than two clusters.

    >>> cluster_mean_se_cr2(pd.Series([1.0, 3.0]), pd.Series(["a", "b"]))
    (2.0, 1.0, 1.0)
    """
    ok = (values.notna() & clusters.notna()).to_numpy()
    x = values.to_numpy(dtype=float)[ok]
    n = len(x)
    mean = float(np.sum(x) / n) if n else np.nan
    codes, uniques = pd.factorize(clusters[ok], sort=True)
    n_groups = len(uniques)
    if n_groups < 2:
        return mean, np.nan, np.nan
    sums = group_sum(x - mean, codes, n_groups)
    share = np.bincount(codes, minlength=n_groups) / n
    rest = 1.0 - share
    se = float(np.sqrt(np.sum(sums * sums / rest)) / n)
    d = share / rest
    a = share * share / rest
    df = float(1.0 / (np.sum(d * d) - 2.0 * np.sum(d * a) + np.sum(a) ** 2))
    return mean, se, df
