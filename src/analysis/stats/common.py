"""What every reliability statistic shares: the items of each pillar, and the note for too few cases."""

from __future__ import annotations

import pandas as pd


def pillar_items(scores: pd.DataFrame, items: pd.DataFrame) -> dict[str, list[str]]:
    """Item ids of each pillar (codebook order) that are columns of ``scores``."""
    present = items[items["item"].isin(scores.columns)]
    return {str(p): list(g["item"]) for p, g in present.groupby("pillar", sort=False)}


def too_few(n: int, need: int, what: str) -> str | None:
    """The note for a statistic that cannot be computed from ``n`` cases (``None`` when it can)."""
    return None if n >= need else f"not computed: {n} cases, {what} needs at least {need}"
