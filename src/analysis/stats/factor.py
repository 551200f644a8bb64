"""Maximum-likelihood factor models, converged tightly enough to give the same digits on every CPU."""

from __future__ import annotations

import numpy as np
from factor_analyzer import FactorAnalyzer
from factor_analyzer.utils import smc
from scipy import optimize


def _ml_gradient(psi: np.ndarray, corr: np.ndarray, n_factors: int) -> np.ndarray:
    """Gradient of factor_analyzer's (R ``factanal``'s) ML discrepancy in the uniquenesses.

    ``diag(L L' + Psi - R) / Psi^2`` with ``L`` the ML loadings at ``Psi`` (R's ``FAgr``).
    """
    lam = _loadings_at(psi, corr, n_factors)
    return ((lam**2).sum(axis=1) + psi - np.diag(corr)) / psi**2


def _loadings_at(psi: np.ndarray, corr: np.ndarray, n_factors: int) -> np.ndarray:
    """ML loadings for given uniquenesses: ``Psi^1/2 V (Theta - I)^1/2`` from the leading
    eigenpairs of ``Psi^-1/2 R Psi^-1/2`` (Joreskog 1967; factor_analyzer's ``_normalize_ml``)."""
    d = 1 / np.sqrt(psi)
    vals, vecs = np.linalg.eigh(corr * d[:, None] * d[None, :])
    vals, vecs = vals[::-1][:n_factors], vecs[:, ::-1][:, :n_factors]
    return np.sqrt(psi)[:, None] * vecs * np.sqrt(np.maximum(vals - 1, 0))


def ml_loadings(corr: np.ndarray, n_factors: int) -> np.ndarray:
    """Unrotated maximum-likelihood factor loadings of a correlation matrix.

    The same discrepancy, start (1 - SMC) and bounds (uniquenesses in [0.005, 1]) as
    ``FactorAnalyzer(method="ml")`` and R's ``factanal``, minimised by L-BFGS-B with the analytic
    gradient (:func:`_ml_gradient`) instead of factor_analyzer's finite differences: those stop
    about 1e-6 from the optimum, and where exactly depends on last-bit noise, so two CPUs gave
    EFA loadings differing in the sixth decimal. Columns are signed to a positive sum.
    """
    p = corr.shape[0]
    res = optimize.minimize(FactorAnalyzer._fit_ml_objective, 1 - smc(corr), jac=_ml_gradient,
                            args=(corr, n_factors), method="L-BFGS-B", bounds=[(0.005, 1.0)] * p,
                            options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-10})
    lam = _loadings_at(res.x, corr, n_factors)
    signs = np.sign(lam.sum(axis=0))
    return lam * np.where(signs == 0, 1.0, signs)


def one_factor_ml(corr: np.ndarray, tol: float = 1e-12, max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """One-factor ML loadings and uniquenesses of a stack of correlation matrices (..., p, p).

    Hand-written because the bootstrap needs hundreds of fits per pillar and
    ``FactorAnalyzer.fit`` costs about 25 ms each; this is the ML fixed point of Joreskog
    (1967): the loadings are ``Psi^1/2 v sqrt(theta - 1)`` with ``(theta, v)`` the leading
    eigenpair of ``Psi^-1/2 R Psi^-1/2``, uniquenesses bounded to [0.005, 1] as in
    factor_analyzer. Batched with ``numpy.linalg.eigh``; each matrix stops when its own
    uniquenesses move less than ``tol``.
    """
    # start at 1 - SMC; pinv, because a bootstrap resample of few cases can have a singular matrix
    p = corr.shape[-1]
    stack = corr.reshape(-1, p, p)
    psi = np.clip(1 / np.diagonal(np.linalg.pinv(stack, hermitian=True), axis1=-2, axis2=-1), 0.005, 1.0)
    lam = np.zeros_like(psi)
    active = np.arange(len(stack))  # each matrix iterates until it converges, whatever its batch
    for _ in range(max_iter):
        if not active.size:
            break
        ps = psi[active]
        d = 1 / np.sqrt(ps)
        vals, vecs = np.linalg.eigh(stack[active] * d[:, :, None] * d[:, None, :])
        lam[active] = np.sqrt(ps) * vecs[..., -1] * np.sqrt(np.maximum(vals[..., -1] - 1, 0))[:, None]
        new = np.clip(1 - lam[active] ** 2, 0.005, 1.0)
        psi[active] = new
        active = active[np.max(np.abs(new - ps), axis=1) >= tol]
    lam = (lam * np.sign(lam.sum(-1, keepdims=True))).reshape(corr.shape[:-1])
    psi = psi.reshape(corr.shape[:-1])
    return lam, psi
