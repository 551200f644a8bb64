"""Item scoring: answer codes to 0-100 scores by each item's rule in the codebook.

Answer codes are what cleaning produces: 0/1 for ``yes_no``, the number of options chosen for
``multi_select``, the level for ``maturity`` (0-4) and ``likert`` (1-5), the number for
``count`` and ``percent``. Scores follow the codebook's goalposts, capped at 0 and 100
(OECD/JRC handbook, "distance to a reference" normalisation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.instrument.codebook import Codebook, Item


def item_score(item: Item, codes: np.ndarray | pd.Series) -> np.ndarray:
    """Score one item's answer codes on 0-100 (missing stays NaN)."""
    x = np.asarray(codes, dtype=float)
    lo, hi = item.score_range
    if item.scoring == "binary":
        return 100.0 * x
    return 100.0 * np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def score_items(codes: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Score every codebook item column of ``codes``; other columns are left out."""
    return pd.DataFrame(
        {it.id: item_score(it, codes[it.id]) for it in codebook.items if it.id in codes},
        index=codes.index,
    )
