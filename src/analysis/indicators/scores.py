"""Readiness scores of each agency: items -> indicators -> pillars -> index, with bands.

One handbook step per function (normalise, impute, weight, aggregate), under the modelling
choices of :mod:`analysis.indicators.choices`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.numerics import snap, weighted_row_sum
from analysis.indicators.choices import Choices
from analysis.instrument.codebook import Codebook
from analysis.instrument.scoring import score_items


def normalise_items(codes: pd.DataFrame, codebook: Codebook, method: str = "goalposts") -> pd.DataFrame:
    """Item scores on 0-100 by the chosen normalisation (missing stays missing)."""
    goal = score_items(codes, codebook)
    if method == "goalposts":
        return goal
    x = codes[codebook.item_ids].astype(float)
    if method == "minmax":
        lo, hi = x.min(), x.max()
        out = (x - lo) / (hi - lo).replace(0, np.nan) * 100
        constant = (hi == lo).to_numpy()
        out.loc[:, constant] = goal.loc[:, constant]  # no spread to rescale: keep the goalpost score
        return out
    z = (x - x.mean()) / x.std(ddof=1).replace(0, np.nan)
    return (50 + 50 * z / 3).clip(0, 100)


def impute_type_mean(scores: pd.DataFrame, agency_type: pd.Series) -> pd.DataFrame:
    """Replace missing item scores by the national mean of that item among the same agency type."""
    means = scores.groupby(agency_type.to_numpy()).transform("mean")
    return scores.fillna(means)


def aggregate(values: np.ndarray, weights: np.ndarray, method: str = "arithmetic", floor: float = 1.0,
              min_share: float = 0.5) -> np.ndarray:
    """Weighted mean of each row over the available columns.

    Weights of missing columns are dropped and the rest re-normalised; a row whose answered
    weight share is below ``min_share`` is missing. ``geometric`` raises values below ``floor``
    to it first (a zero would otherwise zero the whole mean). Sums are taken column by column
    (:func:`~analysis.numerics.weighted_row_sum`), not by a BLAS product, so the scores are the
    same bits on every CPU.

    Examples
    --------
    >>> v = np.array([[50.0, 100.0], [50.0, np.nan], [0.0, 100.0]])
    >>> aggregate(v, np.array([0.5, 0.5])).tolist()
    [75.0, 50.0, 50.0]
    >>> aggregate(v, np.array([0.5, 0.5]), "geometric").round(3).tolist()  # 0 raised to the floor 1
    [70.711, 50.0, 10.0]
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = ~np.isnan(v)
    wsum = weighted_row_sum(ok.astype(float), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "geometric":
            logs = np.where(ok, np.log(np.maximum(np.where(ok, v, 1.0), floor)), 0.0)
            out = np.exp(weighted_row_sum(logs, w) / wsum)
        else:
            out = weighted_row_sum(np.where(ok, v, 0.0), w) / wsum
    out[wsum / w.sum() < min_share - 1e-12] = np.nan
    return out


def _within_weights(codebook: Codebook, weights: str) -> tuple[pd.Series, pd.Series]:
    items = codebook.items_table().set_index("item")
    inds = codebook.indicators_table().set_index("indicator")
    if weights == "equal":
        w_item = 1 / items.groupby("indicator")["weight_item"].transform("size")
        w_ind = 1 / inds.groupby("pillar")["weight"].transform("size")
    else:  # codebook and pca share the codebook's weights within pillars
        w_item, w_ind = items["weight_item"], inds["weight"]
    return w_item, w_ind


def pca_pillar_weights(pillars: pd.DataFrame) -> pd.Series:
    """Pillar weights from the first principal component of the standardised pillar scores.

    Squared loadings of the first component, normalised to sum to 1 (Handbook section 6.1).
    """
    x = pillars.dropna()
    z = (x - x.mean()) / x.std(ddof=1)
    eigval, eigvec = np.linalg.eigh(np.corrcoef(z.to_numpy(), rowvar=False))
    first = eigvec[:, np.argmax(eigval)]
    w = first**2
    return pd.Series(w / w.sum(), index=pillars.columns)


def pillar_weights(codebook: Codebook, weights: str, pillars: pd.DataFrame | None = None) -> pd.Series:
    """The pillar weights under the chosen weighting."""
    ids = [p.id for p in codebook.pillars]
    if weights == "equal":
        return pd.Series(1 / len(ids), index=ids)
    if weights == "pca":
        if pillars is None:
            raise ValueError("PCA weights need the pillar scores")
        return pca_pillar_weights(pillars[ids])
    return pd.Series([float(p.weight) for p in codebook.pillars], index=ids)


def pillar_scores(item_scores: pd.DataFrame, codebook: Codebook, choices: Choices) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator and pillar scores of each agency: ``(indicators, pillars)``."""
    w_item, w_ind = _within_weights(codebook, choices.weights)
    # Items -> indicators is always arithmetic: yes/no items score 0 or 100, and a geometric mean
    # over them would collapse to the floor whenever one answer is "no".
    ind_cols = {}
    for p in codebook.pillars:
        for ind in p.indicators:
            ids = [it.id for it in ind.items]
            ind_cols[ind.id] = aggregate(item_scores[ids].to_numpy(), w_item[ids].to_numpy(), "arithmetic",
                                         min_share=choices.min_answered_share)
    indicators = pd.DataFrame(ind_cols, index=item_scores.index)
    pil_cols = {}
    for p in codebook.pillars:
        ids = [i.id for i in p.indicators]
        pil_cols[p.id] = aggregate(indicators[ids].to_numpy(), w_ind[ids].to_numpy(), choices.aggregation,
                                   choices.geometric_floor, choices.min_answered_share)
    return indicators, pd.DataFrame(pil_cols, index=item_scores.index)


def band_index(values: np.ndarray, codebook: Codebook) -> np.ndarray:
    """Position of each score's band in ``codebook.bands_table()`` (-1 below the first cut-off).

    A score within :data:`~analysis.numerics.REL_TOL` of a cut-off counts as on it (the band
    above), so that last-bit noise never moves a score across a band boundary.
    """
    lower = codebook.bands_table()["lower"].to_numpy(dtype=float)
    return np.searchsorted(lower, snap(values, lower), side="right") - 1


def bands(values: pd.Series | np.ndarray, codebook: Codebook) -> pd.Series:
    """The readiness band code of each score (missing for a missing score)."""
    b = codebook.bands_table()
    v = pd.Series(np.asarray(values, dtype=float))
    idx = band_index(v.to_numpy(), codebook)
    out = pd.Series(b["band"].to_numpy()[np.clip(idx, 0, len(b) - 1)], dtype=object)
    out[v.isna().to_numpy()] = None
    return out


def maturity_stage(codes: pd.DataFrame, codebook: Codebook) -> pd.Series:
    """Gartner stage (1-5) of each agency: its mean answer to the maturity items, rounded, plus one."""
    ids = [it.id for it in codebook.items if it.type == "maturity"]
    level = snap(codes[ids].mean(axis=1).to_numpy(dtype=float), np.arange(0.5, 5.0, 1.0))  # x.5 rounds up
    return pd.Series(np.floor(level + 0.5) + 1, index=codes.index).astype("Int64")


def canonical_order(clean: pd.DataFrame) -> pd.DataFrame:
    """Clean responses sorted by province and agency (one row each), with a fresh index.

    Every step that resamples or sums agencies works in this order, so that the order of rows in
    the export changes no result.
    """
    keys = [c for c in ("province", "agency", "submission_id") if c in clean.columns]
    return clean.sort_values(keys, kind="stable").reset_index(drop=True)


def agency_scores(clean: pd.DataFrame, codebook: Codebook, choices: Choices) -> pd.DataFrame:
    """Indicator, pillar and index scores, band and maturity stage of every clean response.

    Rows come in :func:`canonical_order` (by province, then agency).
    """
    clean = canonical_order(clean)
    items = normalise_items(clean, codebook, choices.normalisation)
    if choices.missing == "impute_type_mean":
        items = impute_type_mean(items, clean["agency"])
    indicators, pillars = pillar_scores(items, codebook, choices)
    w = pillar_weights(codebook, choices.weights, pillars)
    index = aggregate(pillars[w.index].to_numpy(), w.to_numpy(), choices.aggregation, choices.geometric_floor,
                      choices.min_answered_share)
    out = clean[["province", "region", "agency", "submission_id"]].copy()
    out = pd.concat([out, indicators, pillars], axis=1)
    out["index"] = index
    out["band"] = bands(index, codebook).to_numpy()
    out["maturity_stage"] = maturity_stage(clean, codebook).to_numpy()
    return out.reset_index(drop=True)


def score_columns(codebook: Codebook) -> list[str]:
    """The columns summarised per province: the index and the pillars."""
    return ["index", *[p.id for p in codebook.pillars]]
