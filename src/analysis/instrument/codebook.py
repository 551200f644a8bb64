"""The questionnaire as data: load and validate ``params/questionnaire.yaml``.

The codebook is the single source of truth for pillars, indicators, items, answer types,
scoring rules, weights, readiness bands and recommendations. Replacing it with DGA's real
instrument needs no code change. A malformed codebook fails to load with a
:class:`CodebookError` naming the file and the place (``pillars[P2] > indicators[P2.1] >
items[p2_1_3] > weight``).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from analysis.core.paths import params_dir, read_yaml


class CodebookError(ValueError):
    """A codebook that cannot be used; the message names the file and the place."""


def _to_fraction(v: Any) -> Fraction:
    if isinstance(v, bool):
        raise ValueError("a weight must be a number or a fraction such as 1/3")
    if isinstance(v, int | float | str):
        try:
            f = Fraction(str(v).strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{v!r} is not a number or a fraction such as 1/3") from None
        if f <= 0:
            raise ValueError(f"weight {v} must be positive")
        return f
    raise ValueError(f"{v!r} is not a number or a fraction such as 1/3")


Weight = Annotated[Fraction, BeforeValidator(_to_fraction)]
ItemType = Literal["yes_no", "multi_select", "maturity", "likert", "count", "percent"]
Scoring = Literal["binary", "share_selected", "linear"]

#: The scoring rule each item type must use.
SCORING_OF_TYPE: dict[str, str] = {
    "yes_no": "binary",
    "multi_select": "share_selected",
    "maturity": "linear",
    "likert": "linear",
    "count": "linear",
    "percent": "linear",
}
#: The natural answer range of the fixed-scale types (goalposts for their linear scoring).
SCALE_RANGE: dict[str, tuple[float, float]] = {"maturity": (0, 4), "likert": (1, 5), "yes_no": (0, 1)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


#: Characters that separate chosen options in a multi-select answer; labels must not contain them.
OPTION_DELIMITERS = ",;|"


def _label(v: str) -> str:
    if not v.strip():
        raise ValueError("label must not be empty")
    if any(c in v for c in OPTION_DELIMITERS):
        raise ValueError(f"option label {v!r} must not contain the answer delimiters {OPTION_DELIMITERS!r}")
    return v


OptionLabel = Annotated[str, BeforeValidator(_label)]


class Option(_Strict):
    """One choice of a multi-select item."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label_th: OptionLabel
    label_en: OptionLabel


class Goalposts(_Strict):
    """The answers that score 0 and 100 under linear scoring (values beyond are capped)."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Goalposts:
        if not self.max > self.min:
            raise ValueError(f"goalposts need max > min, got min={self.min}, max={self.max}")
        return self


class Item(_Strict):
    """One question; its ``id`` is also its column name in the raw export."""

    id: Annotated[str, Field(pattern=r"^p[1-9]_[1-9]_[1-9]$")]
    type: ItemType
    scoring: Scoring
    text_th: Annotated[str, Field(min_length=1)]
    text_en: Annotated[str, Field(min_length=1)]
    weight: Weight
    recommendation_th: Annotated[str, Field(min_length=1)]
    recommendation_en: Annotated[str, Field(min_length=1)]
    options: list[Option] | None = None
    goalposts: Goalposts | None = None
    unit_th: str | None = None
    unit_en: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        want = SCORING_OF_TYPE[self.type]
        if self.scoring != want:
            raise ValueError(f"type {self.type} must use scoring '{want}', not '{self.scoring}'")
        if self.type == "multi_select":
            if not self.options or len(self.options) < 2:
                raise ValueError("a multi_select item needs at least two options")
            codes = [o.code for o in self.options]
            if len(set(codes)) != len(codes):
                raise ValueError(f"duplicate option codes {codes}")
        elif self.options is not None:
            raise ValueError(f"only multi_select items have options (type is {self.type})")
        if self.type in ("count", "percent"):
            if self.goalposts is None:
                raise ValueError(f"a {self.type} item needs goalposts {{min, max}}")
        elif self.goalposts is not None:
            raise ValueError(f"only count and percent items have goalposts (type is {self.type})")
        return self

    @property
    def score_range(self) -> tuple[float, float]:
        """The answers scoring 0 and 100 (goalposts, or the fixed scale's ends)."""
        if self.goalposts is not None:
            return (self.goalposts.min, self.goalposts.max)
        if self.type == "multi_select":
            return (0, len(self.options or []))
        return SCALE_RANGE[self.type]


class Indicator(_Strict):
    """A group of items measuring one aspect of a pillar."""

    id: Annotated[str, Field(pattern=r"^P[1-9]\.[1-9]$")]
    name_th: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    weight: Weight
    items: Annotated[list[Item], Field(min_length=1)]


class Pillar(_Strict):
    """One of the framework's pillars."""

    id: Annotated[str, Field(pattern=r"^P[1-9]$")]
    name_th: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    weight: Weight
    indicators: Annotated[list[Indicator], Field(min_length=1)]


class Band(_Strict):
    """A readiness band: scores from ``min`` (inclusive) up to the next band's ``min``."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name_th: str
    name_en: str
    min: Annotated[float, Field(ge=0, lt=100)]


class LikertLabel(_Strict):
    """A label of the 1-5 agreement scale."""

    value: Annotated[int, Field(ge=1, le=5)]
    label_th: str
    label_en: str


class MaturityLevel(_Strict):
    """A stage of Gartner's five-level digital-government maturity model (value 0-4)."""

    value: Annotated[int, Field(ge=0, le=4)]
    name_th: str
    name_en: str
    description_th: str
    description_en: str


class Instrument(_Strict):
    """The survey's name and version."""

    name_th: str
    name_en: str
    version: str


class Codebook(_Strict):
    """The validated questionnaire. Use :func:`load_codebook` to read one."""

    instrument: Instrument
    likert_labels: Annotated[list[LikertLabel], Field(min_length=5, max_length=5)]
    maturity_levels: Annotated[list[MaturityLevel], Field(min_length=5, max_length=5)]
    bands: Annotated[list[Band], Field(min_length=2)]
    pillars: Annotated[list[Pillar], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        if [b.value for b in self.likert_labels] != [1, 2, 3, 4, 5]:
            raise ValueError("likert_labels must have values 1, 2, 3, 4, 5 in order")
        if [m.value for m in self.maturity_levels] != [0, 1, 2, 3, 4]:
            raise ValueError("maturity_levels must have values 0, 1, 2, 3, 4 in order")
        mins = [b.min for b in self.bands]
        if mins[0] != 0 or mins != sorted(set(mins)):
            raise ValueError(f"bands must start at min 0 and rise strictly, got {mins}")
        return self

    @cached_property
    def items(self) -> list[Item]:
        """All items in questionnaire order."""
        return [it for p in self.pillars for ind in p.indicators for it in ind.items]

    @cached_property
    def item_ids(self) -> list[str]:
        """Item ids in questionnaire order (the raw export's answer columns)."""
        return [it.id for it in self.items]

    def item(self, item_id: str) -> Item:
        """Return one item by id."""
        return self._by_id[item_id]

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        return {it.id: it for it in self.items}

    def items_table(self) -> pd.DataFrame:
        """One row per item: ids, texts, type, scoring range and the effective weights.

        ``weight_in_pillar`` is indicator weight x item weight; ``weight_overall`` multiplies in
        the pillar weight as well.
        """
        rows = []
        for p in self.pillars:
            for ind in p.indicators:
                for it in ind.items:
                    lo, hi = it.score_range
                    rows.append(
                        {
                            "item": it.id,
                            "pillar": p.id,
                            "indicator": ind.id,
                            "type": it.type,
                            "scoring": it.scoring,
                            "score_min": float(lo),
                            "score_max": float(hi),
                            "n_options": len(it.options) if it.options else pd.NA,
                            "weight_item": float(it.weight),
                            "weight_in_pillar": float(ind.weight * it.weight),
                            "weight_overall": float(p.weight * ind.weight * it.weight),
                            "text_th": it.text_th,
                            "text_en": it.text_en,
                        }
                    )
        return pd.DataFrame(rows)

    def pillars_table(self) -> pd.DataFrame:
        """One row per pillar with names and weight."""
        return pd.DataFrame(
            [
                {"pillar": p.id, "name_th": p.name_th, "name_en": p.name_en, "weight": float(p.weight),
                 "n_indicators": len(p.indicators), "n_items": sum(len(i.items) for i in p.indicators)}
                for p in self.pillars
            ]
        )

    def indicators_table(self) -> pd.DataFrame:
        """One row per indicator with names, pillar and weight within the pillar."""
        return pd.DataFrame(
            [
                {"indicator": i.id, "pillar": p.id, "name_th": i.name_th, "name_en": i.name_en,
                 "weight": float(i.weight), "n_items": len(i.items)}
                for p in self.pillars
                for i in p.indicators
            ]
        )

    def bands_table(self) -> pd.DataFrame:
        """Bands with their lower (inclusive) and upper (exclusive) cut-offs."""
        mins = [b.min for b in self.bands]
        return pd.DataFrame(
            {
                "band": [b.code for b in self.bands],
                "name_th": [b.name_th for b in self.bands],
                "name_en": [b.name_en for b in self.bands],
                "lower": mins,
                "upper": mins[1:] + [100.0],
            }
        )


def _place(raw: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into ``pillars[P2] > indicators[P2.1] > weight``."""
    parts: list[str] = []
    node = raw
    for i, key in enumerate(loc):
        if isinstance(key, int) and parts:
            child = node[key] if isinstance(node, list) and key < len(node) else None
            label = child.get("id") or child.get("code") if isinstance(child, dict) else None
            parts[-1] = f"{parts[-1]}[{label if label else key}]"
            node = child
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
        if i == len(loc) - 1:
            break
    return " > ".join(parts) or "top level"


def _check_structure(cb: Codebook) -> list[str]:
    """Cross-record checks pydantic cannot express: unique ids, id nesting, weight sums."""
    problems: list[str] = []
    seen: dict[str, str] = {}

    def unique(kind: str, ident: str, where: str) -> None:
        key = f"{kind}:{ident}"
        if key in seen:
            problems.append(f"{where}: duplicate {kind} id '{ident}' (first at {seen[key]})")
        else:
            seen[key] = where

    def sums_to_one(where: str, weights: list[Fraction]) -> None:
        total = sum(weights, Fraction(0))
        if total != 1:
            problems.append(f"{where}: weights sum to {total} ({float(total):.4f}), not 1")

    sums_to_one("pillars", [p.weight for p in cb.pillars])
    for p in cb.pillars:
        pw = f"pillars[{p.id}]"
        unique("pillar", p.id, pw)
        sums_to_one(f"{pw} > indicators", [i.weight for i in p.indicators])
        for ind in p.indicators:
            iw = f"{pw} > indicators[{ind.id}]"
            unique("indicator", ind.id, iw)
            if not ind.id.startswith(p.id + "."):
                problems.append(f"{iw}: indicator id must start with its pillar id '{p.id}.'")
            sums_to_one(f"{iw} > items", [it.weight for it in ind.items])
            prefix = "p" + ind.id[1:].replace(".", "_") + "_"
            for it in ind.items:
                where = f"{iw} > items[{it.id}]"
                unique("item", it.id, where)
                if not it.id.startswith(prefix):
                    problems.append(f"{where}: item id must start with '{prefix}' (its indicator)")
    return problems


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook YAML file (default ``params/questionnaire.yaml``).

    Raises :class:`CodebookError` naming the file and every problem's place: unknown keys
    (typos), missing fields, unknown item types, wrong scoring rules, duplicate ids and weights
    that do not sum to 1.
    """
    path = Path(path) if path is not None else params_dir() / "questionnaire.yaml"
    try:
        raw = read_yaml(path)
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook file not found") from None
    except yaml.YAMLError as e:
        raise CodebookError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: top level must be a mapping with 'pillars', 'bands', ...")
    try:
        cb = Codebook.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (a typo?)"
            elif err["type"] == "literal_error":
                msg = f"{err['input']!r}: {msg}"
            lines.append(f"  {_place(raw, tuple(err['loc']))}: {msg}")
        raise CodebookError(f"{path}: invalid codebook\n" + "\n".join(lines)) from None
    problems = _check_structure(cb)
    if problems:
        raise CodebookError(f"{path}: invalid codebook\n" + "\n".join("  " + p for p in problems))
    return cb
