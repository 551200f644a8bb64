"""The item correlation matrix the factor analyses start from, and the n it rests on.

The survey's items are yes/no, 5-point Likert, 0-4 maturity levels and counts of options chosen
(ordinal), and capped counts and percentages (continuous). Pearson correlations of such items are
biased towards zero, the more so the fewer the categories, so KMO, parallel analysis, EFA and
omega hierarchical start from a **heterogeneous** matrix instead: polychoric correlations between
ordinal items, polyserial between an ordinal and a continuous item, Pearson between continuous
ones (:func:`analysis.stats.ordinal.het_cor`; Olsson 1979; Olsson, Drasgow & Dorans 1982). Each
correlation uses every agency that answered both items (pairwise), so a blank costs one pair, not
the agency; the smallest pairwise n is the n the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.numerics import round_stable
from analysis.stats.common import too_few
from analysis.stats.ordinal import het_cor

#: Item types whose answers are ordered categories (the others are continuous).
ORDINAL_TYPES = ("yes_no", "likert", "maturity", "multi_select")
#: Eigenvalues of a pairwise matrix below this are raised to it before rescaling (psych::cor.smooth's
#: default ``eig.tol``), so that the maximum-likelihood factor models can be fitted.
EIGEN_FLOOR = 1e-12


@dataclass(frozen=True)
class ItemCorrelations:
    """A correlation matrix of items with the cases behind it.

    ``n`` counts agencies that answered at least one of the items; ``n_min`` is the smallest
    number answering both items of a pair (for pairwise matrices; equal to ``n`` for complete
    data), the n used by Bartlett's test and by the random data of parallel analysis; ``method``
    says how it was computed; ``smoothed`` whether it had to be made positive definite.
    """

    corr: pd.DataFrame
    n: int
    n_min: int
    method: str
    smoothed: bool = False

    def problem(self, need: int, what: str) -> str | None:
        """Why a statistic needing ``need`` cases cannot use this matrix (``None`` when it can): too few
        cases in the least-answered pair, or a correlation that could not be estimated.

        >>> r = ItemCorrelations(pd.DataFrame([[1.0, np.nan], [np.nan, 1.0]]), 50, 50, "test")
        >>> r.problem(4, "a model")
        'not computed: a correlation could not be estimated (an item with a single answer among the cases)'
        """
        note = too_few(self.n_min, need, what)
        if note is None and not np.isfinite(self.corr.to_numpy(float)).all():
            return "not computed: a correlation could not be estimated (an item with a single answer among the cases)"
        return note

    @classmethod
    def pearson(cls, data: pd.DataFrame) -> ItemCorrelations:
        """Pearson correlations of the complete cases of ``data``.

        >>> ItemCorrelations.pearson(pd.DataFrame({"a": [1.0, 2, 3, None], "b": [2.0, 1, 4, 3]})).n
        3
        """
        x = data.dropna()
        r = pd.DataFrame(np.corrcoef(x.to_numpy(float), rowvar=False), index=x.columns, columns=x.columns)
        return cls(r, len(x), len(x), "Pearson, complete cases")


def smooth_correlations(r: np.ndarray) -> tuple[np.ndarray, bool]:
    """The nearest-by-eigenvalues positive definite correlation matrix, as ``psych::cor.smooth``.

    A matrix built pair by pair need not be positive definite. Eigenvalues below
    :data:`EIGEN_FLOOR` are raised to it, the matrix rebuilt and rescaled to a unit diagonal
    (Wothke 1993). Returns ``(matrix, changed)``; a positive definite input is returned as is.

    >>> m, changed = smooth_correlations(np.array([[1, .9, .1], [.9, 1, .9], [.1, .9, 1]]))
    >>> changed, bool(np.linalg.eigvalsh(m).min() > 0), float(m[0, 0])
    (True, True, 1.0)
    """
    values, vectors = np.linalg.eigh(r)
    if values.min() > EIGEN_FLOOR:
        return r, False
    fixed = (vectors * np.maximum(values, EIGEN_FLOOR)) @ vectors.T
    d = np.sqrt(np.diag(fixed))
    out = fixed / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return (out + out.T) / 2, True


def ordinal_levels(scores: pd.DataFrame, ordinal: list[str]) -> pd.DataFrame:
    """The ordinal items' scores rounded to 9 decimals (:func:`analysis.core.numerics.round_stable`),
    so that a last-bit difference never makes two categories of one answer.

    >>> ordinal_levels(pd.DataFrame({"q": [100 / 3, 33.333333333333336]}), ["q"])["q"].nunique()
    1
    """
    out = scores.copy()
    for c in ordinal:
        out[c] = round_stable(out[c].to_numpy(float), 9)
    return out


def item_correlations(scores: pd.DataFrame, items: pd.DataFrame) -> ItemCorrelations:
    """Heterogeneous pairwise correlations of the codebook's items (see the module docstring).

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id; NaN for a blank. The
        scores of an ordinal item are a monotone recoding of its answer codes, so its categories
        and their order are the answers'.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (``item`` and ``type`` are used).

    Returns
    -------
    ItemCorrelations
        The matrix (smoothed if it was not positive definite), n, smallest pairwise n, method.

    References
    ----------
    Olsson (1979); Olsson, Drasgow & Dorans (1982); Wothke (1993); Holgado-Tello et al. (2010) on
    polychoric rather than Pearson correlations for ordinal items. Full references: ``docs/references.md``.
    """
    cols = [c for c in items["item"] if c in scores.columns]
    kinds = items.set_index("item")["type"]
    ordinal = [c for c in cols if kinds[c] in ORDINAL_TYPES]
    data = ordinal_levels(scores[cols], ordinal)
    data = data[data.notna().any(axis=1)]
    res = het_cor(data, ordinal)
    r, smoothed = res.cor.to_numpy(float), False
    if np.isfinite(r).all():
        r, smoothed = smooth_correlations(r)
    pair_n = res.n.to_numpy()
    return ItemCorrelations(pd.DataFrame(r, index=cols, columns=cols), len(data), int(pair_n.min()),
                            "polychoric / polyserial / Pearson, pairwise", smoothed)
