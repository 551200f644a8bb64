"""Area-level small-area estimation: the Fay-Herriot model fitted by REML, its EBLUP and the
Prasad-Rao mean squared error with the Datta-Lahiri correction for REML.

The model (Fay & Herriot 1979) links each area's direct estimate ``y_i`` (a survey mean with
known sampling variance ``psi_i``) to area covariates ``x_i``::

    y_i = theta_i + e_i,        e_i ~ N(0, psi_i)       (sampling model)
    theta_i = x_i' beta + u_i,  u_i ~ N(0, sigma2_u)    (linking model)

The EBLUP ``gamma_i y_i + (1 - gamma_i) x_i' beta`` with ``gamma_i = sigma2_u / (sigma2_u + psi_i)``
borrows strength from the regression where the direct estimate is noisy; an area without a direct
estimate gets the synthetic prediction ``x_i' beta``. This is what R's ``sae::eblupFH`` and
``sae::mseFH`` compute (Molina & Marhuenda 2015), written out here because samplics is not a
dependency; the unit tests reproduce sae's published values on the ``milk`` data.

Two differences from sae, both deliberate:

* ``sigma2_u`` is the exact REML root (Brent's method on the REML score, bracketed from the
  boundary 0), not sae's Fisher scoring stopped at a relative change of 1e-4. On ``milk`` sae stops
  at 0.01855022; the root is 0.018550335. EBLUPs move by less than 1e-6 (6e-7 at most), MSEs by
  up to 4.4e-6 relative (7e-8 absolute).
* Products are written as elementwise products and explicit sums (:mod:`analysis.core.numerics`),
  so no BLAS kernel chooses the last bits; only the p x p information matrix is inverted with
  LAPACK, and the fit converges far below the 6 decimals the project stores.

References
----------
Fay, R. E., & Herriot, R. A. (1979). Estimates of income for small places: an application of
James-Stein procedures to census data. *Journal of the American Statistical Association*, 74(366),
269-277.

Prasad, N. G. N., & Rao, J. N. K. (1990). The estimation of the mean squared error of small-area
estimators. *Journal of the American Statistical Association*, 85(409), 163-171.

Datta, G. S., & Lahiri, P. (2000). A unified measure of uncertainty of estimated best linear
unbiased predictors in small area estimation problems. *Statistica Sinica*, 10(2), 613-627.

Molina, I., & Marhuenda, Y. (2015). sae: An R package for small area estimation. *The R Journal*,
7(1), 81-98.

Rao, J. N. K., & Molina, I. (2015). *Small Area Estimation* (2nd ed.). Wiley. Chapter 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

from analysis.core.numerics import rank_desc, weighted_row_sum

__all__ = ["FHResult", "band_probabilities", "fay_herriot", "rank_intervals", "reml_score"]


@dataclass(frozen=True)
class FHResult:
    """A fitted Fay-Herriot model.

    Attributes
    ----------
    beta, se_beta:
        Regression coefficients (GLS at the estimated ``sigma2_u``) and their standard errors
        from the inverse Fisher information ``(X' V^-1 X)^-1``, indexed by the columns of ``X``.
    cov_beta:
        ``(X' V^-1 X)^-1`` itself.
    sigma2_u:
        Variance of the area random effects (REML, 0 at the boundary).
    estimates:
        One row per area (the rows of ``X``): ``area``, ``direct``, ``vardir``, ``in_sample``,
        ``gamma``, ``synthetic`` (``x' beta``), ``eblup``, ``mse``, ``low``, ``high``.
    confidence:
        Level of the intervals ``eblup -/+ z sqrt(mse)``.
    n_sample:
        Number of areas with a direct estimate (those that fit the model).
    """

    beta: pd.Series
    se_beta: pd.Series
    cov_beta: pd.DataFrame
    sigma2_u: float
    estimates: pd.DataFrame
    confidence: float
    n_sample: int
    method: str = "REML"


# --------------------------------------------------------------------------- BLAS-free algebra


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``X' diag(w) X`` entry by entry (elementwise products and one-axis sums, no BLAS)."""
    p = X.shape[1]
    out = np.empty((p, p))
    for a in range(p):
        for b in range(a, p):
            out[a, b] = out[b, a] = np.sum(X[:, a] * X[:, b] * w)
    return out


def _cross(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X' v`` column by column."""
    return np.array([np.sum(X[:, a] * v) for a in range(X.shape[1])])


def _quad(X: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``x_i' Q x_i`` for every row ``x_i`` of ``X``."""
    return np.sum(X * np.stack([weighted_row_sum(X, Q[:, b]) for b in range(X.shape[1])], axis=1), axis=1)


def _gls(y: np.ndarray, psi: np.ndarray, X: np.ndarray, s2u: float) -> tuple[np.ndarray, np.ndarray]:
    """GLS coefficients and their covariance ``(X' V^-1 X)^-1`` with ``V = diag(s2u + psi)``."""
    v = 1.0 / (s2u + psi)
    info = _gram(X, v)
    Q = np.linalg.solve(info, np.eye(len(info)))
    Q = (Q + Q.T) / 2
    return weighted_row_sum(Q, _cross(X, v * y)), Q


def reml_score(s2u: float, y: np.ndarray, psi: np.ndarray, X: np.ndarray) -> float:
    """Derivative of the REML log-likelihood of the Fay-Herriot model with respect to ``sigma2_u``.

    ``-tr(P)/2 + y' P P y / 2`` with ``P = V^-1 - V^-1 X (X' V^-1 X)^-1 X' V^-1`` (Rao & Molina
    2015, section 6.1.2), evaluated without forming the m x m matrix ``P``.

    Examples
    --------
    With one covariate (the intercept) and equal sampling variances the root has a closed form,
    ``sigma2_u = s^2 - psi`` (``s^2`` the sample variance of the direct estimates):

    >>> y, psi, X = np.array([1.0, 2.0, 4.0, 7.0]), np.full(4, 2.0), np.ones((4, 1))
    >>> abs(reml_score(float(np.var(y, ddof=1)) - 2.0, y, psi, X)) < 1e-15
    True
    """
    v = 1.0 / (s2u + psi)
    beta, Q = _gls(y, psi, X, s2u)
    py = v * (y - weighted_row_sum(X, beta))
    trace_p = np.sum(v) - np.sum(v * v * _quad(X, Q))
    return float(-0.5 * trace_p + 0.5 * np.sum(py * py))


def _reml_root(y: np.ndarray, psi: np.ndarray, X: np.ndarray) -> float:
    """The REML estimate of ``sigma2_u``: 0 if the score is not positive there, else the root.

    The root is bracketed between 0 (positive score) and a value where the score is negative
    (doubling from the larger of the direct estimates' variance and the median sampling
    variance), then found by Brent's method to full double precision (``rtol`` 4 eps). If the
    likelihood had several stationary points this returns one in the bracket, not necessarily
    the global maximum; the Fay-Herriot REML likelihood is unimodal in the usual cases.
    """
    if reml_score(0.0, y, psi, X) <= 0.0:
        return 0.0
    hi = max(float(np.var(y)), float(np.median(psi)), 1e-8)
    for _ in range(200):
        if reml_score(hi, y, psi, X) < 0.0:
            break
        hi *= 2.0
    else:  # pragma: no cover - the score is negative for large sigma2_u whenever m > p
        raise RuntimeError("could not bracket the REML root of sigma2_u")
    return float(brentq(reml_score, 0.0, hi, args=(y, psi, X), xtol=1e-300, rtol=4 * np.finfo(float).eps,
                        maxiter=500))


# --------------------------------------------------------------------------- the model


def _inputs(direct: pd.Series, vardir: pd.Series, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct estimates and variances aligned to the rows of ``X``, checked."""
    if not direct.index.isin(X.index).all() or not vardir.index.isin(X.index).all():
        raise ValueError("every area of direct and vardir needs a row of covariates in X")
    y = direct.reindex(X.index).to_numpy(dtype=float)
    psi = vardir.reindex(X.index).to_numpy(dtype=float)
    x = X.to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("covariates X must be finite for every area")
    has = ~np.isnan(y)
    if not (np.isfinite(psi[has]) & (psi[has] > 0)).all():
        raise ValueError("every area with a direct estimate needs a positive sampling variance")
    if has.sum() <= x.shape[1] or np.linalg.matrix_rank(x[has]) < x.shape[1]:
        raise ValueError("the areas with a direct estimate must outnumber the covariates and give X full rank")
    return y, psi, x


def _prasad_rao_mse(psi: np.ndarray, s2u: float, h: np.ndarray, psi_fit: np.ndarray) -> np.ndarray:
    """``g1 + g2 + 2 g3`` (Prasad & Rao 1990; Datta & Lahiri 2000 for REML), as ``sae::mseFH``.

    ``h`` is ``x_i' (X' V^-1 X)^-1 x_i``; ``psi_fit`` the sampling variances of the fitted areas,
    which give the asymptotic variance of REML's ``sigma2_u``, ``2 / sum (sigma2_u + psi_j)^-2``.
    """
    v_fit = 1.0 / (s2u + psi_fit)
    var_s2u = 2.0 / np.sum(v_fit * v_fit)
    shrink = psi / (s2u + psi)  # 1 - gamma
    g1 = s2u * shrink
    g2 = shrink * shrink * h
    g3 = shrink * shrink * var_s2u / (s2u + psi)
    return g1 + g2 + 2.0 * g3


def fay_herriot(direct: pd.Series, vardir: pd.Series, X: pd.DataFrame, method: str = "REML",
                confidence: float = 0.95, sigma2_u: float | None = None) -> FHResult:
    """Fit the Fay-Herriot area-level model and predict every area of ``X``.

    Parameters
    ----------
    direct:
        Direct (design-based) estimate of each area, indexed by area; missing (or absent) for
        areas without sample, which get the synthetic prediction.
    vardir:
        Sampling variance ``psi_i`` of each direct estimate, treated as known (``SE**2``).
    X:
        Covariates of every area to predict, one row per area (include a column of ones for an
        intercept). Its index names the areas and fixes the output order.
    method:
        ``"REML"`` (the only method implemented; sae's default).
    confidence:
        Level of the normal intervals ``eblup -/+ z sqrt(mse)``.
    sigma2_u:
        Use this random-effect variance instead of estimating it (e.g. to reproduce another
        program's stopping point); the MSE is still the REML formula.

    Returns
    -------
    FHResult
        Coefficients, ``sigma2_u`` and a tidy table of estimates (see :class:`FHResult`).

    Notes
    -----
    For an area with a direct estimate: ``gamma = sigma2_u / (sigma2_u + psi)``,
    ``eblup = gamma y + (1 - gamma) x' beta`` and ``mse = g1 + g2 + 2 g3`` with
    ``g1 = gamma psi``, ``g2 = (1 - gamma)^2 x' V(beta) x`` and
    ``g3 = (1 - gamma)^2 Var(sigma2_u) / (sigma2_u + psi)``, ``Var(sigma2_u) = 2 / sum (sigma2_u + psi_j)^-2``
    (Rao & Molina 2015, eq. 6.2.15; Datta & Lahiri 2000: no bias term for REML). For an area without
    one: ``eblup = x' beta`` and ``mse = sigma2_u + x' V(beta) x`` (Rao & Molina 2015, sec. 6.2.1).

    References
    ----------
    Fay & Herriot (1979); Prasad & Rao (1990); Datta & Lahiri (2000); Molina & Marhuenda (2015);
    Rao & Molina (2015), chapter 6. Full entries in the module docstring.

    Examples
    --------
    Intercept only and equal sampling variances: REML gives ``sigma2_u = s^2 - psi`` and the
    EBLUP shrinks each area toward the mean by ``1 - gamma``; an area without data gets the mean.

    >>> X = pd.DataFrame({"const": 1.0}, index=list("abcde"))
    >>> direct = pd.Series([1.0, 2.0, 4.0, 7.0], index=list("abcd"))
    >>> fit = fay_herriot(direct, pd.Series(2.0, index=list("abcd")), X)
    >>> round(fit.sigma2_u, 12), round(float(direct.var()) - 2.0, 12)
    (5.0, 5.0)
    >>> fit.estimates[["area", "gamma", "eblup", "mse"]].round(4)
      area   gamma   eblup     mse
    0    a  0.7143  1.7143  2.1429
    1    b  0.7143  2.4286  2.1429
    2    c  0.7143  3.8571  2.1429
    3    d  0.7143  6.0000  2.1429
    4    e     NaN  3.5000  6.7500
    """
    if method.upper() != "REML":
        raise ValueError(f"method {method!r} is not implemented; use 'REML'")
    y, psi, x = _inputs(direct, vardir, X)
    has = ~np.isnan(y)
    s2u = _reml_root(y[has], psi[has], x[has]) if sigma2_u is None else float(sigma2_u)
    if s2u < 0:
        raise ValueError("sigma2_u must be non-negative")
    beta, Q = _gls(y[has], psi[has], x[has], s2u)
    synthetic = weighted_row_sum(x, beta)
    h = _quad(x, Q)
    psi_in = np.where(has, psi, 1.0)
    gamma = np.where(has, s2u / (s2u + psi_in), np.nan)
    eblup = np.where(has, synthetic + np.where(has, gamma, 0.0) * (np.nan_to_num(y) - synthetic), synthetic)
    mse = np.where(has, _prasad_rao_mse(psi_in, s2u, h, psi[has]), s2u + h)
    half = ndtri(0.5 + confidence / 2) * np.sqrt(mse)
    names = list(X.columns)
    table = pd.DataFrame({"area": X.index.to_numpy(), "direct": y, "vardir": psi, "in_sample": has,
                          "gamma": gamma, "synthetic": synthetic, "eblup": eblup, "mse": mse,
                          "low": eblup - half, "high": eblup + half})
    return FHResult(beta=pd.Series(beta, index=names), se_beta=pd.Series(np.sqrt(np.diag(Q)), index=names),
                    cov_beta=pd.DataFrame(Q, index=names, columns=names), sigma2_u=s2u, estimates=table,
                    confidence=confidence, n_sample=int(has.sum()), method="REML")


# --------------------------------------------------------------------------- what the report needs


def band_probabilities(eblup: pd.Series, mse: pd.Series, cutoffs: list[float] | np.ndarray,
                       labels: list[str] | None = None) -> pd.DataFrame:
    """Probability that each area's true value lies in each band, under ``N(eblup, mse)``.

    The normal approximation to the posterior of ``theta_i`` (Rao & Molina 2015, sec. 6.2).
    ``cutoffs`` are the ascending boundaries *between* bands, so ``k`` cut-offs make ``k + 1``
    bands, the first unbounded below and the last unbounded above (for the codebook's
    ``bands_table()`` pass ``lower[1:]``). A band includes its lower cut-off, so an area with
    ``mse == 0`` sitting on a cut-off is in the band above. Columns ``p_<label>`` (labels default
    to ``0 .. k``); a row is missing where ``eblup`` or ``mse`` is.

    Examples
    --------
    >>> p = band_probabilities(pd.Series([50.0, 70.0]), pd.Series([25.0, 0.0]), [50.0, 75.0], ["low", "mid", "high"])
    >>> p.round(4)
       p_low  p_mid  p_high
    0    0.5    0.5     0.0
    1    0.0    1.0     0.0
    """
    c = np.asarray(cutoffs, dtype=float)
    if c.ndim != 1 or (np.diff(c) <= 0).any():
        raise ValueError("cutoffs must be strictly ascending")
    names = [str(i) for i in range(len(c) + 1)] if labels is None else list(labels)
    if len(names) != len(c) + 1:
        raise ValueError("labels needs one more entry than cutoffs")
    e = eblup.to_numpy(dtype=float)[:, None]
    s = np.sqrt(mse.reindex(eblup.index).to_numpy(dtype=float))[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(s > 0, ndtr((c[None, :] - e) / s), (e < c[None, :]).astype(float))
    ones = np.ones((len(e), 1))
    cdf = np.hstack([0.0 * ones, below, ones])
    probs = np.diff(cdf, axis=1)
    probs[np.isnan(e[:, 0]) | np.isnan(s[:, 0])] = np.nan
    return pd.DataFrame(probs, index=eblup.index, columns=[f"p_{n}" for n in names])


def rank_intervals(eblup: pd.Series, mse: pd.Series, n_draws: int = 10_000, seed: int = 0,
                   level: float = 0.9) -> pd.DataFrame:
    """Rank of each area (1 = highest) with an interval from independent normal posteriors.

    Draws ``theta_i ~ N(eblup_i, mse_i)`` independently for every area ``n_draws`` times
    (``numpy.random.default_rng(seed)``, so the result is reproducible), ranks each draw in
    descending order with :func:`analysis.core.numerics.rank_desc` (ties share the best rank) and
    reports the median and the ``level`` interval of each area's ranks, with the bootstrap's
    conventions (lower tail ``method="lower"``, upper ``method="higher"``, so whole ranks). Areas
    with a missing ``eblup`` or ``mse`` are left out of the ranking and get missing values.
    Ignoring the correlation of EBLUPs through the common ``beta`` makes the intervals slightly
    wide; with many areas that correlation is small (it is of order 1/m).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``eblup``: ``rank`` (of the EBLUP itself), ``rank_median``, ``rank_low``,
        ``rank_high``, ``n_ranked``.

    Examples
    --------
    Two areas far apart and one uncertain area in the middle:

    >>> r = rank_intervals(pd.Series([90.0, 10.0, 50.0]), pd.Series([1.0, 1.0, 900.0]), 2000, seed=1)
    >>> r[["rank", "rank_low", "rank_high"]]
       rank  rank_low  rank_high
    0     1         1          2
    1     3         2          3
    2     2         1          3
    """
    e = eblup.to_numpy(dtype=float)
    sd = np.sqrt(mse.reindex(eblup.index).to_numpy(dtype=float))
    has = ~(np.isnan(e) | np.isnan(sd))
    rng = np.random.default_rng(seed)
    draws = e[has, None] + sd[has, None] * rng.standard_normal((int(has.sum()), n_draws))
    ranks = rank_desc(draws)
    tail = (1 - level) / 2 * 100

    def spread(values: np.ndarray, integer: bool) -> pd.api.extensions.ExtensionArray | np.ndarray:
        full = np.full(len(e), np.nan)
        full[has] = values
        return pd.array(full, dtype="Int64") if integer else full

    return pd.DataFrame({"rank": spread(rank_desc(e[has]), True),
                         "rank_median": spread(np.median(ranks, axis=1), False),
                         "rank_low": spread(np.percentile(ranks, tail, axis=1, method="lower"), True),
                         "rank_high": spread(np.percentile(ranks, 100 - tail, axis=1, method="higher"), True),
                         "n_ranked": int(has.sum())}, index=eblup.index)
