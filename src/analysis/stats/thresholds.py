"""The one table of conventional thresholds, each with its source (``params/thresholds.yaml``).

Every verdict in the project reads its bound from here: the flags of the reliability tables, notebook
03, the national overview's reliability summary and the caveats of the province pages. Full
references are in ``docs/references.md``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core.paths import params_dir, read_yaml

DIRECTIONS = {"at_least": ">=", "at_most": "<=", "above": ">"}


@dataclass(frozen=True)
class Threshold:
    """A bound that a statistic should meet, with the source that sets it."""

    name: str
    bound: float
    direction: str
    label_en: str
    label_th: str
    source: str

    def meets(self, value: float) -> bool | None:
        """Whether ``value`` meets the bound (``None`` when there is no value).

        >>> Threshold("alpha", 0.7, "at_least", "alpha", "alpha", "Nunnally (1978)").meets(0.72)
        True
        """
        if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
            return None
        if self.direction == "at_least":
            return bool(value >= self.bound)
        if self.direction == "at_most":
            return bool(value <= self.bound)
        return bool(value > self.bound)

    @property
    def rule(self) -> str:
        """The rule as text, e.g. ``">= .70"``."""
        bound = f"{self.bound:.2f}".lstrip("0") if 0 < self.bound < 1 else f"{self.bound:g}"
        return f"{DIRECTIONS[self.direction]} {bound}"


@functools.cache
def _load(path: str) -> tuple[dict[str, Threshold], tuple[tuple[float, str], ...]]:
    raw = read_yaml(Path(path))
    labels = tuple((float(bound), str(label)) for bound, label in raw.pop("kaiser_labels"))
    table = {}
    for name, spec in raw.items():
        if spec["direction"] not in DIRECTIONS:
            raise ValueError(f"{path}: threshold {name!r} has direction {spec['direction']!r}; "
                             f"use one of {', '.join(DIRECTIONS)}")
        table[name] = Threshold(name=name, bound=float(spec["bound"]), direction=spec["direction"],
                                label_en=spec["label_en"], label_th=spec["label_th"], source=spec["source"])
    return table, labels


def threshold(name: str, path: str | Path | None = None) -> Threshold:
    """One threshold by name (``alpha``, ``omega``, ``item_total``, ``kmo``, ``cfi``, ``tli``,
    ``rmsea``, ``srmr``, ``icc1``, ``icc2``, ``rwg``, ``few_agencies``)."""
    return _load(str(path or params_dir() / "thresholds.yaml"))[0][name]


def kaiser_labels(path: str | Path | None = None) -> tuple[tuple[float, str], ...]:
    """Kaiser's (1974) labels of KMO values, highest lower bound first."""
    return _load(str(path or params_dir() / "thresholds.yaml"))[1]


def table(path: str | Path | None = None) -> pd.DataFrame:
    """Every threshold as a table: name, rule, English and Thai label, source."""
    rows = _load(str(path or params_dir() / "thresholds.yaml"))[0].values()
    return pd.DataFrame([{"name": t.name, "rule": t.rule, "label_en": t.label_en, "label_th": t.label_th,
                          "source": t.source} for t in rows])
