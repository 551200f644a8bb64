"""Means and covariances from incomplete data, without dropping every agency with one blank.

Listwise deletion over the 70 items keeps about a fifth of the agencies. The saturated multivariate
normal model fitted by maximum likelihood to every observed value (EM; Dempster, Laird & Rubin
1977; Little & Rubin 2019, ch. 11) gives the mean vector and covariance matrix that full-information
ML would use; the factor models are then fitted to that matrix (the two-stage approach of Savalei &
Bentler 2009). Hand-written: statsmodels and scikit-learn have no EM for a multivariate normal with
missing values, and the iteration is short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: EM stops when no mean or covariance element moves by more than this (relative to the item
#: variances), far below the 4 decimals the reliability tables keep.
EM_TOL = 1e-10


@dataclass(frozen=True)
class Moments:
    """Mean vector and covariance matrix of a set of items, and the cases they rest on.

    ``n`` counts agencies with at least one observed item; ``n_complete`` those with all;
    ``coverage`` is the share of item cells observed; ``pair_n`` the cases observing both of each
    pair of items (the smallest, ``pair_n.min()``, is the n of the weakest correlation).
    """

    mean: pd.Series
    cov: pd.DataFrame
    n: int
    n_complete: int
    coverage: float
    pair_n: pd.DataFrame
    iterations: int

    @property
    def corr(self) -> pd.DataFrame:
        """The correlation matrix of :attr:`cov`."""
        sd = np.sqrt(np.diag(self.cov.to_numpy()))
        return pd.DataFrame(self.cov.to_numpy() / np.outer(sd, sd), index=self.cov.index, columns=self.cov.columns)


def _pattern_groups(observed: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by missingness pattern, in a fixed order (so sums run in the same order)."""
    keys = np.packbits(observed, axis=1)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    return [np.flatnonzero(inverse.ravel() == g) for g in range(int(inverse.max()) + 1)]


def _e_step(x: np.ndarray, groups: list[np.ndarray], observed: np.ndarray, mu: np.ndarray,
            sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected sums of x and x x' given the observed values, pattern by pattern."""
    p = x.shape[1]
    s1, s2 = np.zeros(p), np.zeros((p, p))
    for rows in groups:
        o = observed[rows[0]]
        m = ~o
        xo = x[np.ix_(rows, o)]
        filled = np.empty((len(rows), p))
        filled[:, o] = xo
        extra = np.zeros((p, p))
        if m.any():
            beta = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)]) if o.any() else np.zeros((0, m.sum()))
            filled[:, m] = mu[m] + (xo - mu[o]) @ beta
            extra[np.ix_(m, m)] = len(rows) * (sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ beta)
        s1 += filled.sum(axis=0)
        s2 += filled.T @ filled + extra
    return s1, s2


def em_moments(data: pd.DataFrame, max_iter: int = 5000, tol: float = EM_TOL) -> Moments:
    """Maximum-likelihood mean and covariance of incomplete multivariate data by EM.

    Every agency with at least one observed item contributes; missing values are assumed missing
    at random. Starts from the available-case means and variances; stops when the largest change
    of any parameter, relative to the item's variance, is below ``tol``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case, one column per item; NaN for a blank.
    max_iter : int
        Iteration limit (a warning-free NaN result if reached is not hidden: ``iterations``
        equals ``max_iter``).
    tol : float
        Convergence tolerance.

    Returns
    -------
    Moments
        Mean, covariance (ML, divisor n), the n used, complete cases, cell coverage, pairwise n.

    References
    ----------
    Dempster, Laird & Rubin (1977); Little & Rubin (2019), *Statistical Analysis with Missing
    Data*, 3rd ed., section 11.2; Savalei & Bentler (2009). Full references: ``docs/references.md``.

    Examples
    --------
    With no blanks EM returns the sample mean and the ML (divisor n) covariance at once:

    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    >>> m = em_moments(df)
    >>> m.cov.round(4).values.tolist(), m.n, m.n_complete
    ([[1.25, 0.75], [0.75, 1.25]], 4, 4)
    """
    cols = list(data.columns)
    keep = data.notna().any(axis=1).to_numpy()
    x = data.to_numpy(float)[keep]
    observed = ~np.isnan(x)
    pair = observed.T.astype(np.int64) @ observed.astype(np.int64)
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    groups = _pattern_groups(observed)
    n = x.shape[0]
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        s1, s2 = _e_step(x, groups, observed, mu, sigma)
        new_mu = s1 / n
        new_sigma = s2 / n - np.outer(new_mu, new_mu)
        scale = np.sqrt(np.outer(np.diag(new_sigma), np.diag(new_sigma)))
        step = max(float(np.max(np.abs(new_mu - mu) / np.sqrt(np.diag(new_sigma)))),
                   float(np.max(np.abs(new_sigma - sigma) / scale)))
        mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2
        if step < tol:
            break
    return Moments(pd.Series(mu, index=cols), pd.DataFrame(sigma, index=cols, columns=cols), n,
                   int(observed.all(axis=1).sum()), float(observed.mean()),
                   pd.DataFrame(pair, index=cols, columns=cols), it)


def pairwise_cov(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance of each data set in a stack ``(..., n, p)`` (NaN = blank).

    Each covariance uses the cases observing both items (divisor ``n_ij - 1``), so an agency with one
    blank still counts for every other pair; batched so that bootstrap resamples are computed at
    once. Returns ``(cov, n_pairs)``; a pair with fewer than two cases has a NaN covariance.

    References
    ----------
    Little & Rubin (2019), section 3.4 (available-case analysis). Full references: ``docs/references.md``.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 4.0], [4.0, 3.0]])
    >>> cov, n = pairwise_cov(x)
    >>> cov.round(4).tolist(), n.tolist()
    ([[1.6667, 1.0], [1.0, 1.0]], [[4, 3], [3, 3]])
    """
    m = ~np.isnan(x)
    x0 = np.where(m, x, 0.0)
    mf = m.astype(float)
    x0t = np.swapaxes(x0, -1, -2)
    n = np.swapaxes(mf, -1, -2) @ mf  # counts: exact in floating point whatever the kernel
    sx = x0t @ mf  # sum of x_i over cases observing j too
    sxx = x0t @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxx - sx * np.swapaxes(sx, -1, -2) / n) / (n - 1)
    cov = np.where(n >= 2, cov, np.nan)
    return cov, n.astype(np.int64)
