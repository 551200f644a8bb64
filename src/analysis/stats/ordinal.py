"""Correlations of ordinal items: thresholds, polychoric, polyserial and heterogeneous correlation matrices.

The survey's yes/no, Likert and maturity-level items are ordinal: each is read as a standard
normal latent response cut at thresholds. Everything here is the two-step estimator (thresholds
from the marginal proportions, then the correlation by maximum likelihood with the thresholds
held fixed), as in lavaan's ``lavCor`` and polycor's ``hetcor(ML = FALSE)``.

Same numbers on every CPU and for every row order: a polychoric correlation depends on the
contingency table only, a polyserial or Pearson correlation is computed on the pair's rows
sorted by value, and every correlation is the root of its analytic score found by Brent's
method to about 1e-14 (a minimiser of the log-likelihood itself only resolves the optimum to
about 1e-8, the square root of the machine precision).

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
*Psychometrika*, 44, 443-460.

Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial correlation coefficient.
*Psychometrika*, 47, 337-347.

Muthen, B. (1984). A general structural equation model with dichotomous, ordered categorical,
and continuous latent variable indicators. *Psychometrika*, 49, 115-132.

Drezner, Z., & Wesolowsky, G. O. (1990). On the computation of the bivariate normal integral.
*Journal of Statistical Computation and Simulation*, 35, 101-107.

Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
probabilities. *Statistics and Computing*, 14, 251-260.

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["HetCorResult", "PolychoricResult", "PolyserialResult", "bvn_cdf", "bvn_pdf", "het_cor",
           "ordinal_codes", "polychoric", "polychoric_table", "polyserial", "thresholds"]

#: 20-point Gauss-Legendre rule on [-1, 1] (Genz 2004 uses 6, 12 or 20 points by |rho|; 20 everywhere
#: costs nothing vectorised and is at least as accurate).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2.0 * np.pi
#: Correlations are searched in [-MAX_ABS_RHO, MAX_ABS_RHO], lavaan's bounds (``nlminb(lower = -0.999,
#: upper = 0.999)`` in ``lav_bvord_cor_twostep_fit``): a table whose likelihood still rises there is
#: degenerate (a perfect or near-perfect association) and the bound is returned.
MAX_ABS_RHO = 0.999
#: Grid of starting correlations: the global maximum of the log-likelihood is bracketed on it first.
_GRID_SIZE = 41


# --------------------------------------------------------------------------------------------
# bivariate normal distribution
# --------------------------------------------------------------------------------------------


def _bvn_upper_moderate(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for |r| < 0.925 by Gauss-Legendre quadrature of Sheppard's formula in asin(r).

    Drezner & Wesolowsky (1990), eq. 3, with Genz's (2004) substitution ``t = sin(theta)``.
    """
    hk, hs, asr = h * k, (h * h + k * k) / 2, np.arcsin(r)
    sn = np.sin(asr[..., None] * (_GL_X + 1) / 2)
    terms = np.exp((sn * hk[..., None] - hs[..., None]) / (1 - sn * sn))
    return terms @ _GL_W * asr / (2 * _TWO_PI) + special.ndtr(-h) * special.ndtr(-k)


def _bvn_upper_high(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for |r| >= 0.925 by Genz's (2004) expansion about |r| = 1 plus quadrature.

    The integrand is written in ``x = sqrt(1 - t^2)`` (Drezner & Wesolowsky 1990, eq. 6); the
    singular part is integrated analytically (a two-term Taylor correction), the remainder by
    Gauss-Legendre on ``[0, sqrt(1 - r^2)]``. Exact at ``|r| = 1``.
    """
    k = np.where(r < 0, -k, k)
    hk = h * k
    a2 = (1 - r) * (1 + r)
    inner = np.abs(r) < 1
    a2s = np.where(inner, a2, 1.0)  # placeholder where |r| = 1 (masked below)
    a, bs = np.sqrt(a2s), (h - k) ** 2
    c, d = (4 - hk) / 8, (12 - hk) / 16
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        bvn = a * np.exp(-(bs / a2s + hk) / 2) * (1 - c * (bs - a2s) * (1 - d * bs / 5) / 3 + c * d * a2s * a2s / 5)
        b = np.sqrt(bs)
        tail = np.exp(-hk / 2) * np.sqrt(_TWO_PI) * special.ndtr(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3)
        bvn = bvn - np.where(hk > -100, tail, 0.0)
        xs = (a[..., None] / 2 * (_GL_X + 1)) ** 2
        rs = np.sqrt(1 - xs)
        expo = -(bs[..., None] / xs + hk[..., None]) / 2
        poly = 1 + c[..., None] * xs * (1 + d[..., None] * xs)
        ep = np.exp(-hk[..., None] * (1 - rs) / (2 * (1 + rs))) / rs
        quad = np.where(expo > -100, np.exp(expo) * (ep - poly), 0.0) @ _GL_W
        bvn = -(bvn + a / 2 * quad) / _TWO_PI
    bvn = np.where(inner, bvn, 0.0)
    return np.where(r > 0, bvn + special.ndtr(-np.maximum(h, k)),
                    -bvn + np.maximum(0.0, special.ndtr(-h) - special.ndtr(-k)))


def bvn_cdf(a: np.ndarray | float, b: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Standard bivariate normal distribution function P(X < a, Y < b) with correlation ``rho``.

    Genz's (2004) double-precision version of the Drezner & Wesolowsky (1990) method (the
    algorithm of Fortran ``BVND`` in Genz's TVPACK, used by R's pbivnorm and mvtnorm), written
    here vectorised: Gauss-Legendre quadrature of Sheppard's integral for ``|rho| < 0.925`` and
    an expansion about ``|rho| = 1`` otherwise. Absolute error about 1e-15. Arguments broadcast;
    infinite bounds are exact (``a = inf`` gives ``Phi(b)``, ``a = -inf`` gives 0).

    Parameters
    ----------
    a, b : array_like
        Upper integration limits (may be infinite).
    rho : array_like
        Correlation in [-1, 1].

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape.

    References
    ----------
    Drezner, Z., & Wesolowsky, G. O. (1990). On the computation of the bivariate normal
    integral. *Journal of Statistical Computation and Simulation*, 35, 101-107.
    Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
    probabilities. *Statistics and Computing*, 14, 251-260.

    Examples
    --------
    At the origin P = 1/4 + asin(rho) / (2 pi), so rho = 0.5 gives 1/3:

    >>> float(bvn_cdf(0.0, 0.0, 0.5))  # doctest: +ELLIPSIS
    0.33333333333333...
    >>> bvn_cdf([np.inf, -np.inf, 1.0], [1.0, 1.0, 2.0], 0.0).round(6).tolist()  # Phi(1), 0, Phi(1) Phi(2)
    [0.841345, 0.0, 0.822204]
    """
    a_, b_, r_ = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(rho, float))
    h, k, r = -a_.ravel(), -b_.ravel(), np.clip(r_.ravel(), -1.0, 1.0)
    out = np.empty(h.shape)
    fin = np.isfinite(h) & np.isfinite(k)
    # infinite limits: a = -inf or b = -inf -> 0; a = +inf -> Phi(b); b = +inf -> Phi(a)
    out[~fin] = np.where((h == np.inf) | (k == np.inf), 0.0,
                         np.where(h == -np.inf, special.ndtr(-k), special.ndtr(-h)))[~fin]
    mod = fin & (np.abs(r) < 0.925)
    high = fin & ~mod
    if mod.any():
        out[mod] = _bvn_upper_moderate(h[mod], k[mod], r[mod])
    if high.any():
        out[high] = _bvn_upper_high(h[high], k[high], r[high])
    return np.clip(out, 0.0, 1.0).reshape(a_.shape)


def bvn_pdf(a: np.ndarray | float, b: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Standard bivariate normal density at (a, b), zero at infinite arguments (|rho| < 1).

    It is also the derivative of :func:`bvn_cdf` in ``rho`` (Plackett's identity), which is
    what the score of a polychoric correlation needs.

    Examples
    --------
    >>> round(float(bvn_pdf(0.0, 0.0, 0.0)) * 2 * np.pi, 12)
    1.0
    >>> float(bvn_pdf(np.inf, 0.0, 0.3))
    0.0
    """
    a_, b_, r_ = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(rho, float))
    fin = np.isfinite(a_) & np.isfinite(b_)
    a0, b0 = np.where(fin, a_, 0.0), np.where(fin, b_, 0.0)
    s2 = 1 - r_ * r_
    dens = np.exp(-(a0 * a0 - 2 * r_ * a0 * b0 + b0 * b0) / (2 * s2)) / (_TWO_PI * np.sqrt(s2))
    return np.where(fin, dens, 0.0)


def _interval_prob(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Phi(hi) - Phi(lo) without cancellation in the upper tail."""
    return np.where(lo > 0, special.ndtr(-lo) - special.ndtr(-hi), special.ndtr(hi) - special.ndtr(lo))


# --------------------------------------------------------------------------------------------
# univariate: categories and thresholds
# --------------------------------------------------------------------------------------------


def ordinal_codes(x: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..K-1 of the observed categories in sorted order (-1 where missing).

    Unobserved levels are dropped: an ordered categorical's unused categories, or scale points
    nobody chose, get no code (and so no threshold). Categories sort by value, or by the
    category order of an ordered pandas categorical.

    Returns
    -------
    (codes, levels)
        ``codes`` (int array, -1 for missing) and the observed ``levels`` in order.

    Examples
    --------
    >>> codes, levels = ordinal_codes(pd.Series([3, 1, None, 3, 4]))
    >>> codes.tolist(), levels.tolist()
    ([1, 0, -1, 1, 2], [1.0, 3.0, 4.0])
    """
    s = pd.Series(x)
    if isinstance(s.dtype, pd.CategoricalDtype):
        raw = s.cat.codes.to_numpy()
        used = np.unique(raw[raw >= 0])
        codes = np.where(raw >= 0, np.searchsorted(used, raw), -1)
        return codes.astype(np.intp), np.asarray(s.cat.categories)[used]
    miss = s.isna().to_numpy()
    levels = np.unique(s[~miss].to_numpy())
    codes = np.full(len(s), -1, dtype=np.intp)
    codes[~miss] = np.searchsorted(levels, s[~miss].to_numpy())
    return codes, levels


def _thresholds_from_counts(counts: np.ndarray) -> np.ndarray:
    """Probit thresholds ``Phi^-1`` of the cumulative proportions of positive category counts."""
    counts = np.asarray(counts, float)
    counts = counts[counts > 0]
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return np.asarray(special.ndtri(cum))


def thresholds(x: pd.Series | np.ndarray) -> np.ndarray:
    """Marginal probit thresholds of an ordinal variable.

    ``Phi^-1`` of the cumulative proportions of the observed categories in sorted order (the
    maximum-likelihood thresholds of a standard normal latent response); missing values are
    ignored and unobserved levels dropped, so K observed categories give K - 1 thresholds.

    Parameters
    ----------
    x : array_like
        The ordinal responses (numbers, or an ordered pandas categorical).

    Returns
    -------
    numpy.ndarray
        The K - 1 thresholds, increasing.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460.

    Examples
    --------
    Olsson's (1979) row variable (19, 204 and 277 of 500 cases):

    >>> thresholds(np.repeat([1, 2, 3], [19, 204, 277])).round(6).tolist()
    [-1.774382, -0.135774]
    """
    codes, levels = ordinal_codes(x)
    return _thresholds_from_counts(np.bincount(codes[codes >= 0], minlength=len(levels)))


# --------------------------------------------------------------------------------------------
# one-dimensional maximisation of a log-likelihood in rho
# --------------------------------------------------------------------------------------------

#: ``f(rho) -> (loglik, score)`` vectorised over an array of correlations.
LogLikScore = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _maximise_rho(fun: LogLikScore, bound: float = MAX_ABS_RHO) -> float:
    """Global maximiser of a log-likelihood in rho on [-bound, bound].

    The log-likelihood is evaluated on a grid of 41 correlations (vectorised, one call) to
    bracket its largest value, then the root of the analytic score inside that bracket is found
    by Brent's method to 1e-14. A maximum at a bound (the score still rising there) returns the
    bound. Deterministic: no random start, no dependence on the machine beyond rounding.
    """
    grid = np.linspace(-bound, bound, _GRID_SIZE)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll, score = fun(grid)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    i = int(np.argmax(ll))
    if i == _GRID_SIZE - 1 and score[i] >= 0:
        return bound
    if i == 0 and score[i] <= 0:
        return -bound
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, _GRID_SIZE - 1)]

    def g(r: float) -> float:
        return float(fun(np.array([r]))[1][0])

    g_lo, g_hi = g(lo), g(hi)
    if g_lo > 0 > g_hi:
        return float(optimize.brentq(g, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))
    if g_lo == 0 or g_hi == 0:
        return float(lo if g_lo == 0 else hi)
    # not a clean sign change (a flat or non-concave stretch): maximise the log-likelihood itself
    res = optimize.minimize_scalar(lambda r: -float(fun(np.array([r]))[0][0]), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-13})
    return float(res.x)


# --------------------------------------------------------------------------------------------
# polychoric
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolychoricResult:
    """A two-step polychoric (tetrachoric for 2 x 2) correlation."""

    #: The correlation of the latent normal responses.
    rho: float
    #: Thresholds of the row variable (observed categories only).
    row_thresholds: np.ndarray
    #: Thresholds of the column variable.
    col_thresholds: np.ndarray
    #: Log-likelihood ``sum n_kl log pi_kl(rho)`` of the table at ``rho`` (after any zero-cell correction).
    loglik: float
    #: Number of cases (sum of the table).
    n: float
    #: Asymptotic standard error of ``rho`` accounting for the estimated thresholds (the two-step
    #: influence function, Muthen 1984); NaN when ``|rho|`` is 1.
    se: float
    #: The table used (empty rows and columns dropped), before any zero-cell correction.
    table: np.ndarray = field(repr=False)
    #: Influence of one case in each cell on ``rho``: ``rho_hat - rho ~ sum_cases influence / ...``;
    #: ``sum(table * influence**2)`` is the asymptotic variance ``se**2``.
    influence: np.ndarray = field(repr=False)


def _padded(th: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], th, [np.inf]])


def _corner(x: np.ndarray) -> np.ndarray:
    """Rectangle sums ``x[i+1, j+1] - x[i, j+1] - x[i+1, j] + x[i, j]`` over the leading two axes."""
    return x[1:, 1:] - x[:-1, 1:] - x[1:, :-1] + x[:-1, :-1]


def _cell_probs(th_r: np.ndarray, th_c: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell probabilities and their derivatives in rho, shape (K1, K2, len(rho))."""
    tr, tc = _padded(th_r)[:, None, None], _padded(th_c)[None, :, None]
    r = np.asarray(rho, float)[None, None, :]
    return _corner(bvn_cdf(tr, tc, r)), _corner(bvn_pdf(tr, tc, r))


def _polychoric_loglik(table: np.ndarray, th_r: np.ndarray, th_c: np.ndarray) -> LogLikScore:
    """``rho -> (loglik, score)`` of a contingency table with fixed thresholds (cells with n > 0 only)."""
    pos = table > 0
    n = table[pos][:, None]

    def fun(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, dp = _cell_probs(th_r, th_c, rho)
        p = np.maximum(p[pos], np.finfo(float).tiny)
        return (n * np.log(p)).sum(axis=0), (n * dp[pos] / p).sum(axis=0)

    return fun


def _zero_add_2x2(table: np.ndarray, add: float) -> np.ndarray:
    """lavaan's correction of a 2 x 2 table with one empty cell: add ``add`` to it, keeping the margins.

    The empty cell and its diagonal partner gain ``add``, the other two cells lose it
    (``lav_bvord_cor_twostep_fit``, ``zero.add = c(0.5, 0)``, ``zero.keep.margins = TRUE``).
    """
    zero = np.argwhere(table == 0)
    if table.shape != (2, 2) or len(zero) != 1 or add <= 0:
        return table
    sign = 1.0 if zero[0, 0] == zero[0, 1] else -1.0
    return table + sign * add * np.array([[1.0, -1.0], [-1.0, 1.0]])


def _univariate_scores(th: np.ndarray) -> np.ndarray:
    """Scores of the thresholds for one case in each category: (K, K - 1), ``d log P_k / d tau_m``."""
    pad = _padded(th)
    prob = _interval_prob(pad[:-1], pad[1:])
    dens = np.exp(-th * th / 2) / np.sqrt(_TWO_PI)
    k = len(th) + 1
    upper = np.eye(k, k - 1)          # tau_m is category k's upper threshold when m == k
    lower = np.eye(k, k - 1, -1)      # and its lower threshold when m == k - 1
    return (upper - lower) * dens[None, :] / prob[:, None]


def _cell_threshold_derivs(th_a: np.ndarray, th_b: np.ndarray, rho: float) -> np.ndarray:
    """d pi_kl / d tau_m of the variable on the first axis: (K_a, K_b, K_a - 1).

    ``d Phi2(s, t; rho) / d s = phi(s) Phi((t - rho s) / sqrt(1 - rho^2))``.
    """
    s, t = _padded(th_a)[:, None], _padded(th_b)[None, :]
    fin = np.isfinite(s)
    s0 = np.where(fin, s, 0.0)
    dens = np.exp(-s0 * s0 / 2) / np.sqrt(_TWO_PI)
    g = np.where(fin, dens * special.ndtr((t - rho * s0) / np.sqrt(1 - rho * rho)), 0.0)
    dcol = g[:, 1:] - g[:, :-1]            # (K_a + 1, K_b): d/ds of the column-interval probability
    ka = len(th_a) + 1
    out = np.zeros((ka, len(th_b) + 1, ka - 1))
    for m in range(ka - 1):                 # tau_m is padded index m + 1
        out[m, :, m] += dcol[m + 1]         # upper bound of category m
        out[m + 1, :, m] -= dcol[m + 1]     # lower bound of category m + 1
    return out


def _polychoric_influence(table: np.ndarray, th_r: np.ndarray, th_c: np.ndarray, rho: float) -> np.ndarray:
    """Influence of one case in each cell on the two-step polychoric correlation, (K1, K2).

    Muthen (1984) and lavaan's ``lav_muthen1984``: with ``s_rho`` the case's score of rho,
    ``s_r``/``s_c`` its univariate threshold scores, ``A11`` the outer products of the
    univariate scores, ``A21`` the cross products of ``s_rho`` with the bivariate threshold
    scores, and ``A22 = sum s_rho^2`` (all outer products of scores, not Hessians), the
    influence is ``(s_rho - A21_r A11_r^-1 s_r - A21_c A11_c^-1 s_c) / A22``.
    """
    p, dp = (x[..., 0] for x in _cell_probs(th_r, th_c, np.array([rho])))
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_p = np.where(table > 0, 1 / p, 0.0)
    s_rho = dp * inv_p
    d_r = _cell_threshold_derivs(th_r, th_c, rho) * inv_p[..., None]
    d_c = np.swapaxes(_cell_threshold_derivs(th_c, th_r, rho), 0, 1) * inv_p[..., None]
    u_r, u_c = _univariate_scores(th_r), _univariate_scores(th_c)
    a22 = float((table * s_rho**2).sum())
    a21_r = np.einsum("kl,kl,klm->m", table, s_rho, d_r)
    a21_c = np.einsum("kl,kl,klm->m", table, s_rho, d_c)
    a11_r = u_r.T @ (table.sum(axis=1)[:, None] * u_r)
    a11_c = u_c.T @ (table.sum(axis=0)[:, None] * u_c)
    corr_r = u_r @ np.linalg.solve(a11_r, a21_r)
    corr_c = u_c @ np.linalg.solve(a11_c, a21_c)
    return np.where(table > 0, (s_rho - corr_r[:, None] - corr_c[None, :]) / a22, 0.0)


def polychoric_table(table: np.ndarray, *, zero_add: float = 0.5, bound: float = MAX_ABS_RHO) -> PolychoricResult:
    """Two-step polychoric correlation of a contingency table (rows x, columns y, sorted categories).

    Step 1: thresholds from the marginal proportions (:func:`thresholds`). Step 2: rho
    maximises ``sum n_kl log pi_kl(rho)`` with the thresholds fixed, ``pi_kl`` the bivariate
    normal probability of cell (k, l) (:func:`bvn_cdf`); found as the root of the analytic score
    to about 1e-14 inside the bracket of the best of 41 grid values (:func:`_maximise_rho`).
    A 2 x 2 table gives the tetrachoric correlation.

    Edge cases, as in lavaan: empty rows and columns (unobserved categories) are dropped; a
    2 x 2 table with one empty cell gets ``zero_add`` added there and its diagonal partner and
    taken from the two others (margins kept); a 2 x 2 table with two empty diagonal cells is a
    perfect association, rho = +/-1; larger tables keep their empty cells (they contribute
    nothing to the likelihood). rho is bounded to ``[-bound, bound]``. A table with fewer than
    two observed categories in a margin gives NaN. Counts may be non-integer (weights, or
    proportions).

    Parameters
    ----------
    table : array_like
        Counts, rows = categories of x, columns = categories of y, both in order.
    zero_add : float
        Added to the empty cell of a 2 x 2 table (0 to switch off).
    bound : float
        Largest absolute correlation searched.

    Returns
    -------
    PolychoricResult
        rho, thresholds, log-likelihood, n, standard error, table and per-cell influence.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460.
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. *Psychometrika*, 49, 115-132.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2), 1-36.

    Examples
    --------
    Olsson's (1979) 3 x 3 table, N = 500 (matrixCorr's test value 0.491371943011718):

    >>> tab = np.array([[13, 6, 0], [69, 113, 22], [41, 132, 104]])
    >>> res = polychoric_table(tab)
    >>> round(res.rho, 6), res.row_thresholds.round(6).tolist(), res.col_thresholds.round(6).tolist()
    (0.491372, [-1.774382, -0.135774], [-0.687131, 0.668209])
    """
    tab = np.asarray(table, float)
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    th_r, th_c = _thresholds_from_counts(tab.sum(axis=1)), _thresholds_from_counts(tab.sum(axis=0))
    n = float(tab.sum())
    if len(th_r) == 0 or len(th_c) == 0:
        return PolychoricResult(np.nan, th_r, th_c, np.nan, n, np.nan, tab, np.full(tab.shape, np.nan))
    fit_tab = _zero_add_2x2(tab, zero_add)
    fun = _polychoric_loglik(fit_tab, th_r, th_c)
    if tab.shape == (2, 2) and (tab == 0).sum() == 2:
        rho = 1.0 if tab[0, 0] > 0 else -1.0
    else:
        rho = _maximise_rho(fun, bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = float(fun(np.array([rho]))[0][0])
    if abs(rho) < 1:
        infl = _polychoric_influence(tab, th_r, th_c, rho)
        se = float(np.sqrt((tab * infl**2).sum()))
    else:
        infl, se = np.full(tab.shape, np.nan), np.nan
    return PolychoricResult(rho, th_r, th_c, loglik, n, se, tab, infl)


def _crosstab(cx: np.ndarray, cy: np.ndarray, kx: int, ky: int) -> np.ndarray:
    ok = (cx >= 0) & (cy >= 0)
    return np.bincount(cx[ok] * ky + cy[ok], minlength=kx * ky).reshape(kx, ky).astype(float)


def polychoric(x: pd.Series | np.ndarray, y: pd.Series | np.ndarray, *, zero_add: float = 0.5,
               bound: float = MAX_ABS_RHO) -> PolychoricResult:
    """Two-step polychoric correlation of two ordinal variables (tetrachoric when both are binary).

    Pairwise complete cases; categories in sorted order, unobserved ones dropped; then
    :func:`polychoric_table` of their contingency table. Depends on the table only, so the
    order of the rows cannot change a digit.

    Parameters
    ----------
    x, y : array_like
        Ordinal responses of equal length (NaN for missing).
    zero_add, bound : float
        See :func:`polychoric_table`.

    Returns
    -------
    PolychoricResult
        rho, thresholds (of the pairwise complete cases), log-likelihood, n, standard error.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460.

    Examples
    --------
    Cutting a correlated normal pair at known thresholds recovers its correlation:

    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=5000)
    >>> x, y = np.digitize(z[:, 0], [-1, 0, 1]), np.digitize(z[:, 1], [-0.5, 0.5])
    >>> res = polychoric(x, y)
    >>> bool(abs(res.rho - 0.6) < 3 * res.se)
    True
    """
    cx, lx = ordinal_codes(x)
    cy, ly = ordinal_codes(y)
    if len(cx) != len(cy):
        raise ValueError(f"x and y differ in length ({len(cx)} and {len(cy)})")
    return polychoric_table(_crosstab(cx, cy, len(lx), len(ly)), zero_add=zero_add, bound=bound)


# --------------------------------------------------------------------------------------------
# polyserial
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolyserialResult:
    """A two-step polyserial (biserial for a binary ordinal) correlation."""

    #: The correlation of the continuous variable with the ordinal variable's latent normal response.
    rho: float
    #: Thresholds of the ordinal variable (pairwise complete cases).
    thresholds: np.ndarray
    #: Joint log-likelihood at the two-step estimates: the normal density of x (ML mean and
    #: variance) plus ``sum log P(y_i | x_i; rho)``.
    loglik: float
    #: Number of pairwise complete cases.
    n: int
    #: Mean and ML standard deviation (divisor n) of the continuous variable.
    mean: float
    sd: float


def _polyserial_loglik(z: np.ndarray, codes: np.ndarray, th: np.ndarray) -> LogLikScore:
    """``rho -> (conditional loglik, score)`` of ordinal codes given standardised z, thresholds fixed."""
    pad = _padded(th)
    up, lo = pad[codes + 1][:, None], pad[codes][:, None]
    zz = z[:, None]

    def fun(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = np.asarray(rho, float)[None, :]
        s = np.sqrt(1 - r * r)
        u_hi, u_lo = (up - r * zz) / s, (lo - r * zz) / s
        p = np.maximum(_interval_prob(u_lo, u_hi), np.finfo(float).tiny)

        def term(u: np.ndarray, tau: np.ndarray) -> np.ndarray:
            # phi(u) (rho tau - z) / s^3, zero at an infinite threshold
            fin = np.isfinite(tau)
            uu = np.where(np.isfinite(u), u, 0.0)
            val = np.exp(-uu * uu / 2) / np.sqrt(_TWO_PI) * (r * np.where(fin, tau, 0.0) - zz) / s**3
            return np.where(fin, val, 0.0)

        dp = term(u_hi, up) - term(u_lo, lo)
        return np.log(p).sum(axis=0), (dp / p).sum(axis=0)

    return fun


def polyserial(x_continuous: pd.Series | np.ndarray, y_ordinal: pd.Series | np.ndarray, *,
               bound: float = MAX_ABS_RHO) -> PolyserialResult:
    """Two-step maximum-likelihood polyserial correlation of a continuous and an ordinal variable.

    Olsson, Drasgow & Dorans's (1982) two-step estimator, as lavaan's ``lav_bvmix`` computes
    it: x is standardised with its ML mean and standard deviation (divisor n), the thresholds
    of y are its marginal probits (:func:`thresholds`), and rho maximises
    ``sum log[Phi((tau_k - rho z) / s) - Phi((tau_k-1 - rho z) / s)]``, ``s = sqrt(1 - rho^2)``
    (the root of its analytic score, bracketed as in :func:`polychoric_table`). The ML step is
    preferred to the paper's ad hoc estimator ``r_xy sd(y) / sum phi(tau_k)``, which is not
    efficient and can exceed 1. Pairwise complete cases, sorted by (y, x) before summing, so
    that the row order cannot change a digit.

    Parameters
    ----------
    x_continuous : array_like
        The continuous variable.
    y_ordinal : array_like
        The ordinal variable (categories in sorted order).
    bound : float
        Largest absolute correlation searched.

    Returns
    -------
    PolyserialResult
        rho, thresholds of y, log-likelihood, n, mean and sd of x. rho is NaN when x is constant
        or y has fewer than two observed categories.

    References
    ----------
    Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial correlation coefficient.
    *Psychometrika*, 47, 337-347.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=4000)
    >>> res = polyserial(10 + 3 * z[:, 0], np.digitize(z[:, 1], [-1.0, 0.0, 0.8]))
    >>> bool(abs(res.rho - 0.5) < 0.05), res.thresholds.round(1).tolist()
    (True, [-1.0, 0.0, 0.8])
    """
    xs = np.asarray(x_continuous, float)
    codes, _ = ordinal_codes(y_ordinal)
    ok = np.isfinite(xs) & (codes >= 0)
    xs, cs = xs[ok], codes[ok]
    order = np.lexsort((xs, cs))
    xs, cs = xs[order], cs[order]
    used, cs = np.unique(cs, return_inverse=True)
    th = _thresholds_from_counts(np.bincount(cs))
    n = len(xs)
    mean = float(xs.mean()) if n else np.nan
    sd = float(np.sqrt(((xs - mean) ** 2).mean())) if n else np.nan
    if n == 0 or len(th) == 0 or not sd > 0:
        return PolyserialResult(np.nan, th, np.nan, n, mean, sd)
    z = (xs - mean) / sd
    fun = _polyserial_loglik(z, cs, th)
    rho = _maximise_rho(fun, bound)
    marginal = float((-0.5 * z * z).sum() - n * (0.5 * np.log(_TWO_PI) + np.log(sd)))
    return PolyserialResult(rho, th, float(fun(np.array([rho]))[0][0]) + marginal, n, mean, sd)


# --------------------------------------------------------------------------------------------
# heterogeneous correlation matrix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HetCorResult:
    """A heterogeneous correlation matrix with the pairwise n and the method of each entry."""

    #: Correlations (polychoric, polyserial or Pearson), unit diagonal.
    cor: pd.DataFrame
    #: Pairwise complete cases of each entry (the diagonal: non-missing cases of the variable).
    n: pd.DataFrame
    #: ``"polychoric"``, ``"polyserial"`` or ``"pearson"`` for each off-diagonal entry.
    method: pd.DataFrame


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Pearson correlation of the pairwise complete cases, summed in sorted order."""
    ok = np.isfinite(x) & np.isfinite(y)
    xs, ys = x[ok], y[ok]
    order = np.lexsort((ys, xs))
    xs, ys = xs[order], ys[order]
    n = len(xs)
    if n < 2:
        return np.nan, n
    dx, dy = xs - xs.mean(), ys - ys.mean()
    den = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    return (float((dx * dy).sum() / den) if den > 0 else np.nan), n


def _pair(df: pd.DataFrame, a: str, b: str, codes: dict[str, tuple[np.ndarray, int]]) -> tuple[float, int, str]:
    """Correlation, n and method of one pair of columns."""
    if a in codes and b in codes:
        (ca, ka), (cb, kb) = codes[a], codes[b]
        res = polychoric_table(_crosstab(ca, cb, ka, kb))
        return res.rho, int(round(res.n)), "polychoric"
    if a in codes or b in codes:
        cont, ordi = (b, a) if a in codes else (a, b)
        ps = polyserial(df[cont].to_numpy(float), df[ordi])
        return ps.rho, ps.n, "polyserial"
    rho, n = _pearson(df[a].to_numpy(float), df[b].to_numpy(float))
    return rho, n, "pearson"


def het_cor(df: pd.DataFrame, ordinal_cols: list[str] | tuple[str, ...] | set[str]) -> HetCorResult:
    """Heterogeneous correlation matrix: polychoric, polyserial or Pearson by the pair's types.

    Ordinal-ordinal pairs get the two-step polychoric correlation (:func:`polychoric_table`),
    ordinal-continuous pairs the two-step polyserial (:func:`polyserial`), continuous pairs the
    Pearson correlation. Each pair uses its PAIRWISE complete cases, and its thresholds come
    from those cases (as polycor's ``hetcor(use = "pairwise.complete.obs")``); the n of each
    entry is returned with it. Deterministic and independent of the row order. The matrix is
    not smoothed, so with pairwise deletion it need not be positive definite.

    Parameters
    ----------
    df : pandas.DataFrame
        One column per variable (NaN for missing).
    ordinal_cols : collection of str
        Columns to treat as ordinal (categories in sorted order); the others are continuous.

    Returns
    -------
    HetCorResult
        ``cor``, ``n`` and ``method`` DataFrames indexed by the columns of ``df``.

    References
    ----------
    Olsson (1979); Olsson, Drasgow & Dorans (1982) (see :func:`polychoric_table`,
    :func:`polyserial`). Fox, J. (2022). polycor: Polychoric and polyserial correlations. R package.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=3000)
    >>> df = pd.DataFrame({"a": np.digitize(z[:, 0], [0.0]), "b": np.digitize(z[:, 1], [-1, 0, 1]), "c": z[:, 2]})
    >>> res = het_cor(df, ["a", "b"])
    >>> res.method.loc["a", "c"], int(res.n.loc["a", "b"]), bool(abs(res.cor.loc["a", "b"] - 0.5) < 0.06)
    ('polyserial', 3000, True)
    """
    cols = list(df.columns)
    ordinal = set(ordinal_cols)
    missing = ordinal - set(cols)
    if missing:
        raise KeyError(f"ordinal columns not in df: {sorted(missing)}")
    codes = {}
    for c in cols:
        if c in ordinal:
            cc, lv = ordinal_codes(df[c])
            codes[c] = (cc, len(lv))
    p = len(cols)
    cor, nn = np.eye(p), np.diag(df.notna().sum().to_numpy()).astype(int)
    method = np.full((p, p), "", dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, j in combinations(range(p), 2):
            rho, n, how = _pair(df, cols[i], cols[j], codes)
            cor[i, j] = cor[j, i] = rho
            nn[i, j] = nn[j, i] = n
            method[i, j] = method[j, i] = how
    return HetCorResult(pd.DataFrame(cor, index=cols, columns=cols), pd.DataFrame(nn, index=cols, columns=cols),
                        pd.DataFrame(method, index=cols, columns=cols))
