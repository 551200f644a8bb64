"""Sampling uncertainty of province scores and ranks: a BCa bootstrap over each province's agencies.

:func:`province_bootstrap` resamples every province's responding agencies at once and gives each
score a BCa interval (Efron 1987), the probability of each readiness band, and the rank's median
and interval over the joint draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from analysis.core.numerics import rank_desc, share_below
from analysis.indicators.aggregates import province_means
from analysis.indicators.scores import (
    band_index,
    bands,
    canonical_order,
    score_columns,
)
from analysis.instrument.codebook import Codebook


def _padded(agencies: pd.DataFrame, provinces: list[str], col: str) -> tuple[np.ndarray, np.ndarray]:
    """Scores as a (province, slot) array padded with NaN, and each province's count."""
    groups = agencies.groupby("province")[col]
    n = np.array([len(groups.get_group(p)) if p in groups.groups else 0 for p in provinces])
    x = np.full((len(provinces), max(n.max(), 1)), np.nan)
    for i, p in enumerate(provinces):
        if n[i]:
            x[i, : n[i]] = groups.get_group(p).to_numpy(dtype=float)
    return x, n


def bca_interval(x: np.ndarray, n: np.ndarray, draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """BCa interval of the mean for many groups at once.

    Hand-written (vectorised over provinces) rather than 76 calls of ``scipy.stats.bootstrap``
    because the same joint draws also give band probabilities and rank intervals; a unit test
    checks it against scipy's BCa on single groups.

    ``x``: (groups, slots) NaN-padded data; ``n``: group sizes; ``draws``: (groups, B) bootstrap means.
    The bias correction ``z0`` counts draws tied with the estimate as half below, as scipy does,
    with ties judged by :func:`~analysis.numerics.share_below`'s tolerance. A group of fewer than
    two values has no interval (NaN): one agency says nothing about the spread.
    Examples
    --------
    Close to ``scipy.stats.bootstrap(method="BCa")`` on the same data (different resamples):

    >>> from scipy import stats
    >>> y = np.array([[12.0, 15, 9, 20, 31, 18, 22, 14, 17, 25]])
    >>> draws = bootstrap_means(y, np.array([10]), 4000, np.random.default_rng(0))
    >>> low, high = bca_interval(y, np.array([10]), draws, 0.95)
    >>> ref = stats.bootstrap((y[0],), np.mean, n_resamples=4000, method="BCa", rng=np.random.default_rng(0))
    >>> bool(abs(low[0] - ref.confidence_interval.low) < 0.3 and abs(high[0] - ref.confidence_interval.high) < 0.3)
    True
    """
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a province without agencies: NaN throughout
        theta = np.nanmean(x, axis=1)
        z0 = ndtri(share_below(draws, theta))
        total = np.nansum(x, axis=1)
        jack = (total[:, None] - x) / (n[:, None] - 1)  # leave-one-out means (NaN in padding)
        dev = np.nanmean(jack, axis=1)[:, None] - jack
        acc = np.nansum(dev**3, axis=1) / (6 * np.nansum(dev**2, axis=1) ** 1.5)
        alpha = (1 - confidence) / 2
        out = []
        for za in (ndtri(alpha), ndtri(1 - alpha)):
            level = ndtr(z0 + (z0 + za) / (1 - acc * (z0 + za)))
            level = np.where(np.isfinite(level), level, np.where(za < 0, alpha, 1 - alpha))
            out.append(np.array([np.nanpercentile(d, 100 * q) if m >= 2 and np.isfinite(d).any() else np.nan
                                 for d, q, m in zip(draws, level, n, strict=True)]))
    return out[0], out[1]


def bootstrap_means(x: np.ndarray, n: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(groups, n_boot) means of resamples drawn with replacement within each group (NaN-aware)."""
    slots = x.shape[1]
    u = rng.random((x.shape[0], n_boot, slots))
    idx = np.minimum((u * n[:, None, None]).astype(int), np.maximum(n[:, None, None] - 1, 0))
    take = np.take_along_axis(x[:, None, :].repeat(n_boot, axis=1), idx, axis=2)
    take = np.where(np.arange(slots)[None, None, :] >= n[:, None, None], np.nan, take)  # padding
    out = np.full(take.shape[:2], np.nan)
    has = n > 0
    out[has] = np.nanmean(take[has], axis=2)
    return out


def for_all_provinces(values: np.ndarray, has_data: np.ndarray,
                      integer: bool = False) -> np.ndarray | pd.arrays.IntegerArray:
    """``values`` of the provinces with data spread over every province, missing for the others;
    as nullable integers (``<NA>``) for ranks."""
    full = np.full(len(has_data), np.nan)
    full[has_data] = values
    return pd.array(full, dtype="Int64") if integer else full


def province_bootstrap(agencies: pd.DataFrame, codebook: Codebook, n_boot: int = 2000, confidence: float = 0.95,
                       rank_interval: float = 0.90, seed: int = 0) -> pd.DataFrame:
    """Province means with BCa intervals, band probabilities and rank intervals.

    Columns per score ``s`` in index and pillars: ``s``, ``s_low``, ``s_high``; then ``band``,
    ``band_probability`` (share of draws in the estimate's band), ``p_<band>`` for every band,
    ``rank``, ``rank_median``, ``rank_low``, ``rank_high``, ``n_ranked``.

    A province without a responding agency keeps its row with every estimate missing: no score,
    band, probability or rank. Ranks are among the ``n_ranked`` provinces with data. Agencies
    are taken in canonical order (province, agency), so the row order of the input changes no
    resample.
    """
    agencies = canonical_order(agencies)
    out = province_means(agencies, codebook)
    provinces = out["province"].tolist()
    rng = np.random.default_rng(seed)
    index_draws = None
    for col in score_columns(codebook):
        x, n = _padded(agencies, provinces, col)
        draws = bootstrap_means(x, n, n_boot, rng)
        lo, hi = bca_interval(x, n, draws, confidence)
        out[f"{col}_low"], out[f"{col}_high"] = lo, hi
        if col == "index":
            index_draws = draws
    assert index_draws is not None
    has = out["index"].notna().to_numpy()
    out["band"] = bands(out["index"], codebook).to_numpy()
    table = codebook.bands_table()
    draw_band = band_index(index_draws, codebook)
    for i, b in enumerate(table["band"]):
        out[f"p_{b}"] = np.where(has, (draw_band == i).mean(axis=1), np.nan)
    out["band_probability"] = [out.at[r, f"p_{b}"] if isinstance(b, str) else np.nan
                               for r, b in enumerate(out["band"])]
    ranks = rank_desc(index_draws)[has]
    tail = (1 - rank_interval) / 2 * 100
    out["n_ranked"] = int(has.sum())
    out["rank"] = for_all_provinces(rank_desc(out["index"].to_numpy())[has], has, integer=True)
    out["rank_median"] = for_all_provinces(np.median(ranks, axis=1), has)
    out["rank_low"] = for_all_provinces(np.percentile(ranks, tail, axis=1, method="lower"), has, integer=True)
    out["rank_high"] = for_all_provinces(np.percentile(ranks, 100 - tail, axis=1, method="higher"), has, integer=True)
    return out
