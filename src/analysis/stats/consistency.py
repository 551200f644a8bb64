"""Internal consistency of each pillar: Cronbach's alpha, McDonald's omega, item analysis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats.common import pillar_items, too_few
from analysis.stats.correlations import ItemCorrelations
from analysis.stats.factor import one_factor_ml
from analysis.stats.missing import pairwise_cov
from analysis.stats.thresholds import threshold


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    cov = np.cov(x, rowvar=False)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def _weights(items: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Each item's weight in its pillar score (indicator weight x item weight), summing to 1."""
    w = items.set_index("item").loc[cols, "weight_in_pillar"].to_numpy(float)
    return w / w.sum()


def alpha_of_cov(cov: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Coefficient alpha of the composite ``sum_i w_i x_i`` from item covariances (stacks allowed).

    Under essential tau-equivalence every covariance is the true-score variance, estimated by their
    ``w_i w_j``-weighted mean; the composite's true variance is ``(sum w)^2`` times that, so alpha
    ``= W^2 / (W^2 - sum w_i^2) * (1 - sum_i w_i^2 s_ii / s_C^2)`` with ``W = sum w``. Equal weights
    give Cronbach's ``k / (k - 1) * (1 - trace / sum)``.

    >>> cov = np.array([[4.0, 2, 1], [2, 3, 1], [1, 1, 2]])
    >>> float(alpha_of_cov(cov).round(6)), float(alpha_of_cov(cov, np.ones(3)).round(6))
    (0.705882, 0.705882)
    """
    k = cov.shape[-1]
    w = np.ones(k) if w is None else np.asarray(w, float)
    total = np.einsum("i,...ij,j->...", w, cov, w)
    diag = np.einsum("i,...ii,i->...", w, cov, w)
    big_w = w.sum()
    return big_w**2 / (big_w**2 - np.sum(w * w)) * (1 - diag / total)


def cronbach_alpha(scores: pd.DataFrame, items: pd.DataFrame, confidence: float = 0.95,
                   corr: ItemCorrelations | None = None) -> pd.DataFrame:
    """Cronbach's alpha of each pillar, with Feldt's interval; of the published weighted composite; ordinal.

    - ``alpha``: the unweighted item sum, from pairwise-complete covariances (every agency that
      answered at least one item counts; ``n``), with the Feldt (1965) interval on the smallest
      pairwise n (``n_min``, conservative). Computed here from the F distribution because
      ``pingouin.cronbach_alpha`` rounds its interval to 3 decimals.
    - ``alpha_weighted``: the pillar score as published, the codebook-weighted item composite
      (:func:`alpha_of_cov`).
    - ``alpha_ordinal``: standardised alpha of the polychoric correlations (Zumbo, Gadermann &
      Zeisser 2007), when ``corr`` (:func:`analysis.stats.correlations.item_correlations`) is given.

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (``item``, ``pillar``, ``weight_in_pillar`` are used).
    confidence : float
        Level of the Feldt interval.
    corr : ItemCorrelations, optional
        Heterogeneous correlations of the items, for the ordinal alpha.

    Returns
    -------
    pandas.DataFrame
        One row per pillar: pillar, n, n_min, k, alpha, ci_low, ci_high, alpha_weighted,
        alpha_ordinal, note.

    References
    ----------
    Cronbach (1951); Feldt (1965); Zumbo, Gadermann & Zeisser (2007); Little & Rubin (2019) on
    pairwise deletion. Full references: ``docs/references.md``.

    Examples
    --------
    pingouin's documented example: alpha .5917, Feldt 95 % interval .195 to .840.

    >>> import pingouin as pg
    >>> wide = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    >>> items = pd.DataFrame({"item": wide.columns, "pillar": "all", "weight_in_pillar": 1.0})
    >>> out = cronbach_alpha(wide, items)
    >>> out[["n", "k", "alpha", "ci_low", "ci_high", "alpha_weighted"]].round(3).iloc[0].tolist()
    [15.0, 10.0, 0.592, 0.195, 0.84, 0.592]
    """
    tail = (1 - confidence) / 2
    rows = []
    for pillar, cols in pillar_items(scores, items).items():
        x = scores[cols].to_numpy(float)
        x = x[~np.isnan(x).all(axis=1)]
        cov, pairs = pairwise_cov(x)
        n, n_min, k = len(x), int(pairs.min()), len(cols)
        note = too_few(n_min, 3, "alpha")
        a = float(alpha_of_cov(cov)) if note is None else np.nan
        df1, df2 = n_min - 1, (n_min - 1) * (k - 1)
        rows.append({
            "pillar": pillar, "n": n, "n_min": n_min, "k": k, "alpha": a,
            "ci_low": 1 - (1 - a) * stats.f.isf(tail, df1, df2) if note is None else np.nan,
            "ci_high": 1 - (1 - a) * stats.f.ppf(tail, df1, df2) if note is None else np.nan,
            "alpha_weighted": float(alpha_of_cov(cov, _weights(items, cols))) if note is None else np.nan,
            "alpha_ordinal": _ordinal_alpha(corr, cols) if note is None else np.nan,
            "note": note,
        })
    return pd.DataFrame(rows, columns=["pillar", "n", "n_min", "k", "alpha", "ci_low", "ci_high", "alpha_weighted",
                                       "alpha_ordinal", "note"])


def _ordinal_alpha(corr: ItemCorrelations | None, cols: list[str]) -> float:
    if corr is None or not np.isfinite(sub := corr.corr.loc[cols, cols].to_numpy(float)).all():
        return np.nan
    return float(alpha_of_cov(sub))


def _omega_of_cov(cov: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Omega total of the unweighted and of the ``w``-weighted composite, for a stack of covariance
    matrices (..., p, p); shape (2, ...), NaN where an item is constant."""
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    p = cov.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (cov / sd[..., :, None] / sd[..., None, :]).reshape(-1, p, p)
    sd = sd.reshape(-1, p)
    ok = np.isfinite(corr).all(axis=(-2, -1))
    out = np.full((2, len(corr)), np.nan)
    if ok.any():
        lam, psi = one_factor_ml(corr[ok])
        out[0, ok] = _omega_from_fit(lam, psi, sd[ok], np.ones(p))
        out[1, ok] = _omega_from_fit(lam, psi, sd[ok], w)
    return out.reshape((2, *cov.shape[:-2]))


def _omega_from_fit(lam: np.ndarray, psi: np.ndarray, sd: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Omega total of ``sum_i w_i x_i`` on the covariance scale: ``(sum w_i l_i)^2 / ((sum w_i l_i)^2
    + sum w_i^2 psi_i)`` with unstandardised loadings ``l_i = lambda_i sd_i`` and uniquenesses
    ``psi_i sd_i^2`` (McDonald 1999, ch. 6; equal weights give the usual omega total)."""
    common = (w * lam * sd).sum(-1) ** 2
    return common / (common + (w * w * psi * sd**2).sum(-1))


def omega(scores: pd.DataFrame, items: pd.DataFrame, n_boot: int = 2000, seed: int = 0,
          confidence: float = 0.95, corr: ItemCorrelations | None = None) -> pd.DataFrame:
    """McDonald's omega total of each pillar: the item sum, the published weighted composite, ordinal.

    One-factor ML model (:func:`one_factor_ml`, the optimum of ``FactorAnalyzer(n_factors=1,
    method="ml")``) of the pillar's pairwise-complete correlations (every agency that answered at
    least one item, ``n``; the smallest pairwise n is ``n_min``). Omega is on the **covariance
    scale**, the reliability of the raw sum of 0-100 item scores: ``omega_total`` for the unweighted
    sum, ``omega_weighted`` for the codebook-weighted composite that the pillar score is
    (:func:`_omega_from_fit`). Both get BCa bootstrap intervals (``scipy.stats.bootstrap`` over
    resampled agencies, 2,000 resamples by default so that each 2.5 % tail rests on some 50 draws;
    Efron & Tibshirani 1993 ask for at least 1,000 for BCa). ``omega_ordinal`` is the omega of the
    polychoric correlations (standardised latent responses; Gadermann, Guhn & Zumbo 2012) when
    ``corr`` is given.

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (``item``, ``pillar``, ``weight_in_pillar`` are used).
    n_boot : int
        Bootstrap resamples of the BCa intervals.
    seed : int
        Seed of the resamples.
    confidence : float
        Level of the intervals.
    corr : ItemCorrelations, optional
        Heterogeneous correlations of the items, for the ordinal omega.

    Returns
    -------
    pandas.DataFrame
        One row per pillar: pillar, n, n_min, k, omega_total, ci_low, ci_high, omega_weighted,
        weighted_ci_low, weighted_ci_high, omega_ordinal, scale, n_boot, note.

    References
    ----------
    McDonald (1999); Flora (2020); Efron (1987); Efron & Tibshirani (1993); Gadermann, Guhn & Zumbo
    (2012). Full references: ``docs/references.md``.

    Examples
    --------
    Congeneric data with loadings .8, .7, .6, .5 (unit variances): the population omega is
    2.6^2 / (2.6^2 + 2.26) = .749.

    >>> rng = np.random.default_rng(1)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> x = pd.DataFrame(rng.standard_normal((2000, 1)) * lam + rng.standard_normal((2000, 4)) * np.sqrt(1 - lam**2),
    ...                  columns=list("abcd"))
    >>> items = pd.DataFrame({"item": list("abcd"), "pillar": "P", "weight_in_pillar": 0.25})
    >>> out = omega(x, items, n_boot=1000, seed=1)
    >>> out[["omega_total", "ci_low", "ci_high", "omega_weighted"]].round(2).iloc[0].tolist()
    [0.75, 0.74, 0.77, 0.75]
    """
    rng = np.random.default_rng(seed)
    return pd.DataFrame([_pillar_omega(pillar, scores[cols].to_numpy(float), _weights(items, cols), n_boot, rng,
                                       confidence, corr, cols)
                         for pillar, cols in pillar_items(scores, items).items()])


def _pillar_omega(pillar: str, x: np.ndarray, w: np.ndarray, n_boot: int, rng: np.random.Generator,
                  confidence: float, corr: ItemCorrelations | None, cols: list[str]) -> dict[str, object]:
    x = x[~np.isnan(x).all(axis=1)]
    cov, pairs = pairwise_cov(x)
    n, n_min, k = len(x), int(pairs.min()), x.shape[1]
    row: dict[str, object] = {"pillar": pillar, "n": n, "n_min": n_min, "k": k, "omega_total": np.nan,
                              "ci_low": np.nan, "ci_high": np.nan, "omega_weighted": np.nan,
                              "weighted_ci_low": np.nan, "weighted_ci_high": np.nan, "omega_ordinal": np.nan,
                              "scale": "covariance", "n_boot": n_boot,
                              "note": too_few(n_min, k + 2, "a one-factor model of the pillar")}
    if row["note"] is not None:
        return row
    point = _omega_of_cov(cov, w)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # few cases: some resamples have a constant item (no correlation), giving NaN draws and
        # possibly no interval; scipy warns about that, the table shows it as missing bounds
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        boot = stats.bootstrap((np.arange(n),), lambda idx, axis=-1: _omega_of_cov(pairwise_cov(x[idx])[0], w),
                               n_resamples=n_boot, vectorized=True, batch=100, method="BCa",
                               confidence_level=confidence, rng=rng)
    low, high = boot.confidence_interval.low, boot.confidence_interval.high
    if corr is not None and np.isfinite(sub := corr.corr.loc[cols, cols].to_numpy(float)).all():
        lam, psi = one_factor_ml(sub[None])
        row["omega_ordinal"] = float(_omega_from_fit(lam, psi, np.ones((1, k)), np.ones(k))[0])
    row.update(omega_total=float(point[0]), ci_low=low[0], ci_high=high[0], omega_weighted=float(point[1]),
               weighted_ci_low=low[1], weighted_ci_high=high[1],
               note=None if np.isfinite([low, high]).all() else
               f"no interval: with {n_min} cases in the smallest pair many resamples leave an item constant")
    return row


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
