"""Reliability, validity and aggregation statistics of the readiness instrument.

One public function per statistic; each takes a DataFrame (item scores, one row per agency,
columns item ids) and returns a tidy DataFrame, in the manner of pingouin. ``items`` is the
codebook's :meth:`~analysis.codebook.Codebook.items_table` (only its ``item`` and ``pillar``
columns are used, so any table with those two columns will do).

Missing answers: every statistic uses listwise complete cases over the items it needs (per
pillar for alpha, omega and item analysis; over all items for the whole-instrument analyses)
and reports the ``n`` it used. With too few cases for a statistic (an interim export, a handful
of provinces) its table says so in a ``note`` column instead of failing: a factor model of k
items needs more than k complete cases (a positive definite correlation matrix); a between-
province statistic needs two provinces.

Same numbers on every CPU: iterative fits are converged far below the precision the tables are
stored at (:data:`DECIMALS`), with analytic gradients where the library would difference
numerically, so that last-bit differences between BLAS kernels cannot reach a stored digit.

Thresholds (see ``DOMAIN.md``): alpha and omega >= .70 (Nunnally 1978); corrected item-total
>= .30 (Nunnally & Bernstein 1994); KMO labels of Kaiser (1974); CFI/TLI >= .95, RMSEA <= .06,
SRMR <= .08 (Hu & Bentler 1999); ICC(2) and r_wg >= .70 for aggregating agencies to provinces.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import semopy
from factor_analyzer import FactorAnalyzer, Rotator
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from factor_analyzer.utils import smc
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from analysis.codebook import Codebook
from analysis.index import canonical_order
from analysis.numerics import round_frame
from analysis.safeio import write_json, write_table
from analysis.scoring import score_items

ITEM_TOTAL_THRESHOLD = 0.30
ITEM_TOTAL_SOURCE = "Nunnally & Bernstein 1994; corrected item-total >= .30"
RWG_THRESHOLD = 0.70
#: Kaiser (1974) labels for KMO / MSA, highest lower bound first.
KAISER_LABELS: tuple[tuple[float, str], ...] = (
    (0.90, "marvellous"),
    (0.80, "meritorious"),
    (0.70, "middling"),
    (0.60, "mediocre"),
    (0.50, "miserable"),
    (-np.inf, "unacceptable"),
)


def _pillar_items(scores: pd.DataFrame, items: pd.DataFrame) -> dict[str, list[str]]:
    """Item ids of each pillar (codebook order) that are columns of ``scores``."""
    present = items[items["item"].isin(scores.columns)]
    return {str(p): list(g["item"]) for p, g in present.groupby("pillar", sort=False)}


#: Decimals at which the reliability tables are stored. Four: sampling error is in the second
#: decimal for every coefficient here, and the fits are converged to about 1e-8, so a stored
#: digit never depends on the machine.
DECIMALS = 4


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


def _too_few(n: int, need: int, what: str) -> str | None:
    """The note for a statistic that cannot be computed from ``n`` cases (``None`` when it can)."""
    return None if n >= need else f"not computed: {n} complete cases, {what} needs at least {need}"


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    cov = np.cov(x, rowvar=False)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


# --------------------------------------------------------------------------- Cronbach's alpha


def cronbach_alpha(scores: pd.DataFrame, items: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha of each pillar's unweighted item sum, with Feldt's confidence interval.

    Listwise complete cases per pillar. Columns: pillar, n, k, alpha, ci_low, ci_high.

    The Feldt (1965) interval is computed here from the F distribution with ``n - 1`` and
    ``(n - 1)(k - 1)`` degrees of freedom because ``pingouin.cronbach_alpha`` rounds its
    interval to 3 decimals (the point estimate is the same as pingouin's).
    """
    tail = (1 - confidence) / 2
    rows = []
    for pillar, cols in _pillar_items(scores, items).items():
        x = scores[cols].dropna().to_numpy(float)
        n, k = x.shape
        note = _too_few(n, 3, "alpha")
        a = _alpha(x) if note is None else np.nan
        df1, df2 = n - 1, (n - 1) * (k - 1)
        rows.append({
            "pillar": pillar, "n": n, "k": k, "alpha": a,
            "ci_low": 1 - (1 - a) * stats.f.isf(tail, df1, df2) if note is None else np.nan,
            "ci_high": 1 - (1 - a) * stats.f.ppf(tail, df1, df2) if note is None else np.nan,
            "note": note,
        })
    return pd.DataFrame(rows, columns=["pillar", "n", "k", "alpha", "ci_low", "ci_high", "note"])


# --------------------------------------------------------------------------- McDonald's omega


def _one_factor_ml(corr: np.ndarray, tol: float = 1e-12, max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
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


def _omega_from_fit(lam: np.ndarray, psi: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Omega total on the covariance scale from standardised loadings and the items' SDs."""
    common = (lam * sd).sum(-1) ** 2
    return common / (common + (psi * sd**2).sum(-1))


def _omega_of_samples(x: np.ndarray) -> np.ndarray:
    """Omega total of each sample in a stack (..., n, p) of data sets (NaN where an item is constant)."""
    xc = x - x.mean(-2, keepdims=True)
    cov = np.einsum("...ni,...nj->...ij", xc, xc) / (x.shape[-2] - 1)
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    p = x.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (cov / sd[..., :, None] / sd[..., None, :]).reshape(-1, p, p)
    sd = sd.reshape(-1, p)
    ok = np.isfinite(corr).all(axis=(-2, -1))
    out = np.full(len(corr), np.nan)
    if ok.any():
        lam, psi = _one_factor_ml(corr[ok])
        out[ok] = _omega_from_fit(lam, psi, sd[ok])
    return out.reshape(x.shape[:-2])


def omega(scores: pd.DataFrame, items: pd.DataFrame, n_boot: int = 300, seed: int = 0,
          confidence: float = 0.95) -> pd.DataFrame:
    """McDonald's omega total of each pillar's unweighted item sum, with a BCa bootstrap interval.

    One-factor ML model (:func:`ml_loadings`, the optimum of ``FactorAnalyzer(n_factors=1,
    method="ml")``) of the pillar's items, listwise complete cases. Omega is on the **covariance scale**:
    ``(sum l_i)^2 / ((sum l_i)^2 + sum psi_i)`` with unstandardised loadings ``l_i = lambda_i
    sd_i`` and uniquenesses ``psi_i sd_i^2``, i.e. the reliability of the raw sum of 0-100 item
    scores that the index uses (not of the sum of standardised items).

    The BCa interval (``scipy.stats.bootstrap`` over resampled agencies) refits the model with a
    batched ML routine (:func:`_one_factor_ml`) that reaches the same optimum as factor_analyzer.
    Columns: pillar, n, k, omega_total, ci_low, ci_high, scale.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for pillar, cols in _pillar_items(scores, items).items():
        x = scores[cols].dropna().to_numpy(float)
        n, k = x.shape
        note = _too_few(n, k + 2, "a one-factor model of the pillar")
        if note is not None:
            rows.append({"pillar": pillar, "n": n, "k": k, "omega_total": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "scale": "covariance", "note": note})
            continue
        sd = x.std(axis=0, ddof=1)
        lam = ml_loadings(np.corrcoef(x, rowvar=False), 1)[:, 0]
        point = float(_omega_from_fit(lam, 1 - lam**2, sd))
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            # few cases: some resamples have a constant item (no correlation), giving NaN draws and
            # possibly no interval; scipy warns about that, the table shows it as missing bounds
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            boot = stats.bootstrap((np.arange(n),), lambda idx, axis=-1, x=x: _omega_of_samples(x[idx]),
                                   n_resamples=n_boot, vectorized=True, batch=100, method="BCa",
                                   confidence_level=confidence, rng=rng)
        low, high = boot.confidence_interval.low, boot.confidence_interval.high
        rows.append({"pillar": pillar, "n": n, "k": k, "omega_total": point, "ci_low": low, "ci_high": high,
                     "scale": "covariance",
                     "note": None if np.isfinite(low) and np.isfinite(high) else
                     f"no interval: with {n} complete cases many resamples leave an item constant"})
    return pd.DataFrame(rows)


def _efa_fit(x: np.ndarray, n_factors: int, rotation: str) -> tuple[np.ndarray, np.ndarray]:
    """Oblique ML EFA: pattern loadings and factor correlations, factors ordered by variance.

    :func:`ml_loadings`, then factor_analyzer's ``Rotator`` with a tolerance of 1e-10 (its
    default 1e-5 stops the varimax step of promax where last-bit noise decides), then as in
    ``FactorAnalyzer.fit``: columns signed to a positive sum and ordered by their sum of squared
    loadings, the factor correlations permuted with them.
    """
    lam = ml_loadings(np.corrcoef(x, rowvar=False), n_factors)
    rotator = Rotator(method=rotation, max_iter=10000, tol=1e-10)
    pattern = rotator.fit_transform(lam)
    phi = rotator.phi_ if rotator.phi_ is not None else np.eye(n_factors)
    signs = np.sign(pattern.sum(axis=0))
    signs[signs == 0] = 1
    pattern, phi = pattern * signs, phi * np.outer(signs, signs)
    order = np.argsort(-(pattern**2).sum(axis=0), kind="stable")
    return pattern[:, order], phi[np.ix_(order, order)]


def omega_hierarchical(scores: pd.DataFrame, items: pd.DataFrame, rotation: str = "promax") -> pd.DataFrame:
    """Omega hierarchical and omega total of the whole instrument by Schmid-Leiman.

    Hand-written (no Python library has it; psych::omega in R is the reference): an oblique ML
    EFA with one factor per pillar, a one-factor ML model of the factor correlations (the
    second-order general factor with loadings ``g``; fitted with :func:`_one_factor_ml`, as
    factor_analyzer is slow to converge on a small correlation matrix), then general loadings ``L g`` and group
    loadings ``L diag(sqrt(1 - g^2))``. As in psych::omega (Revelle & Zinbarg 2009) the scale
    is standardised (correlations) and the total variance is the sum of the observed
    correlation matrix: ``omega_h = (sum general)^2 / Vt``, ``omega_total = 1 - sum(u^2) / Vt``.
    Columns: n, k, n_group_factors, omega_h, omega_total, ecv (explained common variance of
    the general factor).
    """
    cols = [c for c in items["item"] if c in scores.columns]
    x = scores[cols].dropna().to_numpy(float)
    n_groups = len(_pillar_items(scores, items))
    note = _too_few(x.shape[0], x.shape[1] + 2, f"a {n_groups}-factor model of {x.shape[1]} items")
    if note is not None:
        return pd.DataFrame([{"n": x.shape[0], "k": x.shape[1], "n_group_factors": n_groups, "omega_h": np.nan,
                              "omega_total": np.nan, "ecv": np.nan, "note": note}])
    pattern, phi = _efa_fit(x, n_groups, rotation)
    g = _one_factor_ml(phi)[0]
    general = pattern @ g
    group = pattern * np.sqrt(np.clip(1 - g**2, 0, None))
    u2 = 1 - general**2 - (group**2).sum(axis=1)
    vt = np.corrcoef(x, rowvar=False).sum()
    return pd.DataFrame([{
        "n": x.shape[0], "k": x.shape[1], "n_group_factors": n_groups,
        "omega_h": general.sum() ** 2 / vt,
        "omega_total": 1 - u2.sum() / vt,
        "ecv": (general**2).sum() / ((general**2).sum() + (group**2).sum()), "note": None,
    }])


# --------------------------------------------------------------------------- item analysis


def item_analysis(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-total correlation and alpha-if-deleted of every item, within its pillar.

    The corrected item-total is the correlation of the item with the sum of the *other* items
    of its pillar (listwise complete cases per pillar, as in :func:`cronbach_alpha`).
    Columns: item, pillar, n, item_total_r, alpha_if_deleted, flag_low_item_total,
    threshold_source.
    """
    rows = []
    for pillar, cols in _pillar_items(scores, items).items():
        x = scores[cols].dropna().to_numpy(float)
        total = x.sum(axis=1)
        enough = x.shape[0] >= 3
        for j, item in enumerate(cols):
            rest = np.delete(x, j, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):  # a constant item has no correlation (NaN)
                r = float(np.corrcoef(x[:, j], total - x[:, j])[0, 1]) if enough else np.nan
            rows.append({
                "item": item, "pillar": pillar, "n": x.shape[0], "item_total_r": r,
                "alpha_if_deleted": _alpha(rest) if rest.shape[1] > 1 and enough else np.nan,
                "flag_low_item_total": bool(r < ITEM_TOTAL_THRESHOLD),
                "threshold_source": ITEM_TOTAL_SOURCE,
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- KMO and Bartlett


def kaiser_label(msa: float) -> str:
    """Kaiser's (1974) verbal label of a KMO / MSA value."""
    return next(label for bound, label in KAISER_LABELS if msa >= bound)


def kmo_bartlett(scores: pd.DataFrame) -> pd.DataFrame:
    """Kaiser-Meyer-Olkin sampling adequacy (overall and per item) and Bartlett's sphericity test.

    Listwise complete cases over all columns of ``scores``. The first row (``variable ==
    "overall"``) carries the overall KMO and Bartlett's chi-square, df and p; the item rows carry
    each item's MSA (their Bartlett columns are empty). Columns: variable, n, msa, kaiser_label,
    bartlett_chi2, bartlett_df, bartlett_p.
    """
    x = scores.dropna()
    k = x.shape[1]
    note = _too_few(len(x), k + 2, f"KMO and Bartlett's test of {k} items")
    if note is not None:
        return pd.DataFrame([{"variable": "overall", "n": len(x), "msa": np.nan, "kaiser_label": None,
                              "bartlett_chi2": np.nan, "bartlett_df": k * (k - 1) // 2, "bartlett_p": np.nan,
                              "note": note}])
    msa_items, msa_total = calculate_kmo(x.to_numpy(float))
    chi2, p = calculate_bartlett_sphericity(x.to_numpy(float))
    overall = {"variable": "overall", "n": len(x), "msa": float(msa_total),
               "kaiser_label": kaiser_label(msa_total), "bartlett_chi2": float(chi2),
               "bartlett_df": k * (k - 1) // 2, "bartlett_p": float(p), "note": None}
    per_item = pd.DataFrame({"variable": x.columns, "n": len(x), "msa": msa_items,
                             "kaiser_label": [kaiser_label(m) for m in msa_items]})
    return pd.concat([pd.DataFrame([overall]), per_item], ignore_index=True)


# --------------------------------------------------------------------------- EFA


@dataclass
class EFAResult:
    """Tables of an exploratory factor analysis."""

    #: One row per item: item, pillar, F1..Fm (pattern loadings), communality, primary_factor.
    loadings: pd.DataFrame
    #: One row per factor: factor, ss_loadings, prop_var, cum_var.
    variance: pd.DataFrame
    #: Factor correlation matrix (factors x factors).
    factor_correlations: pd.DataFrame
    #: Complete cases used.
    n: int
    #: Why the model was not fitted (too few complete cases), or ``None``.
    note: str | None = None


def efa(scores: pd.DataFrame, items: pd.DataFrame, n_factors: int = 6, rotation: str = "promax") -> EFAResult:
    """Exploratory ML factor analysis with an oblique rotation (promax or oblimin).

    Listwise complete cases over the codebook's items. Factors are ordered by the variance
    their pattern loadings explain; ``primary_factor`` is each item's largest absolute loading,
    so that it can be compared with the item's pillar. Variance explained is from the pattern
    loadings (under an oblique rotation the factors overlap, so it does not add up exactly).
    Too few complete cases: the tables keep their shape, values missing, and ``note`` says why.
    """
    cols = [c for c in items["item"] if c in scores.columns]
    x = scores[cols].dropna().to_numpy(float)
    note = _too_few(len(x), len(cols) + 2, f"a {n_factors}-factor model of {len(cols)} items")
    if note is None:
        pattern, phi = _efa_fit(x, n_factors, rotation)
    else:
        pattern, phi = np.full((len(cols), n_factors), np.nan), np.full((n_factors, n_factors), np.nan)
    names = [f"F{i + 1}" for i in range(n_factors)]
    pillar = items.set_index("item")["pillar"]
    loadings = pd.DataFrame(pattern, columns=names)
    loadings.insert(0, "item", cols)
    loadings.insert(1, "pillar", pillar.loc[cols].to_numpy())
    loadings["communality"] = np.einsum("if,fg,ig->i", pattern, phi, pattern)
    loadings["primary_factor"] = [names[i] if note is None else None for i in np.abs(pattern).argmax(axis=1)]
    ss = (pattern**2).sum(axis=0)
    variance = pd.DataFrame({"factor": names, "ss_loadings": ss, "prop_var": ss / len(cols),
                             "cum_var": np.cumsum(ss) / len(cols), "n": len(x), "note": note})
    return EFAResult(loadings, variance, pd.DataFrame(phi, index=names, columns=names), len(x), note)


def parallel_analysis(scores: pd.DataFrame, n_iter: int = 100, seed: int = 0,
                      quantile: float = 0.95) -> pd.DataFrame:
    """Horn's (1965) parallel analysis of the correlation matrix's eigenvalues.

    Observed eigenvalues against those of ``n_iter`` normal data sets of the same size
    (listwise complete cases); a component is retained while its eigenvalue exceeds the
    random ``quantile`` (Glorfeld 1995 uses the 95th percentile). Columns: component,
    eigenvalue, random_mean, random_quantile, retain.
    """
    x = scores.dropna().to_numpy(float)
    n, p = x.shape
    observed = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1]
    sims = np.random.default_rng(seed).standard_normal((n_iter, n, p))
    sims = (sims - sims.mean(1, keepdims=True)) / sims.std(1, ddof=1, keepdims=True)
    random_eig = np.linalg.eigvalsh(np.einsum("bni,bnj->bij", sims, sims) / (n - 1))[:, ::-1]
    threshold = np.quantile(random_eig, quantile, axis=0)
    return pd.DataFrame({"component": np.arange(1, p + 1), "eigenvalue": observed,
                         "random_mean": random_eig.mean(axis=0), "random_quantile": threshold,
                         "retain": np.cumprod(observed > threshold).astype(bool)})


# --------------------------------------------------------------------------- CFA


def _rmsea_ci(chi2: float, df: int, n: int, confidence: float = 0.90) -> tuple[float, float]:
    """Noncentral chi-square interval of the RMSEA, as lavaan computes it.

    lambda_low solves ncx2.cdf(chi2, df, lambda) = (1 + confidence) / 2 and lambda_high solves
    it for (1 - confidence) / 2; RMSEA = sqrt(lambda / (df N)) with N (not N - 1), lavaan's
    convention for the default normal likelihood (its chi-square is N F_ML).
    """
    def solve(p: float) -> float:
        if stats.chi2.cdf(chi2, df) < p:  # even lambda = 0 puts chi2 below the p quantile
            return 0.0
        hi = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, hi) > p:
            hi *= 2
        return optimize.brentq(lambda lam: stats.ncx2.cdf(chi2, df, lam) - p, 0.0, hi, xtol=1e-10)

    return (float(np.sqrt(solve((1 + confidence) / 2) / (df * n))),
            float(np.sqrt(solve((1 - confidence) / 2) / (df * n))))


def cfa_fit(data: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Fit a simple-structure CFA (each factor measured by its own items) with semopy.

    ``groups`` maps factor names to their indicator columns of ``data``; listwise complete
    cases. Names are replaced by ``f0, f1...`` and ``y0, y1...`` for semopy's model syntax.
    chi-square, df, CFI and TLI come from ``semopy.calc_stats`` (same as lavaan's). Computed
    here, because semopy lacks them or uses another convention:

    - RMSEA = sqrt(max(0, (chi2 - df) / (df N))) and its 90 % interval (:func:`_rmsea_ci`);
    - SRMR as lavaan's default (Bentler): residuals ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)``,
      root mean square over the lower triangle including the diagonal.

    Columns: n, chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr.
    """
    cols = [c for cs in groups.values() for c in cs]
    x = data[cols].dropna()
    note = _too_few(len(x), len(cols) + 2, f"a {len(groups)}-factor model of {len(cols)} items")
    if note is not None:
        return pd.DataFrame([{"n": len(x), "chi2": np.nan, "df": np.nan, "p": np.nan, "cfi": np.nan, "tli": np.nan,
                              "rmsea": np.nan, "rmsea_ci_low": np.nan, "rmsea_ci_high": np.nan, "srmr": np.nan,
                              "note": note}])
    rename = {c: f"y{i}" for i, c in enumerate(cols)}
    desc = "\n".join(f"f{j} =~ " + " + ".join(rename[c] for c in cs) for j, cs in enumerate(groups.values()))
    model = semopy.Model(desc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # semopy's default SLSQP tolerance stops far from the ML minimum on a model this size
        # (chi-square 2623 vs 2602 on the sample) and where it stops depends on the process's
        # floating-point history; a tight tolerance converges to the same minimum every time.
        model.fit(x.rename(columns=rename), options={"ftol": 1e-12, "maxiter": 20000})
    fit = semopy.calc_stats(model).iloc[0]
    chi2, df, n = float(fit["chi2"]), int(fit["DoF"]), len(x)
    s = model.mx_cov
    sigma = model.calc_sigma()[0]
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    low, high = _rmsea_ci(chi2, df, n)
    return pd.DataFrame([{
        "n": n, "chi2": chi2, "df": df, "p": float(stats.chi2.sf(chi2, df)),
        "cfi": float(fit["CFI"]), "tli": float(fit["TLI"]),
        "rmsea": float(np.sqrt(max(0.0, (chi2 - df) / (df * n)))),
        "rmsea_ci_low": low, "rmsea_ci_high": high,
        "srmr": float(np.sqrt(np.mean(resid[np.tril_indices_from(resid)] ** 2))), "note": None,
    }])


def cfa(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Fit indices of the confirmatory model in which each pillar is one factor (see :func:`cfa_fit`)."""
    return cfa_fit(scores, _pillar_items(scores, items))


# --------------------------------------------------------------------------- aggregation


def icc(values: pd.Series, groups: pd.Series, confidence: float = 0.95) -> pd.DataFrame:
    """ICC(1) and ICC(2) of a per-agency score grouped by province (one-way random effects).

    ``values`` and ``groups`` are aligned Series (e.g. the agency index and its province);
    rows with a missing value are dropped. With unequal group sizes the group size is
    Bliese's (2000) adjusted ``k0 = (N - sum n_g^2 / N) / (G - 1)``. ICC(1) =
    ``(MSB - MSW) / (MSB + (k0 - 1) MSW)``, ICC(2) = ``(MSB - MSW) / MSB``, with the F-based
    intervals of Shrout & Fleiss (1979) for the one-way model. Hand-written because
    pingouin.intraclass_corr needs a balanced targets x raters design.
    Columns: type, icc, F, df1, df2, p, ci_low, ci_high, n_groups, n, k0.
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
    Columns: group, n, j, mean_var, r_wg_j, flag_low_rwg (< .70).
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
                     "r_wg_j": r, "flag_low_rwg": bool(r < RWG_THRESHOLD)})
    return pd.DataFrame(rows, columns=["group", "n", "j", "mean_var", "r_wg_j", "flag_low_rwg"])


def compare_to_national(agency_scores: pd.Series, groups: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Each province's agencies against the national mean of the other provinces' agencies.

    One-sample t-test of the province's agency scores against the mean of all agencies in the
    *other* provinces (so the province does not pull its own reference), raw p and the
    Benjamini-Hochberg adjusted p over provinces (statsmodels ``multipletests``,
    ``fdr_bh``). ``label`` is above / below when the adjusted p < ``alpha``, otherwise
    "not different"; "not tested" for a province with one agency (no variance to test with) or
    when no other province has data. Columns: group, n, mean, national_mean, diff, t, df, p,
    p_adj, label.
    """
    d = pd.DataFrame({"y": agency_scores, "g": groups}).dropna()
    total, count = d["y"].sum(), len(d)
    rows = []
    for g, y in d.groupby("g", observed=True)["y"]:
        others = count - len(y)
        ref = (total - y.sum()) / others if others else np.nan
        testable = len(y) >= 2 and others > 0 and y.std() > 0
        res = stats.ttest_1samp(y, ref) if testable else None
        rows.append({"group": g, "n": len(y), "mean": y.mean(), "national_mean": ref,
                     "diff": y.mean() - ref, "t": res.statistic if res else np.nan, "df": len(y) - 1,
                     "p": res.pvalue if res else np.nan})
    out = pd.DataFrame(rows, columns=["group", "n", "mean", "national_mean", "diff", "t", "df", "p"])
    tested = out["p"].notna()
    out["p_adj"] = np.nan
    if tested.any():
        out.loc[tested, "p_adj"] = multipletests(out.loc[tested, "p"], alpha=alpha, method="fdr_bh")[1]
    out["label"] = np.where(~tested, "not tested", np.where(out["p_adj"] >= alpha, "not different",
                                                           np.where(out["diff"] > 0, "above", "below")))
    return out


def run_reliability(clean: pd.DataFrame, agencies: pd.DataFrame, codebook: Codebook, out_dir: str | Path, *,
                    n_boot: int = 300, seed: int = 0, with_cfa: bool = True,
                    index_settings: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every reliability table for the clean responses, written to ``out_dir`` (Parquet + CSV).

    ``agencies`` are the published agency scores (``outputs/index/agency_scores``, written by the
    index step with its modelling choices), so that ICC, r_wg and the province tests describe the
    index that is published; ``index_settings`` (the index step's ``index_settings.json``) is
    recorded beside the tables as ``settings.json``. Item-level statistics use the goalpost item
    scores. Tables are stored at :data:`DECIMALS` decimals.
    """
    items = codebook.items_table()
    clean = canonical_order(clean)
    scores = score_items(clean, codebook)
    likert = [it.id for it in codebook.items if it.type == "likert"]
    icc_rows = [pd.concat([icc(agencies[c], agencies["province"]), icc_reml(agencies[c], agencies["province"])])
                .assign(score=c) for c in ["index", *[p.id for p in codebook.pillars]]]
    fa = efa(scores, items)
    tables = {
        "alpha": cronbach_alpha(scores, items),
        "omega": omega(scores, items, n_boot=n_boot, seed=seed),
        "omega_hierarchical": omega_hierarchical(scores, items),
        "item_analysis": item_analysis(scores, items),
        "kmo_bartlett": kmo_bartlett(scores[codebook.item_ids]),
        "efa_loadings": fa.loadings,
        "efa_variance": fa.variance,
        "icc": pd.concat(icc_rows, ignore_index=True),
        "rwg": rwg(clean[likert], clean["province"], 1, 5),
        "province_vs_nation": compare_to_national(agencies["index"], agencies["province"]),
    }
    if with_cfa:
        tables["cfa"] = cfa(scores, items)
    out = Path(out_dir)
    for name, df in tables.items():
        write_table(round_frame(df, DECIMALS), out / name)
    write_json({"index": index_settings, "omega_bootstrap": {"n": n_boot, "seed": seed}, "decimals": DECIMALS},
               out / "settings.json")
    return tables
