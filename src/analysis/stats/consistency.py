"""Internal consistency of each pillar: Cronbach's alpha, McDonald's omega, item analysis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats.common import pillar_items, too_few
from analysis.stats.factor import ml_loadings, one_factor_ml
from analysis.stats.thresholds import threshold


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    cov = np.cov(x, rowvar=False)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def cronbach_alpha(scores: pd.DataFrame, items: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha of each pillar's unweighted item sum, with Feldt's confidence interval.

    Listwise complete cases per pillar. Columns: pillar, n, k, alpha, ci_low, ci_high.

    The Feldt (1965) interval is computed here from the F distribution with ``n - 1`` and
    ``(n - 1)(k - 1)`` degrees of freedom because ``pingouin.cronbach_alpha`` rounds its
    interval to 3 decimals (the point estimate is the same as pingouin's).

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (only ``item`` and ``pillar`` are used).
    confidence : float
        Level of the Feldt interval.

    Returns
    -------
    pandas.DataFrame
        One row per pillar: pillar, n, k, alpha, ci_low, ci_high, note.

    References
    ----------
    Cronbach (1951); Feldt (1965); Nunnally (1978). Full references: ``docs/references.md``.

    Examples
    --------
    pingouin's documented example: alpha .5917, Feldt 95 % interval .195 to .840.

    >>> import pingouin as pg
    >>> wide = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    >>> out = cronbach_alpha(wide, pd.DataFrame({"item": wide.columns, "pillar": "all"}))
    >>> out[["n", "k", "alpha", "ci_low", "ci_high"]].round(3).iloc[0].tolist()
    [15.0, 10.0, 0.592, 0.195, 0.84]
    """
    tail = (1 - confidence) / 2
    rows = []
    for pillar, cols in pillar_items(scores, items).items():
        x = scores[cols].dropna().to_numpy(float)
        n, k = x.shape
        note = too_few(n, 3, "alpha")
        a = _alpha(x) if note is None else np.nan
        df1, df2 = n - 1, (n - 1) * (k - 1)
        rows.append({
            "pillar": pillar, "n": n, "k": k, "alpha": a,
            "ci_low": 1 - (1 - a) * stats.f.isf(tail, df1, df2) if note is None else np.nan,
            "ci_high": 1 - (1 - a) * stats.f.ppf(tail, df1, df2) if note is None else np.nan,
            "note": note,
        })
    return pd.DataFrame(rows, columns=["pillar", "n", "k", "alpha", "ci_low", "ci_high", "note"])


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
        lam, psi = one_factor_ml(corr[ok])
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
    batched ML routine (:func:`one_factor_ml`) that reaches the same optimum as factor_analyzer.
    Columns: pillar, n, k, omega_total, ci_low, ci_high, scale.

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (only ``item`` and ``pillar`` are used).
    n_boot : int
        Bootstrap resamples of the BCa interval.
    seed : int
        Seed of the resamples.
    confidence : float
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per pillar: pillar, n, k, omega_total, ci_low, ci_high, scale, note.

    References
    ----------
    McDonald (1999); Flora (2020); Efron (1987). Full references: ``docs/references.md``.

    Examples
    --------
    Congeneric data with loadings .8, .7, .6, .5 (unit variances): the population omega is
    2.6^2 / (2.6^2 + 2.26) = .749.

    >>> rng = np.random.default_rng(1)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> x = pd.DataFrame(rng.standard_normal((2000, 1)) * lam + rng.standard_normal((2000, 4)) * np.sqrt(1 - lam**2),
    ...                  columns=list("abcd"))
    >>> out = omega(x, pd.DataFrame({"item": list("abcd"), "pillar": "P"}), n_boot=200, seed=1)
    >>> out[["omega_total", "ci_low", "ci_high"]].round(2).iloc[0].tolist()
    [0.75, 0.73, 0.77]
    """
    rng = np.random.default_rng(seed)
    rows = []
    for pillar, cols in pillar_items(scores, items).items():
        x = scores[cols].dropna().to_numpy(float)
        n, k = x.shape
        note = too_few(n, k + 2, "a one-factor model of the pillar")
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


def item_analysis(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-total correlation and alpha-if-deleted of every item, within its pillar.

    The corrected item-total is the correlation of the item with the sum of the *other* items
    of its pillar (listwise complete cases per pillar, as in :func:`cronbach_alpha`).
    Columns: item, pillar, n, item_total_r, alpha_if_deleted, flag_low_item_total,
    threshold_source.

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (only ``item`` and ``pillar`` are used).

    Returns
    -------
    pandas.DataFrame
        One row per item: item, pillar, n, item_total_r, alpha_if_deleted, flag_low_item_total,
        threshold_source.

    References
    ----------
    Nunnally & Bernstein (1994). Full references: ``docs/references.md``.
    Examples
    --------
    Four items of one factor and one item of noise: only the noise item is flagged.

    >>> rng = np.random.default_rng(2)
    >>> f = rng.standard_normal((500, 1))
    >>> x = pd.DataFrame(np.hstack([f * 0.8 + rng.standard_normal((500, 4)) * 0.6, rng.standard_normal((500, 1))]),
    ...                  columns=[f"i{j}" for j in range(5)])
    >>> item_analysis(x, pd.DataFrame({"item": x.columns, "pillar": "P"}))["flag_low_item_total"].tolist()
    [False, False, False, False, True]
    """
    rule = threshold("item_total")
    rows = []
    for pillar, cols in pillar_items(scores, items).items():
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
                "flag_low_item_total": rule.meets(r) is False,
                "threshold_source": f"{rule.source}; corrected item-total {rule.rule}",
            })
    return pd.DataFrame(rows)
