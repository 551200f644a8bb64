"""Confirmatory factor analysis of ordered-categorical items by diagonally weighted least squares.

The estimator lavaan uses with ``ordered = TRUE`` and ``estimator = "WLSMV"`` (its point
estimates, robust standard errors and standard test statistic): Muthen's (1984) three stages.

1. Thresholds of each item from its marginal proportions; polychoric correlations of each pair
   by two-step ML (:mod:`analysis.stats.ordinal`).
2. The asymptotic covariance ``Gamma`` of the polychoric correlations from the influence
   functions of the two-step estimator, built with outer products of the case-wise scores
   (lavaan's ``lav_muthen1984``): ``Gamma = N Psi' Psi`` with ``Psi`` the N x p* matrix of case
   influences.
3. The model -- simple structure, factor variances fixed to 1 (``std.lv = TRUE``), theta
   parameterisation (unit residual variances of the latent responses) -- is fitted by minimising
   ``F = sum_j (r_j - sigma_j)^2 / Gamma_jj`` over the p* = p(p - 1)/2 correlations. The
   thresholds are saturated, so for one group they fit exactly and do not enter F.

Fit as lavaan reports it for (D)WLS: ``T = (N - 1) F_min`` on ``p* - q`` df; the baseline
(independence) model has all correlations 0, ``T_0 = (N - 1) sum r_j^2 / Gamma_jj`` on p* df;
CFI and TLI from ``T`` and ``T_0``; RMSEA = ``sqrt(max(T - df, 0) / (df (N - 1)))``
(``lav_inspect_ntotal`` is N - 1 for every estimator but ML); SRMR is Bentler's without the
mean structure: ``sqrt(sum_{j<k} (r_jk - sigma_jk)^2 / (p (p + 1) / 2))``. Standard errors are
the DWLS sandwich ``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (N - 1)`` with the full ``Gamma``
(lavaan's ``se = "robust.sem"``, the default of WLSMV, which divides by N - 1 here too).

Not computed: the mean-and-variance adjusted (scaled-shifted) WLSMV statistic, for want of a
published value to check it against.

References
----------
Muthen, B. (1984). A general structural equation model with dichotomous, ordered categorical,
and continuous latent variable indicators. *Psychometrika*, 49, 115-132.

Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical and
continuous outcomes. Unpublished technical report.

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36 (and its source: ``R/lav_muthen1984.R``,
``R/lav_samplestats.R``, ``R/lav_fit_rmsea.R``, ``R/lav_fit_srmr.R``, ``R/lav_fit_cfi.R``).

Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
*Psychometrika*, 44, 443-460.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.stats.common import too_few
from analysis.stats.mlcfa import rmsea_ci
from analysis.stats.ordinal import ordinal_codes, polychoric_table

__all__ = ["CFAResult", "PolychoricGamma", "cfa_ordinal", "cfa_ordinal_fit", "polychoric_gamma"]

#: Columns of the one-row fit table (the same as :func:`analysis.stats.structure.cfa_fit`'s).
FIT_COLUMNS = ["n", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr", "note"]


# --------------------------------------------------------------------------------------------
# sample statistics: thresholds, polychoric correlations and their influence functions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolychoricGamma:
    """Pairwise polychoric correlations with the influence functions behind ``Gamma``."""

    #: Item names.
    items: list[str]
    #: Thresholds of each item.
    thresholds: list[np.ndarray]
    #: Pairs (i, j), i < j, in the order of ``rho`` (row-wise upper triangle).
    pairs: list[tuple[int, int]]
    #: Polychoric correlations, length p*.
    rho: np.ndarray
    #: Case influences on each correlation, N x p*: ``Psi' Psi`` is the asymptotic covariance
    #: of ``rho`` and ``Gamma = N Psi' Psi`` (lavaan's ``NACOV``, correlation block).
    influence: np.ndarray

    @property
    def n(self) -> int:
        return int(self.influence.shape[0])

    @property
    def acov_diag(self) -> np.ndarray:
        """Asymptotic variances of the correlations (lavaan's ``diag(WLS.W)``, correlation part)."""
        return np.einsum("ij,ij->j", self.influence, self.influence)


def polychoric_gamma(data: pd.DataFrame) -> PolychoricGamma:
    """Thresholds, two-step polychoric correlations and their influence functions, pairwise.

    Each correlation is :func:`analysis.stats.ordinal.polychoric_table` of the pair's table over the
    cases that answered both items (lavaan's defaults: 0.5 added to the empty cell of a 2 x 2
    table, margins kept); each such case's influence on it is the per-cell influence of the
    two-step estimator (Muthen 1984) at the case's cell, and a case that left either item blank
    has none. The asymptotic covariance of the correlations is ``Psi' Psi`` (under data missing
    completely at random, as lavaan's ``missing = "pairwise"``) and lavaan's ``Gamma``
    (``NACOV``) is ``N Psi' Psi``. With complete data this is the complete-case estimator.

    Parameters
    ----------
    data : pandas.DataFrame
        Ordinal items (one column each; categories in sorted order; NaN for a blank).

    Returns
    -------
    PolychoricGamma
        Items, thresholds, pairs, correlations and the N x p* influence matrix.

    References
    ----------
    Muthen, B. (1984). *Psychometrika*, 49, 115-132; lavaan's ``R/lav_muthen1984.R``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .5], [.5, 1, .5], [.5, .5, 1]], size=2000)
    >>> pg = polychoric_gamma(pd.DataFrame(np.digitize(z, [-0.5, 0.5]), columns=["a", "b", "c"]))
    >>> pg.pairs, bool(np.all(np.abs(pg.rho - 0.5) < 4 * np.sqrt(pg.acov_diag)))
    ([(0, 1), (0, 2), (1, 2)], True)
    """
    items = [str(c) for c in data.columns]
    coded = [ordinal_codes(data[c]) for c in data.columns]
    codes = np.column_stack([c for c, _ in coded]) if coded else np.empty((0, 0), np.intp)
    ks = [len(levels) for _, levels in coded]
    pairs = list(combinations(range(len(items)), 2))
    rho = np.empty(len(pairs))
    infl = np.zeros((codes.shape[0], len(pairs)))
    ths: list[np.ndarray] = [np.empty(0)] * len(items)
    for p, (i, j) in enumerate(pairs):
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        ci, cj = codes[both, i], codes[both, j]
        table = np.bincount(ci * ks[j] + cj, minlength=ks[i] * ks[j]).reshape(ks[i], ks[j])
        res = polychoric_table(table)
        rho[p] = res.rho
        infl[both, p] = res.influence[ci, cj]
        ths[i], ths[j] = res.row_thresholds, res.col_thresholds
    return PolychoricGamma(items, ths, pairs, rho, infl)


# --------------------------------------------------------------------------------------------
# the model: simple structure, std.lv = TRUE, theta parameterisation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """Which factor each item loads on, and which factor correlation each item pair carries."""

    factor_of: np.ndarray          # item -> factor index
    first: np.ndarray              # pair -> first item
    second: np.ndarray             # pair -> second item
    phi_index: np.ndarray          # pair -> index of its factor correlation (-1 within a factor)
    n_factors: int

    @property
    def n_items(self) -> int:
        return len(self.factor_of)

    @property
    def n_params(self) -> int:
        return self.n_items + self.n_factors * (self.n_factors - 1) // 2


def _spec(groups: dict[str, list[str]], pairs: list[tuple[int, int]]) -> _Spec:
    factor_of = np.array([f for f, cs in enumerate(groups.values()) for _ in cs])
    nf = len(groups)
    fpair = {fg: k for k, fg in enumerate(combinations(range(nf), 2))}
    first, second = np.array([i for i, _ in pairs], int), np.array([j for _, j in pairs], int)
    fi, fj = factor_of[first], factor_of[second]
    phi_index = np.array([-1 if a == b else fpair[(min(a, b), max(a, b))] for a, b in zip(fi, fj, strict=True)], int)
    return _Spec(factor_of, first, second, phi_index, nf)


def _implied(theta: np.ndarray, spec: _Spec) -> tuple[np.ndarray, np.ndarray]:
    """Implied correlations of the latent responses and their Jacobian (p* x q).

    Theta parameterisation: ``sigma_ij = lambda_i lambda_j phi / sqrt((1 + lambda_i^2)(1 + lambda_j^2))``,
    i.e. ``l_i l_j phi`` with the standardised loadings ``l = lambda / sqrt(1 + lambda^2)``.
    """
    p = spec.n_items
    lam, phis = theta[:p], theta[p:]
    std = lam / np.sqrt(1 + lam * lam)
    dstd = (1 + lam * lam) ** -1.5
    phi = np.where(spec.phi_index >= 0, phis[np.maximum(spec.phi_index, 0)] if len(phis) else 0.0, 1.0)
    i, j = spec.first, spec.second
    sigma = std[i] * std[j] * phi
    jac = np.zeros((len(i), len(theta)))
    rows = np.arange(len(i))
    jac[rows, i] += dstd[i] * std[j] * phi
    jac[rows, j] += std[i] * dstd[j] * phi
    between = spec.phi_index >= 0
    jac[rows[between], p + spec.phi_index[between]] = std[i][between] * std[j][between]
    return sigma, jac


def _start(r: np.ndarray, spec: _Spec) -> np.ndarray:
    """Starting values: standardised loadings from the mean within-factor correlation, factor
    correlations from the mean between-factor correlation."""
    p, nf = spec.n_items, spec.n_factors
    full = np.eye(p)
    full[spec.first, spec.second] = full[spec.second, spec.first] = r
    std = np.empty(p)
    for i in range(p):
        mates = (spec.factor_of == spec.factor_of[i]) & (np.arange(p) != i)
        std[i] = np.sqrt(np.clip(np.abs(full[i, mates]).mean() if mates.any() else 0.5, 0.05, 0.9))
    phis = np.zeros(nf * (nf - 1) // 2)
    for k in range(len(phis)):
        sel = spec.phi_index == k
        phis[k] = np.clip(np.mean(r[sel] / (std[spec.first[sel]] * std[spec.second[sel]])), -0.9, 0.9)
    return np.concatenate([std / np.sqrt(1 - std * std), phis])


def _fit(r: np.ndarray, w: np.ndarray, spec: _Spec) -> np.ndarray:
    """DWLS estimates: ``argmin sum w (r - sigma(theta))^2`` by Levenberg-Marquardt with the analytic
    Jacobian, converged to the last digits (tolerances 1e-15) so that rounding cannot move a
    reported digit; each factor is then signed so that its loadings sum to a positive value."""
    sw = np.sqrt(w)

    def resid(theta: np.ndarray) -> np.ndarray:
        return sw * (r - _implied(theta, spec)[0])

    def jac(theta: np.ndarray) -> np.ndarray:
        return -sw[:, None] * _implied(theta, spec)[1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = optimize.least_squares(resid, _start(r, spec), jac=jac, method="lm", xtol=1e-15, ftol=1e-15,
                                     gtol=1e-15, max_nfev=20000)
    theta = _polish(sol.x, r, w, spec)
    p = spec.n_items
    signs = np.array([1.0 if theta[:p][spec.factor_of == f].sum() >= 0 else -1.0 for f in range(spec.n_factors)])
    theta[:p] *= signs[spec.factor_of]
    for k, (f, g) in enumerate(combinations(range(spec.n_factors), 2)):
        theta[p + k] *= signs[f] * signs[g]
    return theta


def _polish(theta: np.ndarray, r: np.ndarray, w: np.ndarray, spec: _Spec, max_iter: int = 100) -> np.ndarray:
    """Gauss-Newton steps from the Levenberg-Marquardt solution until a step is below 1e-13.

    MINPACK stops on the relative reduction of F, which leaves the parameters about 1e-8 from the
    minimum (F is flat there); Gauss-Newton on the normal equations ``D'W(r - sigma) = 0`` takes
    them to the last digits, so that no CPU or start can move a reported digit.
    """
    theta = theta.copy()
    for _ in range(max_iter):
        sigma, jac = _implied(theta, spec)
        wd = w[:, None] * jac
        step = np.linalg.solve(jac.T @ wd, wd.T @ (r - sigma))
        theta += step
        if np.abs(step).max() < 1e-13:
            break
    return theta


def _sandwich(theta: np.ndarray, w: np.ndarray, influence: np.ndarray, spec: _Spec) -> np.ndarray:
    """DWLS sandwich ``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (N - 1)`` with the full ``Gamma = N Psi' Psi``.

    lavaan divides by ``N - ngroups`` for every estimator but ML (``lav_model_vcov``), so the
    variances are ``N / (N - 1)`` times ``bread Psi' Psi bread``.
    """
    n = influence.shape[0]
    jac = _implied(theta, spec)[1]
    bread = np.linalg.inv(jac.T @ (w[:, None] * jac))
    a = influence @ (w[:, None] * jac)
    return n / (n - 1) * (bread @ (a.T @ a) @ bread)


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass
class CFAResult:
    """An ordered-categorical CFA fitted by DWLS (lavaan's WLSMV point estimates and standard test)."""

    #: Cases used (answering at least one item).
    n: int
    #: Standard DWLS statistic ``(N - 1) F_min``, its df and p value.
    chi2: float
    df: int
    p: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float
    #: Baseline (independence) model's statistic and df.
    baseline_chi2: float
    baseline_df: int
    #: One row per item: factor, item, std (standardised loading), se_std, theta (theta-metric
    #: loading), se_theta.
    loadings: pd.DataFrame
    #: Factor correlations (factors x factors) and their standard errors.
    factor_correlations: pd.DataFrame
    factor_correlations_se: pd.DataFrame
    #: One row per threshold: item, threshold (1, 2, ...), value (standardised metric; saturated,
    #: so the sample and model thresholds agree).
    thresholds: pd.DataFrame
    #: Sample polychoric correlations and residual correlations (items x items).
    polychoric: pd.DataFrame
    residuals: pd.DataFrame
    #: Why the model was not fitted, or ``None``.
    note: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The one-row fit table, columns as :func:`analysis.stats.structure.cfa_fit`'s."""
        return pd.DataFrame([{c: getattr(self, c) for c in FIT_COLUMNS}])


def _fit_measures(t: float, df: int, t0: float, df0: int, n: int) -> dict[str, float]:
    """p, CFI, TLI, RMSEA and its interval as lavaan computes them for (D)WLS (N - 1 in the RMSEA)."""
    d1, d0 = max(t - df, 0.0), max(t - df, t0 - df0, 0.0)
    out = {"p": float(stats.chi2.sf(t, df)) if df > 0 else np.nan,
           "cfi": 1.0 if d0 == 0 else 1 - d1 / d0,
           "tli": 1 - (t - df) * df0 / ((t0 - df0) * df) if df > 0 and t0 != df0 else 1.0,
           "rmsea": float(np.sqrt(max(t - df, 0.0) / (df * (n - 1)))) if df > 0 else 0.0}
    low, high = rmsea_ci(t, df, n - 1) if df > 0 else (0.0, 0.0)
    return out | {"rmsea_ci_low": low, "rmsea_ci_high": high}


def _empty(n: int, groups: dict[str, list[str]], note: str) -> CFAResult:
    items = [c for cs in groups.values() for c in cs]
    fac = list(groups)
    nan_f = pd.DataFrame(np.nan, index=fac, columns=fac)
    loadings = pd.DataFrame({"factor": [f for f, cs in groups.items() for _ in cs], "item": items, "std": np.nan,
                             "se_std": np.nan, "theta": np.nan, "se_theta": np.nan})
    nan_i = pd.DataFrame(np.nan, index=items, columns=items)
    return CFAResult(n, np.nan, 0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0, loadings,
                     nan_f, nan_f.copy(), pd.DataFrame(columns=["item", "threshold", "value"]), nan_i, nan_i.copy(),
                     note)


def _check(x: pd.DataFrame, groups: dict[str, list[str]]) -> str | None:
    """The note for a model that cannot be fitted, or ``None``."""
    items = [c for cs in groups.values() for c in cs]
    note = too_few(len(x), len(items) + 2, f"a {len(groups)}-factor model of {len(items)} items")
    if note is not None:
        return note
    if len(set(items)) != len(items):
        return "not computed: an item is listed under more than one factor"
    constant = [c for c in items if x[c].nunique() < 2]
    if constant:
        return f"not computed: items with a single observed category: {', '.join(constant)}"
    p = len(items)
    q = p + len(groups) * (len(groups) - 1) // 2
    if p * (p - 1) // 2 - q < 0:
        return f"not computed: {q} parameters but only {p * (p - 1) // 2} correlations"
    return None


def _tables(sample: PolychoricGamma, theta: np.ndarray, cov: np.ndarray, groups: dict[str, list[str]],
            sigma: np.ndarray) -> dict[str, pd.DataFrame]:
    """Loadings, factor correlations (and SEs), thresholds, polychoric and residual matrices."""
    p, items, fac = len(sample.items), sample.items, list(groups)
    lam = theta[:p]
    se = np.sqrt(np.diag(cov))
    dstd = (1 + lam * lam) ** -1.5
    loadings = pd.DataFrame({"factor": [f for f, cs in groups.items() for _ in cs], "item": items,
                             "std": lam / np.sqrt(1 + lam * lam), "se_std": se[:p] * dstd,
                             "theta": lam, "se_theta": se[:p]})
    phi, phi_se = np.eye(len(fac)), np.zeros((len(fac), len(fac)))
    for k, (f, g) in enumerate(combinations(range(len(fac)), 2)):
        phi[f, g] = phi[g, f] = theta[p + k]
        phi_se[f, g] = phi_se[g, f] = se[p + k]
    th = pd.DataFrame([{"item": it, "threshold": m + 1, "value": float(v)}
                       for it, t in zip(items, sample.thresholds, strict=True) for m, v in enumerate(t)])
    first, second = np.array(sample.pairs).T
    pol, res = np.eye(p), np.zeros((p, p))
    pol[first, second] = pol[second, first] = sample.rho
    res[first, second] = res[second, first] = sample.rho - sigma
    return {"loadings": loadings, "factor_correlations": pd.DataFrame(phi, index=fac, columns=fac),
            "factor_correlations_se": pd.DataFrame(phi_se, index=fac, columns=fac), "thresholds": th,
            "polychoric": pd.DataFrame(pol, index=items, columns=items),
            "residuals": pd.DataFrame(res, index=items, columns=items)}


def cfa_ordinal(data: pd.DataFrame, groups: dict[str, list[str]]) -> CFAResult:
    """Simple-structure CFA of ordinal items by DWLS on polychoric correlations, as lavaan's WLSMV.

    ``groups`` maps factor names to their indicator columns of ``data`` (every item ordinal,
    categories in sorted order); every case that answered any item, each correlation from the
    cases that answered both of its items (pairwise, as lavaan's ``missing = "pairwise"``; with
    complete data, lavaan's default listwise estimator), ``n`` the cases used. Factors have unit
    variance (``std.lv = TRUE``) and correlate freely; loadings are reported in the theta metric
    (unit residual variances, lavaan's ``parameterization = "theta"``) and standardised (the
    same in the delta parameterisation). Thresholds, polychoric correlations and ``Gamma`` as
    in :func:`polychoric_gamma`; fit, statistic and standard errors as in the module docstring
    (lavaan's conventions, checked against the published lavaan output of Holzinger &
    Swineford's items cut into 5 categories: chi-square 56.708 on 24 df). The scaled-shifted
    (WLSMV) statistic is not computed. Too few cases, constant items or more
    parameters than correlations: every number is missing and ``note`` says why.

    Parameters
    ----------
    data : pandas.DataFrame
        Ordinal items, one column each.
    groups : dict of str to list of str
        Each factor's indicator columns (each item on one factor).

    Returns
    -------
    CFAResult
        Fit (chi2, df, p, CFI, TLI, RMSEA and interval, SRMR), loadings with standard errors,
        factor correlations, thresholds, polychoric and residual correlations, n and note.

    References
    ----------
    Muthen, B. (1984). *Psychometrika*, 49, 115-132. Rosseel, Y. (2012). lavaan. *Journal of
    Statistical Software*, 48(2), 1-36. Olsson, U. (1979). *Psychometrika*, 44, 443-460.

    Examples
    --------
    A one-factor model of four items cut from normal data with standardised loadings .8, .7, .6, .5:

    >>> rng = np.random.default_rng(4)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> z = rng.standard_normal((3000, 1)) * lam + rng.standard_normal((3000, 4)) * np.sqrt(1 - lam**2)
    >>> data = pd.DataFrame(np.digitize(z, [-1.0, 0.0, 1.0]), columns=["a", "b", "c", "d"])
    >>> res = cfa_ordinal(data, {"f": ["a", "b", "c", "d"]})
    >>> res.df, res.loadings["std"].round(1).tolist()
    (2, [0.8, 0.7, 0.6, 0.5])
    """
    items = [c for cs in groups.values() for c in cs]
    x = data[items]
    x = x[x.notna().any(axis=1)]
    note = _check(x, groups)
    if note is not None:
        return _empty(len(x), groups, note)
    sample = polychoric_gamma(x)
    n = sample.n
    acov = sample.acov_diag
    if not np.all(np.isfinite(sample.rho)) or not np.all(acov > 0):
        return _empty(n, groups, "not computed: a polychoric correlation is +/-1 or has no sampling variance")
    w = 1 / (n * acov)                       # lavaan's WLS.VD = 1 / diag(N WLS.W)
    spec = _spec(groups, sample.pairs)
    theta = _fit(sample.rho, w, spec)
    sigma = _implied(theta, spec)[0]
    t = (n - 1) * float((w * (sample.rho - sigma) ** 2).sum())
    t0 = (n - 1) * float((w * sample.rho**2).sum())
    df, df0 = len(sample.rho) - spec.n_params, len(sample.rho)
    p = len(items)
    srmr = float(np.sqrt(((sample.rho - sigma) ** 2).sum() / (p * (p + 1) / 2)))
    cov = _sandwich(theta, w, sample.influence, spec)
    fm = _fit_measures(t, df, t0, df0, n)
    tabs = _tables(sample, theta, cov, groups, sigma)
    return CFAResult(n=n, chi2=t, df=df, p=fm["p"], cfi=fm["cfi"], tli=fm["tli"], rmsea=fm["rmsea"],
                     rmsea_ci_low=fm["rmsea_ci_low"], rmsea_ci_high=fm["rmsea_ci_high"], srmr=srmr,
                     baseline_chi2=t0, baseline_df=df0, loadings=tabs["loadings"],
                     factor_correlations=tabs["factor_correlations"],
                     factor_correlations_se=tabs["factor_correlations_se"], thresholds=tabs["thresholds"],
                     polychoric=tabs["polychoric"], residuals=tabs["residuals"])


def cfa_ordinal_fit(data: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """One-row fit table of :func:`cfa_ordinal`, with the columns of :func:`analysis.stats.structure.cfa_fit`.

    Parameters
    ----------
    data : pandas.DataFrame
        Ordinal items, one column each.
    groups : dict of str to list of str
        Each factor's indicator columns.

    Returns
    -------
    pandas.DataFrame
        One row: n, chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr, note.

    Examples
    --------
    Holzinger & Swineford's (1939) nine tests cut into 5 categories at their type-8 quintiles; lavaan
    (WLSMV, ``std.lv = TRUE``) prints chi-square 56.708 on 24 df, CFI .987, TLI .980, RMSEA .067,
    SRMR .065:

    >>> from semopy.examples import holzinger39
    >>> def cut5(x):
    ...     return np.searchsorted(np.quantile(x, np.linspace(0, 1, 6), method="median_unbiased")[1:-1], x)
    >>> data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]].apply(cut5)
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    >>> fit = cfa_ordinal_fit(data, groups).iloc[0]
    >>> [round(float(fit[k]), 3) for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr")]
    [56.708, 24.0, 0.987, 0.98, 0.067, 0.065]
    """
    return cfa_ordinal(data, groups).to_frame()
