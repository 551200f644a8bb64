"""Reliability, validity and aggregation statistics of the readiness instrument.

One public function per statistic; each takes a DataFrame (item scores, one row per agency,
columns item ids) and returns a tidy DataFrame, in the manner of pingouin. ``items`` is the
codebook's :meth:`~analysis.codebook.Codebook.items_table` (only its ``item`` and ``pillar``
columns are used, so any table with those two columns will do).

Missing answers: every statistic uses listwise complete cases over the items it needs (per
pillar for alpha, omega and item analysis; over all items for the whole-instrument analyses)
and reports the ``n`` it used.

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
from factor_analyzer import FactorAnalyzer
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from analysis.codebook import Codebook
from analysis.index import agency_scores, load_choices
from analysis.safeio import write_table
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


def _fa(n_factors: int, rotation: str | None = None, **kwargs: object) -> FactorAnalyzer:
    return FactorAnalyzer(n_factors=n_factors, rotation=rotation, method="ml", **kwargs)


def _fit(fa: FactorAnalyzer, x: np.ndarray) -> FactorAnalyzer:
    # factor_analyzer 0.5.1 calls scikit-learn's check_array with the deprecated
    # force_all_finite keyword; the FutureWarning is noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        return fa.fit(x)


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
        a = _alpha(x)
        df1, df2 = n - 1, (n - 1) * (k - 1)
        rows.append({
            "pillar": pillar, "n": n, "k": k, "alpha": a,
            "ci_low": 1 - (1 - a) * stats.f.isf(tail, df1, df2),
            "ci_high": 1 - (1 - a) * stats.f.ppf(tail, df1, df2),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- McDonald's omega


def _one_factor_ml(corr: np.ndarray, tol: float = 1e-9, max_iter: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """One-factor ML loadings and uniquenesses of a stack of correlation matrices (..., p, p).

    Hand-written because the bootstrap needs hundreds of fits per pillar and
    ``FactorAnalyzer.fit`` costs about 25 ms each; this is the ML fixed point of Joreskog
    (1967): the loadings are ``Psi^1/2 v sqrt(theta - 1)`` with ``(theta, v)`` the leading
    eigenpair of ``Psi^-1/2 R Psi^-1/2``, uniquenesses bounded to [0.005, 1] as in
    factor_analyzer. Batched with ``numpy.linalg.eigh``.
    """
    psi = np.clip(1 / np.diagonal(np.linalg.inv(corr), axis1=-2, axis2=-1), 0.005, 1.0)
    for _ in range(max_iter):
        d = 1 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(corr * d[..., :, None] * d[..., None, :])
        theta, v = vals[..., -1], vecs[..., -1]
        lam = np.sqrt(psi) * v * np.sqrt(np.maximum(theta - 1, 0))[..., None]
        new = np.clip(1 - lam**2, 0.005, 1.0)
        done = np.max(np.abs(new - psi)) < tol
        psi = new
        if done:
            break
    lam = lam * np.sign(lam.sum(-1, keepdims=True))
    return lam, psi


def _omega_from_fit(lam: np.ndarray, psi: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Omega total on the covariance scale from standardised loadings and the items' SDs."""
    common = (lam * sd).sum(-1) ** 2
    return common / (common + (psi * sd**2).sum(-1))


def _omega_of_samples(x: np.ndarray) -> np.ndarray:
    """Omega total of each sample in a stack (..., n, p) of data sets."""
    xc = x - x.mean(-2, keepdims=True)
    cov = np.einsum("...ni,...nj->...ij", xc, xc) / (x.shape[-2] - 1)
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    lam, psi = _one_factor_ml(cov / sd[..., :, None] / sd[..., None, :])
    return _omega_from_fit(lam, psi, sd)


def omega(scores: pd.DataFrame, items: pd.DataFrame, n_boot: int = 300, seed: int = 0,
          confidence: float = 0.95) -> pd.DataFrame:
    """McDonald's omega total of each pillar's unweighted item sum, with a BCa bootstrap interval.

    One-factor ML model (``FactorAnalyzer(n_factors=1, rotation=None, method="ml")``) of the
    pillar's items, listwise complete cases. Omega is on the **covariance scale**:
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
        fa = _fit(_fa(1), x)
        sd = x.std(axis=0, ddof=1)
        point = float(_omega_from_fit(fa.loadings_[:, 0] * np.sign(fa.loadings_.sum()),
                                      fa.get_uniquenesses(), sd))
        boot = stats.bootstrap((np.arange(n),), lambda idx, axis=-1, x=x: _omega_of_samples(x[idx]),
                               n_resamples=n_boot, vectorized=True, batch=100, method="BCa",
                               confidence_level=confidence, rng=rng)
        rows.append({"pillar": pillar, "n": n, "k": k, "omega_total": point,
                     "ci_low": boot.confidence_interval.low, "ci_high": boot.confidence_interval.high,
                     "scale": "covariance"})
    return pd.DataFrame(rows)


def _efa_fit(x: np.ndarray, n_factors: int, rotation: str) -> tuple[np.ndarray, np.ndarray]:
    """Oblique ML EFA: pattern loadings and the factor correlations in the same column order.

    factor_analyzer 0.5.1 re-sorts ``loadings_`` by explained variance after rotating but
    leaves ``phi_`` in the pre-sort order, so ``phi_`` can describe different factors than the
    columns of ``loadings_``. The factor correlations are therefore recovered from the
    (re-sorted) structure matrix: ``structure = loadings @ phi``.
    """
    fa = _fit(_fa(n_factors, rotation), x)
    pattern = fa.loadings_
    phi = np.linalg.lstsq(pattern, fa.structure_, rcond=None)[0]
    return pattern, (phi + phi.T) / 2


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
        "ecv": (general**2).sum() / ((general**2).sum() + (group**2).sum()),
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
        for j, item in enumerate(cols):
            rest = np.delete(x, j, axis=1)
            r = float(np.corrcoef(x[:, j], total - x[:, j])[0, 1])
            rows.append({
                "item": item, "pillar": pillar, "n": x.shape[0], "item_total_r": r,
                "alpha_if_deleted": _alpha(rest) if rest.shape[1] > 1 else np.nan,
                "flag_low_item_total": r < ITEM_TOTAL_THRESHOLD,
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
    msa_items, msa_total = calculate_kmo(x.to_numpy(float))
    chi2, p = calculate_bartlett_sphericity(x.to_numpy(float))
    k = x.shape[1]
    overall = {"variable": "overall", "n": len(x), "msa": float(msa_total),
               "kaiser_label": kaiser_label(msa_total), "bartlett_chi2": float(chi2),
               "bartlett_df": k * (k - 1) // 2, "bartlett_p": float(p)}
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


def efa(scores: pd.DataFrame, items: pd.DataFrame, n_factors: int = 6, rotation: str = "promax") -> EFAResult:
    """Exploratory ML factor analysis with an oblique rotation (promax or oblimin).

    Listwise complete cases over the codebook's items. Factors are ordered by the variance
    their pattern loadings explain; ``primary_factor`` is each item's largest absolute loading,
    so that it can be compared with the item's pillar. Variance explained is from the pattern
    loadings (under an oblique rotation the factors overlap, so it does not add up exactly).
    """
    cols = [c for c in items["item"] if c in scores.columns]
    x = scores[cols].dropna().to_numpy(float)
    pattern, phi = _efa_fit(x, n_factors, rotation)
    names = [f"F{i + 1}" for i in range(n_factors)]
    pillar = items.set_index("item")["pillar"]
    loadings = pd.DataFrame(pattern, columns=names)
    loadings.insert(0, "item", cols)
    loadings.insert(1, "pillar", pillar.loc[cols].to_numpy())
    loadings["communality"] = np.einsum("if,fg,ig->i", pattern, phi, pattern)
    loadings["primary_factor"] = [names[i] for i in np.abs(pattern).argmax(axis=1)]
    ss = (pattern**2).sum(axis=0)
    variance = pd.DataFrame({"factor": names, "ss_loadings": ss, "prop_var": ss / len(cols),
                             "cum_var": np.cumsum(ss) / len(cols)})
    return EFAResult(loadings, variance, pd.DataFrame(phi, index=names, columns=names), len(x))


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
        "srmr": float(np.sqrt(np.mean(resid[np.tril_indices_from(resid)] ** 2))),
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


def icc_reml(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """ICC(1) from the variance components of a random-intercept model fitted by REML (statsmodels).

    The multilevel cross-check of :func:`icc`'s ANOVA estimate: ``tau2 / (tau2 + sigma2)`` with
    ``tau2`` the between-province and ``sigma2`` the within-province variance of
    ``y ~ 1 + (1 | province)``. With equal group sizes (and MSB > MSW) the two estimates are the
    same number; with unequal sizes they differ slightly, and a large gap would point at a few
    provinces with very few agencies. Columns: type, icc, tau2, sigma2, n_groups, n, converged.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    d = pd.DataFrame({"y": values, "g": groups}).dropna()
    model = MixedLM(d["y"].to_numpy(float), np.ones((len(d), 1)), groups=d["g"].to_numpy())
    # statsmodels' optimisers disagree on this survey's scores: lbfgs stops at tau2 = 0 with an
    # infinite log-likelihood yet "converged"; bfgs stops short (P1: ICC .21 unconverged, where
    # the ANOVA gives .13). Each optimiser is tried; the finite REML maximum is kept.
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and boundary warnings: judged by the likelihood below
        for method in ("nm", "powell", "lbfgs", "bfgs"):
            try:
                fit = model.fit(reml=True, method=method)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.llf):
                fits.append(fit)
    fit = max(fits, key=lambda f: f.llf)
    tau2, sigma2 = float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale)
    return pd.DataFrame([{"type": "ICC1_REML", "icc": tau2 / (tau2 + sigma2), "tau2": tau2, "sigma2": sigma2,
                          "n_groups": d["g"].nunique(), "n": len(d), "converged": bool(fit.converged)}])


def rwg(item_values: pd.DataFrame, groups: pd.Series, scale_min: int, scale_max: int) -> pd.DataFrame:
    """Within-group agreement r_wg(J) of James, Demaree & Wolf (1984) over J parallel items.

    ``item_values`` holds answers on an integer A-point scale (A = scale_max - scale_min + 1),
    one row per agency; ``groups`` its province. The null is the uniform ("rectangular")
    distribution, variance ``(A^2 - 1) / 12``. For this survey pass the likert items' answer
    codes (1-5, A = 5): the 0-100 item scores of the other types are not on a common
    A-point scale, so no uniform null variance fits them (a likert score s maps back to the
    code ``1 + s / 25``). Item variances use the group's non-missing answers (ddof = 1).
    When the mean observed variance exceeds the null variance r_wg(J) is set to 0 (James et
    al. 1984; Lindell & Brandt 1997), instead of the formula's out-of-range value.
    Columns: group, n, j, mean_var, r_wg_j, flag_low_rwg (< .70).
    """
    a = scale_max - scale_min + 1
    null_var = (a**2 - 1) / 12
    rows = []
    for g, block in item_values.groupby(groups, observed=True):
        var = block.var(ddof=1).dropna()
        j = len(var)
        ratio = float(var.mean()) / null_var if j else np.nan
        r = j * (1 - ratio) / (j * (1 - ratio) + ratio) if ratio <= 1 else 0.0
        rows.append({"group": g, "n": len(block), "j": j, "mean_var": ratio * null_var,
                     "r_wg_j": r, "flag_low_rwg": bool(r < RWG_THRESHOLD)})
    return pd.DataFrame(rows)


def compare_to_national(agency_scores: pd.Series, groups: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Each province's agencies against the national mean of the other provinces' agencies.

    One-sample t-test of the province's agency scores against the mean of all agencies in the
    *other* provinces (so the province does not pull its own reference), raw p and the
    Benjamini-Hochberg adjusted p over provinces (statsmodels ``multipletests``,
    ``fdr_bh``). ``label`` is above / below when the adjusted p < ``alpha``, otherwise
    "not different". Columns: group, n, mean, national_mean, diff, t, df, p, p_adj, label.
    """
    d = pd.DataFrame({"y": agency_scores, "g": groups}).dropna()
    total, count = d["y"].sum(), len(d)
    rows = []
    for g, y in d.groupby("g", observed=True)["y"]:
        ref = (total - y.sum()) / (count - len(y))
        res = stats.ttest_1samp(y, ref)
        rows.append({"group": g, "n": len(y), "mean": y.mean(), "national_mean": ref,
                     "diff": y.mean() - ref, "t": res.statistic, "df": len(y) - 1, "p": res.pvalue})
    out = pd.DataFrame(rows)
    out["p_adj"] = multipletests(out["p"], alpha=alpha, method="fdr_bh")[1]
    out["label"] = np.where(out["p_adj"] >= alpha, "not different",
                            np.where(out["diff"] > 0, "above", "below"))
    return out


def run_reliability(clean: pd.DataFrame, codebook: Codebook, out_dir: str | Path, *, n_boot: int = 300,
                    seed: int = 0, with_cfa: bool = True) -> dict[str, pd.DataFrame]:
    """Every reliability table for the clean responses, written to ``out_dir`` (Parquet + CSV).

    Agency index and pillar scores use the default choices of ``params/index.yaml``.
    """
    items = codebook.items_table()
    scores = score_items(clean, codebook)
    agencies = agency_scores(clean, codebook, load_choices())
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
        write_table(df.round(6), out / name)
    return tables
