"""The modelling choices of the readiness index and the settings file they come from.

One step of the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) per choice:
normalisation, aggregation, weighting and missing items, read from ``params/index.yaml``
(:class:`Choices`), so that changing a choice changes the scores without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.core.paths import params_dir, read_yaml

NORMALISATIONS = ("goalposts", "minmax", "zscore")


AGGREGATIONS = ("arithmetic", "geometric")


WEIGHTINGS = ("codebook", "equal", "pca")


MISSING = ("skip", "impute_type_mean")


@dataclass(frozen=True)
class Choices:
    """The modelling choices of the index (see ``params/index.yaml``)."""

    normalisation: str = "goalposts"
    aggregation: str = "arithmetic"
    geometric_floor: float = 1.0
    weights: str = "codebook"
    missing: str = "skip"
    min_answered_share: float = 0.5

    def __post_init__(self) -> None:
        for name, allowed in (("normalisation", NORMALISATIONS), ("aggregation", AGGREGATIONS),
                              ("weights", WEIGHTINGS), ("missing", MISSING)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"index choice {name}={getattr(self, name)!r}: must be one of {allowed}")
        if not 0 < self.min_answered_share <= 1:
            raise ValueError("index choice min_answered_share must be in (0, 1]")
        if self.geometric_floor <= 0:
            raise ValueError("index choice geometric_floor must be positive")


def load_index_config(path: str | Path | None = None) -> dict[str, Any]:
    """The whole ``params/index.yaml`` (choices, bootstrap and Monte-Carlo settings)."""
    p = Path(path) if path is not None else params_dir() / "index.yaml"
    return read_yaml(p)


def load_choices(path: str | Path | None = None, **overrides: Any) -> Choices:
    """Choices from ``params/index.yaml``, with keyword overrides (``None`` values ignored)."""
    cfg = load_index_config(path)
    fields = {k: cfg[k] for k in Choices.__dataclass_fields__ if k in cfg}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return Choices(**fields)
