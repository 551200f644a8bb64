"""Normal-theory maximum-likelihood CFA of a simple-structure model, converged to the last digits.

The model: each item loads on one factor, the factors are correlated, their variances fixed to 1
(lavaan's ``std.lv = TRUE``), each item has its own unique variance,

    Sigma = Lambda Phi Lambda' + Psi,

fitted by minimising Joreskog's (1969) discrepancy

    F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p.

Why hand-written: semopy's SLSQP takes 15-70 s on the survey's 70-item, 6-factor model, where
it stops depends on the scale of the matrix and on the CPU, and on the covariance scale of 0-100
scores its baseline (independence) model stops short of its minimum, which moves CFI and TLI in
the fourth decimal. Here (about 0.1 s for 70 items and 6 factors):

- The fit is done on the correlation scale. With free loadings and unique variances and the
  factor variances fixed, the model is scale invariant (Bollen 1989, ch. 4): rescaling the
  items rescales the estimates and leaves F_min, hence chi-square, CFI, TLI, RMSEA and the
  standardised SRMR, unchanged; the correlation scale is just the best conditioned.
- Analytic gradient: ``dF/dSigma = G = Sigma^-1 (Sigma - S) Sigma^-1``, with the chain rule to the
  loadings, factor correlations and unique variances (:func:`_derivatives`).
- Start: one-factor ML loadings of each factor's items (:func:`analysis.stats.factor.one_factor_ml`),
  factor correlations from the between-block correlations.
- L-BFGS-B (unique variances bounded at 0, factor correlations through a normalised Cholesky
  factor so that ``Phi`` stays a positive definite correlation matrix), then projected Newton
  steps on the natural parameters with the analytic observed Hessian (:func:`_hessians`; Fisher
  scoring with the closed-form expected information ``tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)``
  where the observed Hessian is not positive definite) until the gradient norm is below 1e-10,
  so that no BLAS kernel, item order or start can move a stored digit. BLAS runs on one thread
  during the fit (small matrices; many threads only wait for each other on a busy machine).
- Unique variances are bounded at 0, as semopy bounds them, so a Heywood case is a boundary
  solution (listed in :attr:`MLCFAEstimates.boundary`); ``negative_variances=True`` leaves them
  free, as lavaan does by default. The two agree whenever no variance reaches 0.

Fit statistics follow lavaan's conventions for ``estimator = "ML"`` with its default
``likelihood = "normal"`` (Rosseel 2012): ``T = N F_min`` (N, not N - 1) on
``p (p + 1) / 2 - q`` df; the baseline (independence) model ``T_0 = -N log|R|`` on
``p (p - 1) / 2`` df; ``CFI = 1 - max(T - df, 0) / max(T_0 - df_0, T - df, 0)``;
``TLI = (T_0 / df_0 - T / df) / (T_0 / df_0 - 1)``; ``RMSEA = sqrt(max(T - df, 0) / (df N))``
with its 90 % noncentral chi-square interval (:func:`rmsea_ci`); SRMR Bentler's, lavaan's
default ``"srmr"``: residuals ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)``, root mean square over the
lower triangle including the diagonal. Hu & Bentler (1999) give the usual cut-offs.

References
----------
Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor analysis.
*Psychometrika*, 34(2), 183-202.

Bollen, K. A. (1989). *Structural Equations with Latent Variables*, ch. 4 (the ML fitting
function, its scale invariance and its information matrix). New York: Wiley.

Bertsekas, D. P. (1982). Projected Newton methods for optimization problems with simple
constraints. *SIAM Journal on Control and Optimization*, 20(2), 221-246.

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36 (and its source: ``R/lav_objective.R``, ``R/lav_fit_cfi.R``,
``R/lav_fit_rmsea.R``, ``R/lav_fit_srmr.R``).

Hu, L. & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure analysis:
conventional criteria versus new alternatives. *Structural Equation Modeling*, 6(1), 1-55.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats
from threadpoolctl import ThreadpoolController

from analysis.stats.common import too_few
from analysis.stats.factor import one_factor_ml

#: Columns of the one-row fit table, as :func:`analysis.stats.structure.cfa_fit`'s.
FIT_COLUMNS = ["n", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr", "note"]

#: The Newton polish stops when the Euclidean norm of the (projected) gradient of F_ML is below this.
GRADIENT_TOL = 1e-10


# --------------------------------------------------------------------------------------------
# the model and its derivatives
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """Simple structure: the factor of each item (0..m-1) and the number of factors."""

    factor_of: np.ndarray
    n_factors: int

    @property
    def n_items(self) -> int:
        return len(self.factor_of)

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Factor pairs (f < g) in the order of the factor-correlation parameters."""
        return np.triu_indices(self.n_factors, 1)

    @property
    def n_params(self) -> int:
        return 2 * self.n_items + self.n_factors * (self.n_factors - 1) // 2


def _unpack(theta: np.ndarray, model: _Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Natural parameters ``(loadings, unique variances, correlations)`` -> ``(Lambda, psi, Phi)``."""
    p, m = model.n_items, model.n_factors
    lam = np.zeros((p, m))
    lam[np.arange(p), model.factor_of] = theta[:p]
    phi = np.eye(m)
    f, g = model.pairs
    phi[f, g] = phi[g, f] = theta[2 * p:]
    return lam, theta[p:2 * p], phi


def _sigma(theta: np.ndarray, model: _Model) -> np.ndarray:
    lam, psi, phi = _unpack(theta, model)
    return lam @ phi @ lam.T + np.diag(psi)


def _discrepancy(sigma: np.ndarray, r: np.ndarray, logdet_r: float) -> tuple[float, np.ndarray] | None:
    """``F_ML`` and ``Sigma^-1``, or ``None`` when ``Sigma`` is not positive definite."""
    try:
        chol = linalg.cholesky(sigma, lower=True)
    except linalg.LinAlgError:
        return None
    inv = linalg.cho_solve((chol, True), np.eye(len(sigma)))
    inv = (inv + inv.T) / 2
    f = 2 * float(np.log(np.diag(chol)).sum()) + float(np.sum(r * inv)) - logdet_r - len(r)
    return f, inv


def _derivatives(theta: np.ndarray, model: _Model) -> tuple[np.ndarray, np.ndarray]:
    """Each parameter's ``dSigma/dtheta_k = x_k y_k' + y_k x_k'`` as the columns of ``X`` and ``Y`` (p x q).

    A loading ``lambda_i``: ``x = e_i``, ``y = (Lambda Phi)[:, f(i)]``; a unique variance
    ``psi_i``: ``x = e_i``, ``y = e_i / 2``; a factor correlation ``phi_fg``: ``x = Lambda[:, f]``,
    ``y = Lambda[:, g]``. Then ``dF/dtheta_k = 2 x_k' G y_k`` and the expected information
    ``tr(C D_k C D_l) = 2 [(x_k'C x_l)(y_k'C y_l) + (x_k'C y_l)(y_k'C x_l)]`` for ``C = Sigma^-1``.
    """
    p = model.n_items
    lam, _, phi = _unpack(theta, model)
    eye = np.eye(p)
    f, g = model.pairs
    x = np.hstack([eye, eye, lam[:, f]])
    y = np.hstack([(lam @ phi)[:, model.factor_of], eye / 2, lam[:, g]])
    return x, y


def _gradient(theta: np.ndarray, model: _Model, r: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """``dF/dtheta`` in the natural parameters, from ``G = Sigma^-1 (Sigma - S) Sigma^-1``."""
    x, y = _derivatives(theta, model)
    g = inv - inv @ r @ inv
    return 2 * np.einsum("ik,ik->k", x, g @ y)


def _hessians(theta: np.ndarray, model: _Model, r: np.ndarray, inv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected and observed Hessian of F_ML in the natural parameters (q x q).

    Expected (twice the per-case Fisher information; the two agree at ``Sigma = S``):
    ``tr(C D_k C D_l)``. Observed: ``-tr(C D_k C D_l) + 2 tr(C D_k E D_l) + tr(G d2Sigma/dtheta_k dtheta_l)``
    with ``E = C S C``; the second derivatives of ``Sigma`` are ``Phi_fg (e_i e_j' + e_j e_i')`` for
    two loadings and ``e_i Lambda_g' + Lambda_g e_i'`` for a loading on factor f and ``phi_fg``.
    """
    p = model.n_items
    x, y = _derivatives(theta, model)
    lam, _, phi = _unpack(theta, model)
    e = inv @ r @ inv
    g = inv - e
    cx, cy, ex, ey = inv @ x, inv @ y, e @ x, e @ y
    xcx, ycy, xcy = x.T @ cx, y.T @ cy, x.T @ cy
    xex, yey, xey = x.T @ ex, y.T @ ey, x.T @ ey
    expected = 2 * (xcx * ycy + xcy * xcy.T)
    observed = -expected + 2 * (xcy * xey.T + xcx * yey + ycy * xex + xcy.T * xey)
    fo = model.factor_of
    observed[:p, :p] += 2 * g * phi[np.ix_(fo, fo)]
    gl = g @ lam
    f, h = model.pairs
    cross = 2 * ((fo[:, None] == f[None, :]) * gl[:, h] + (fo[:, None] == h[None, :]) * gl[:, f])
    observed[:p, 2 * p:] += cross
    observed[2 * p:, :p] += cross.T
    return expected, (observed + observed.T) / 2


# --------------------------------------------------------------------------------------------
# the fit: start, L-BFGS-B, Newton polish
# --------------------------------------------------------------------------------------------


def _start(r: np.ndarray, model: _Model) -> np.ndarray:
    """One-factor ML loadings of each factor's items (two items: ``sqrt|r_12|``), unique variances
    ``1 - lambda^2`` (at least 0.05), factor correlations by least squares from the between-block
    correlations, shrunk towards the identity until ``Phi`` is safely positive definite."""
    p, m = model.n_items, model.n_factors
    lam = np.empty(p)
    for f in range(m):
        idx = np.flatnonzero(model.factor_of == f)
        block = r[np.ix_(idx, idx)]
        if len(idx) >= 3:
            lam[idx] = one_factor_ml(block, tol=1e-6)[0]
        else:  # two items (one-item factors are refused by _problem)
            lam[idx] = np.sqrt(max(abs(block[0, 1]), 0.01)) * np.array([1.0, -1.0 if block[0, 1] < 0 else 1.0])
    lam = np.clip(lam, -0.95, 0.95)
    psi = np.maximum(1 - lam**2, 0.05)
    phi = np.eye(m)
    for f, g in zip(*model.pairs, strict=True):
        a, b = lam * (model.factor_of == f), lam * (model.factor_of == g)
        phi[f, g] = phi[g, f] = np.clip(a @ r @ b / ((a @ a) * (b @ b)), -0.95, 0.95)
    while np.linalg.eigvalsh(phi).min() < 0.01:
        phi = np.eye(m) + 0.9 * (phi - np.eye(m))
    return np.concatenate([lam, psi, phi[model.pairs]])


def _to_free(theta: np.ndarray, model: _Model) -> np.ndarray:
    """Natural -> L-BFGS-B parameters: loadings, unique variances, and for ``Phi`` the strictly lower
    part of a unit-diagonal Cholesky factor ``L`` (``Phi = N L L' N``, ``N = diag(L L')^-1/2``), so
    that every value gives a positive definite correlation matrix."""
    p = model.n_items
    phi = _unpack(theta, model)[2]
    chol = np.linalg.cholesky(phi)
    unit = chol / np.diag(chol)[:, None]
    return np.concatenate([theta[:2 * p], unit[np.tril_indices(model.n_factors, -1)]])


def _from_free(free: np.ndarray, model: _Model) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B -> natural parameters, and ``L`` (for the chain rule)."""
    p, m = model.n_items, model.n_factors
    unit = np.eye(m)
    unit[np.tril_indices(m, -1)] = free[2 * p:]
    mm = unit @ unit.T
    d = 1 / np.sqrt(np.diag(mm))
    phi = mm * np.outer(d, d)
    return np.concatenate([free[:2 * p], phi[model.pairs]]), unit


def _free_objective(free: np.ndarray, model: _Model, r: np.ndarray, logdet_r: float) -> tuple[float, np.ndarray]:
    """F_ML and its gradient in the L-BFGS-B parameters.

    Chain rule for ``Phi = N M N``, ``M = L L'``: with ``A = dF/dPhi`` (symmetric),
    ``dF/dM = N A N - diag(d^3 diag(A N M))`` (``d = diag(M)^-1/2``) and ``dF/dL = 2 sym(dF/dM) L``.
    """
    p, m = model.n_items, model.n_factors
    theta, unit = _from_free(free, model)
    out = _discrepancy(_sigma(theta, model), r, logdet_r)
    if out is None:  # several unique variances at 0: a singular Sigma
        return 1e10, np.zeros_like(free)
    f, inv = out
    grad = _gradient(theta, model, r, inv)
    a = np.zeros((m, m))
    fi, gi = model.pairs
    a[fi, gi] = a[gi, fi] = grad[2 * p:] / 2
    mm = unit @ unit.T
    d = 1 / np.sqrt(np.diag(mm))
    dm = a * np.outer(d, d) - np.diag(d**3 * np.diag(a * d[None, :] @ mm))
    g_unit = (dm + dm.T) @ unit
    return f, np.concatenate([grad[:2 * p], g_unit[np.tril_indices(m, -1)]])


def _newton_step(theta: np.ndarray, grad: np.ndarray, free: np.ndarray, model: _Model, r: np.ndarray,
                 inv: np.ndarray) -> np.ndarray:
    """Newton step on the free parameters with the observed Hessian; Fisher scoring (the expected
    Hessian) where the observed one is not positive definite."""
    expected, observed = _hessians(theta, model, r, inv)
    step = np.zeros_like(theta)
    sub = np.ix_(free, free)
    try:
        step[free] = linalg.cho_solve(linalg.cho_factor(observed[sub]), grad[free])
    except linalg.LinAlgError:
        step[free] = linalg.cho_solve(linalg.cho_factor(expected[sub]), grad[free])
    return step


def _polish(theta: np.ndarray, model: _Model, r: np.ndarray, logdet_r: float, lower: np.ndarray,
            max_iter: int = 200) -> tuple[np.ndarray, float, float, int]:
    """Projected Newton steps (Bertsekas 1982) with step halving until the norm of the projected
    gradient is below :data:`GRADIENT_TOL`. A unique variance at its lower bound with a positive
    gradient is held there. Returns the estimates, F_min, projected gradient norm and steps taken."""
    state = _discrepancy(_sigma(theta, model), r, logdet_r)
    if state is None:
        raise np.linalg.LinAlgError("the implied correlation matrix of the L-BFGS-B solution is singular")
    f, inv = state
    steps, norm = 0, np.inf
    for steps in range(max_iter + 1):  # noqa: B007 (the count is returned)
        grad = _gradient(theta, model, r, inv)
        held = (theta <= lower) & (grad > 0)
        norm = float(np.linalg.norm(np.where(held, 0.0, grad)))
        if norm < GRADIENT_TOL or steps == max_iter:
            break
        step = _newton_step(theta, grad, ~held, model, r, inv)
        t = 1.0
        while t > 1e-10:
            new = np.maximum(theta - t * step, lower)
            cand = _discrepancy(_sigma(new, model), r, logdet_r)
            if (cand is not None and cand[0] <= f + 1e-13 * (1 + abs(f))
                    and np.linalg.eigvalsh(_unpack(new, model)[2]).min() > 0):
                break
            t /= 2
        else:  # no step lowers F: the limit of floating point
            break
        theta, (f, inv) = new, cand
    return theta, f, norm, steps


def _signed(theta: np.ndarray, model: _Model) -> np.ndarray:
    """Each factor signed so that its loadings sum to a positive value (correlations follow)."""
    p = model.n_items
    sums = np.bincount(model.factor_of, weights=theta[:p], minlength=model.n_factors)
    signs = np.where(sums < 0, -1.0, 1.0)
    out = theta.copy()
    out[:p] *= signs[model.factor_of]
    f, g = model.pairs
    out[2 * p:] *= signs[f] * signs[g]
    return out


@dataclass
class MLCFAEstimates:
    """An ML simple-structure CFA fitted by :func:`ml_cfa_estimates`."""

    #: One row per item: factor, item, loading and residual_variance (the metric of ``cov``, factor
    #: variances 1, lavaan's ``std.lv = TRUE``), std_loading (lavaan's ``std.all``).
    loadings: pd.DataFrame
    #: Factor correlations (factors x factors).
    factor_correlations: pd.DataFrame
    #: Minimum of F_ML (scale free) and the model-implied correlation matrix (items x items).
    fmin: float
    implied_correlations: pd.DataFrame
    #: Sample correlation matrix (items x items) and its log-determinant.
    correlations: pd.DataFrame
    logdet_r: float
    #: Free parameters; norm of the (projected) gradient of F_ML at the estimates; Newton steps of the polish.
    n_params: int
    gradient_norm: float
    newton_steps: int
    #: Items whose unique variance is held at its bound 0 (a Heywood case; empty with ``negative_variances``).
    boundary: list[str]


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The process's BLAS libraries, looked up once (a look-up reads the loaded libraries, ~10 ms)."""
    return ThreadpoolController()


def _fit(r: np.ndarray, model: _Model, negative_variances: bool = False) -> tuple[np.ndarray, float, float, int]:
    """Estimates (natural parameters, correlation scale), F_min, projected gradient norm and Newton steps.

    BLAS is held to one thread: the matrices are small, and on a busy machine OpenBLAS's threads
    wait for each other (a hundred times slower on two loaded cores); the result does not depend
    on it.
    """
    p = model.n_items
    logdet_r = float(np.linalg.slogdet(r)[1])
    bounds = [(None, None)] * p + [(0.0, None)] * p + [(None, None)] * (model.n_params - 2 * p)
    lower = np.full(model.n_params, -np.inf)
    if not negative_variances:
        lower[p:2 * p] = 0.0
    with _blas_controller().limit(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(_free_objective, _to_free(_start(r, model), model), args=(model, r, logdet_r),
                                jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": 20000, "maxcor": 20, "ftol": 1e-14, "gtol": 1e-9})
        theta, fmin, gnorm, steps = _polish(_from_free(res.x, model)[0], model, r, logdet_r, lower)
    if gnorm >= GRADIENT_TOL:
        warnings.warn(f"ML CFA: the gradient norm is {gnorm:.1e} after {steps} Newton steps, above {GRADIENT_TOL:.0e}",
                      RuntimeWarning, stacklevel=3)
    return _signed(theta, model), fmin, gnorm, steps


def _prepare(cov: pd.DataFrame, groups: dict[str, list[str]]) -> tuple[list[str], np.ndarray, np.ndarray, _Model]:
    """Items in model order, their standard deviations, the correlation matrix and the model."""
    cols = [c for cs in groups.values() for c in cs]
    s = cov.loc[cols, cols].to_numpy(float)
    s = (s + s.T) / 2
    sd = np.sqrt(np.diag(s))
    r = s / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    factor_of = np.array([f for f, cs in enumerate(groups.values()) for _ in cs], int)
    return cols, sd, r, _Model(factor_of, len(groups))


def _problem(cov: pd.DataFrame, groups: dict[str, list[str]]) -> str | None:
    """Why the model cannot be fitted to ``cov`` (other than too few cases), or ``None``."""
    cols = [c for cs in groups.values() for c in cs]
    if not cols:
        return "not computed: the model has no items"
    if len(set(cols)) != len(cols):
        return "not computed: an item is listed under more than one factor"
    missing = [c for c in cols if c not in cov.columns or c not in cov.index]
    if missing:
        return f"not computed: items not in the covariance matrix: {', '.join(missing)}"
    single = [f for f, cs in groups.items() if len(cs) < 2]
    if single:
        return f"not computed: factors with fewer than two items are not identified: {', '.join(map(str, single))}"
    s = cov.loc[cols, cols].to_numpy(float)
    if not np.isfinite(s).all() or (np.diag(s) <= 0).any():
        return "not computed: the covariance matrix is not positive definite"
    d = 1 / np.sqrt(np.diag(s))
    eig = np.linalg.eigvalsh((s + s.T) / 2 * np.outer(d, d))
    if eig[0] <= 1e-12 * eig[-1]:
        return "not computed: the covariance matrix is not positive definite"
    p, m = len(cols), len(groups)
    if p * (p + 1) // 2 < 2 * p + m * (m - 1) // 2:
        return "not computed: more free parameters than variances and covariances"
    return None


def ml_cfa_estimates(cov: pd.DataFrame, groups: dict[str, list[str]], *,
                     negative_variances: bool = False) -> MLCFAEstimates:
    """Maximum-likelihood estimates of a simple-structure CFA from a covariance (or correlation) matrix.

    Fitted on the correlation scale and converted back to the metric of ``cov`` (loadings times
    the item's standard deviation, residual variances times its variance); see the module
    docstring for the algorithm.

    Parameters
    ----------
    cov : pandas.DataFrame
        Covariance (or correlation) matrix of the items, labelled rows and columns.
    groups : dict of str to list of str
        Each factor's items (each item on one factor, each factor at least two items).
    negative_variances : bool
        Leave the unique variances unbounded, as lavaan (``bounds = "none"``), instead of bounding
        them at 0 as semopy does. The two differ only in a Heywood case.

    Returns
    -------
    MLCFAEstimates
        Loadings, residual variances, factor correlations, F_min, implied correlations.

    Raises
    ------
    ValueError
        When the model cannot be fitted to ``cov`` (an item twice or missing, a one-item factor,
        a matrix that is not positive definite, more parameters than moments).

    References
    ----------
    Joreskog (1969); Bollen (1989), ch. 4. Full references: ``docs/references.md``.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> est = ml_cfa_estimates(hs.cov(ddof=0), {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...                                          "speed": ["x7", "x8", "x9"]})
    >>> [round(v, 3) for v in est.loadings["loading"].iloc[:3]]
    [0.9, 0.498, 0.656]
    """
    problem = _problem(cov, groups)
    if problem is not None:
        raise ValueError(problem)
    cols, sd, r, model = _prepare(cov, groups)
    theta, fmin, gnorm, steps = _fit(r, model, negative_variances)
    p = model.n_items
    lam, psi, phi = _unpack(theta, model)
    implied = lam @ phi @ lam.T + np.diag(psi)
    factors = list(groups)
    loadings = pd.DataFrame({"factor": [factors[f] for f in model.factor_of], "item": cols,
                             "loading": theta[:p] * sd, "residual_variance": psi * sd**2,
                             "std_loading": theta[:p] / np.sqrt(np.diag(implied))})
    return MLCFAEstimates(loadings, pd.DataFrame(phi, index=factors, columns=factors), fmin,
                          pd.DataFrame(implied, index=cols, columns=cols), pd.DataFrame(r, index=cols, columns=cols),
                          float(np.linalg.slogdet(r)[1]), model.n_params, gnorm, steps,
                          [c for c, v in zip(cols, psi, strict=True) if v <= 0 and not negative_variances])


# --------------------------------------------------------------------------------------------
# fit statistics
# --------------------------------------------------------------------------------------------


def rmsea_ci(chi2: float, df: int, n: float, confidence: float = 0.90) -> tuple[float, float]:
    """Noncentral chi-square interval of the RMSEA, as lavaan computes it (``lav_fit_rmsea_ci``).

    ``lambda_low`` solves ``ncx2.cdf(chi2, df, lambda) = (1 + confidence) / 2`` and ``lambda_high``
    solves it for ``(1 - confidence) / 2`` (0 when even ``lambda = 0`` puts ``chi2`` below that
    quantile); ``RMSEA = sqrt(lambda / (df n))``. lavaan's ``n`` is N for ML with its default normal
    likelihood (its chi-square is ``N F_ML``), N - 1 for the other estimators.

    Parameters
    ----------
    chi2 : float
        Test statistic.
    df : int
        Its degrees of freedom (positive).
    n : float
        The multiplier of the RMSEA (see above).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    tuple of float
        Lower and upper bound.

    References
    ----------
    Rosseel (2012). Full references: ``docs/references.md``.

    Examples
    --------
    The lavaan tutorial's Holzinger & Swineford model: RMSEA .092, 90 % CI .071-.114.

    >>> [round(v, 3) for v in rmsea_ci(85.305521, 24, 301)]
    [0.071, 0.114]
    """
    def solve(prob: float) -> float:
        if stats.chi2.cdf(chi2, df) < prob:  # even lambda = 0 puts chi2 below the prob quantile
            return 0.0
        hi = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, hi) > prob:
            hi *= 2
        return float(optimize.brentq(lambda lam: stats.ncx2.cdf(chi2, df, lam) - prob, 0.0, hi, xtol=1e-10))

    return (float(np.sqrt(solve((1 + confidence) / 2) / (df * n))),
            float(np.sqrt(solve((1 - confidence) / 2) / (df * n))))


def fit_measures(t: float, df: int, t0: float, df0: int, n: int) -> dict[str, float]:
    """p, CFI, TLI, RMSEA and its 90 % interval from the ML statistic and the baseline's, as lavaan.

    ``CFI = 1 - max(T - df, 0) / max(T_0 - df_0, T - df, 0)`` (1 when the denominator is 0);
    ``TLI = (T_0 / df_0 - T / df) / (T_0 / df_0 - 1)``; ``RMSEA = sqrt(max(T - df, 0) / (df N))``.
    With ``df = 0`` (a saturated model) p is missing and TLI, RMSEA and its interval are those of a
    perfect fit (1, 0, 0, 0), as lavaan reports them.

    Examples
    --------
    >>> out = fit_measures(85.305521, 24, 918.851589, 36, 301)
    >>> round(out["cfi"], 3), round(out["tli"], 3), round(out["rmsea"], 3)
    (0.931, 0.896, 0.092)
    """
    d1, d0 = max(t - df, 0.0), max(t0 - df0, t - df, 0.0)
    if df == 0:
        return {"p": np.nan, "cfi": 1.0 if d0 == 0 else 1 - d1 / d0, "tli": 1.0, "rmsea": 0.0,
                "rmsea_ci_low": 0.0, "rmsea_ci_high": 0.0}
    low, high = rmsea_ci(t, df, n)
    return {"p": float(stats.chi2.sf(t, df)), "cfi": 1.0 if d0 == 0 else 1 - d1 / d0,
            "tli": (t0 / df0 - t / df) / (t0 / df0 - 1) if t0 != df0 else 1.0,
            "rmsea": float(np.sqrt(d1 / (df * n))), "rmsea_ci_low": low, "rmsea_ci_high": high}


def baseline(corr: np.ndarray, n: int) -> tuple[float, int]:
    """The independence (baseline) model's statistic and df: ``T_0 = -N log|R|`` on ``p (p - 1) / 2``.

    ML with all covariances 0 fits the variances exactly, so ``F_0 = -log|R|`` for the correlation
    matrix ``R`` whatever the scale of the items.

    Examples
    --------
    The lavaan tutorial's Holzinger & Swineford (1939) baseline: 918.852 on 36 df.

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> t0, df0 = baseline(hs.corr().to_numpy(), len(hs))
    >>> round(t0, 3), df0
    (918.852, 36)
    """
    p = corr.shape[0]
    return -n * float(np.linalg.slogdet(corr)[1]), p * (p - 1) // 2


def _empty(n: int, note: str) -> pd.DataFrame:
    return pd.DataFrame([{"n": n, "chi2": np.nan, "df": np.nan, "p": np.nan, "cfi": np.nan, "tli": np.nan,
                          "rmsea": np.nan, "rmsea_ci_low": np.nan, "rmsea_ci_high": np.nan, "srmr": np.nan,
                          "note": note}])[FIT_COLUMNS]


def ml_cfa(cov: pd.DataFrame, n: int, groups: dict[str, list[str]], *,
           negative_variances: bool = False) -> pd.DataFrame:
    """Fit of a simple-structure CFA by normal-theory ML from a covariance matrix (divisor n) of ``n`` cases.

    A drop-in for :func:`analysis.stats.structure.cfa_fit_cov` (same columns, same conventions, the
    same numbers where semopy converges), about a hundred times faster and converged to a gradient
    norm below 1e-10 (:func:`ml_cfa_estimates`). Statistics as lavaan's for ``estimator = "ML"``:
    ``T = N F_min``, baseline ``-N log|R|``, CFI, TLI, RMSEA with its 90 % interval
    (:func:`fit_measures`), Bentler's SRMR. With the EM covariance of incomplete data this is
    two-stage ML (Savalei & Bentler 2009), the statistics treating the matrix as ``n`` complete cases.

    Parameters
    ----------
    cov : pandas.DataFrame
        Covariance matrix (or correlation matrix: the fit is scale invariant) of the items,
        labelled rows and columns; other items are ignored.
    n : int
        Cases behind the matrix.
    groups : dict of str to list of str
        Each factor's items.
    negative_variances : bool
        Leave the unique variances unbounded (lavaan's ``bounds = "none"``) instead of bounding them
        at 0 (semopy's bounds, the default here); the two differ only in a Heywood case.

    Returns
    -------
    pandas.DataFrame
        One row: n, chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr, note. With
        ``n`` below the number of items + 2, or a model that cannot be fitted, the statistics are
        missing and ``note`` says why; otherwise ``note`` is ``None``.

    References
    ----------
    Joreskog (1969); Bollen (1989), ch. 4; Rosseel (2012) for lavaan's conventions; Hu & Bentler
    (1999). Full references: ``docs/references.md``.

    Examples
    --------
    The lavaan tutorial's three-factor model of Holzinger & Swineford (1939): chi-square 85.306 on
    24 df, CFI .931, TLI .896, RMSEA .092 (.071-.114), SRMR .065.

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    >>> fit = ml_cfa(hs.cov(ddof=0), len(hs), groups).iloc[0]
    >>> [round(float(fit[k]), 3) for k in ("chi2", "df", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high")]
    [85.306, 24.0, 0.931, 0.896, 0.092, 0.071, 0.114]
    >>> round(float(fit["srmr"]), 3), fit["note"]
    (0.065, None)
    """
    cols = [c for cs in groups.values() for c in cs]
    note = too_few(n, len(cols) + 2, f"a {len(groups)}-factor model of {len(cols)} items")
    if note is None:
        note = _problem(cov, groups)
    if note is not None:
        return _empty(n, note)
    est = ml_cfa_estimates(cov, groups, negative_variances=negative_variances)
    p = len(cols)
    t, df = n * est.fmin, p * (p + 1) // 2 - est.n_params
    t0, df0 = baseline(est.correlations.to_numpy(), n)
    resid = est.correlations.to_numpy() - est.implied_correlations.to_numpy()
    srmr = float(np.sqrt(np.mean(resid[np.tril_indices(p)] ** 2)))
    return pd.DataFrame([{"n": n, "chi2": t, "df": df, **fit_measures(t, df, t0, df0, n), "srmr": srmr,
                          "note": None}])[FIT_COLUMNS]
