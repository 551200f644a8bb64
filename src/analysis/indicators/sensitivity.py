"""Sensitivity of the ranking to the modelling choices (OECD/JRC handbook, step 7).

:func:`choice_uncertainty` draws the modelling choices of ``params/index.yaml`` (and perturbed
pillar weights) at random, as COINr does, to give each province's median rank and 5-95 % rank
band, and Saltelli-sampled first-order and total Sobol indices (SALib) of each choice on the mean
absolute rank shift.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from analysis.core.numerics import group_sum, rank_desc
from analysis.indicators.bootstrap import for_all_provinces
from analysis.indicators.choices import AGGREGATIONS, MISSING, NORMALISATIONS, WEIGHTINGS, Choices
from analysis.indicators.scores import (
    aggregate,
    canonical_order,
    impute_type_mean,
    normalise_items,
    pillar_scores,
    pillar_weights,
)
from analysis.instrument.codebook import Codebook
from analysis.instrument.reference import load_provinces


class ChoiceModel:
    """Precomputed pillar scores for every discrete choice, so each draw costs a few matrix products."""

    def __init__(self, clean: pd.DataFrame, codebook: Codebook, base: Choices) -> None:
        self.codebook = codebook
        self.base = base
        self.pillar_ids = [p.id for p in codebook.pillars]
        clean = canonical_order(clean)
        self.provinces = load_provinces(in_survey_only=True)["iso_code"].tolist()
        self.codes = pd.Categorical(clean["province"], categories=self.provinces).codes  # agency -> province
        self.pillars: dict[tuple[str, str, str, str], np.ndarray] = {}
        self.pca: dict[tuple[str, str, str, str], np.ndarray] = {}
        for norm, agg, within, miss in itertools.product(NORMALISATIONS, AGGREGATIONS, ("codebook", "equal"), MISSING):
            ch = replace(base, normalisation=norm, aggregation=agg, weights=within, missing=miss)
            items = normalise_items(clean, codebook, norm)
            if miss == "impute_type_mean":
                items = impute_type_mean(items, clean["agency"])
            _, pil = pillar_scores(items, codebook, ch)
            self.pillars[(norm, agg, within, miss)] = pil[self.pillar_ids].to_numpy()
            self.pca[(norm, agg, within, miss)] = pillar_weights(codebook, "pca", pil).to_numpy()

    def province_index(self, choices: Choices, multipliers: np.ndarray) -> np.ndarray:
        """Province mean index under one set of choices and pillar-weight multipliers."""
        within = "equal" if choices.weights == "equal" else "codebook"
        key = (choices.normalisation, choices.aggregation, within, choices.missing)
        w = self.pca[key] if choices.weights == "pca" else pillar_weights(self.codebook, choices.weights).to_numpy()
        w = w * multipliers
        idx = aggregate(self.pillars[key], w / w.sum(), choices.aggregation, choices.geometric_floor,
                        choices.min_answered_share)
        ok = ~np.isnan(idx)
        k = len(self.provinces)
        with np.errstate(invalid="ignore", divide="ignore"):
            return group_sum(np.where(ok, idx, 0.0), self.codes, k) / group_sum(ok, self.codes, k)

    def nominal(self) -> np.ndarray:
        """Province index under the base choices."""
        return self.province_index(self.base, np.ones(len(self.pillar_ids)))


_LEVELS = {"normalisation": NORMALISATIONS, "aggregation": AGGREGATIONS, "weights": WEIGHTINGS, "missing": MISSING}


def _decode(row: np.ndarray, base: Choices, n_pillars: int, perturbation: float) -> tuple[Choices, np.ndarray]:
    """Map a unit-cube point to the base choices with its discrete choices, and weight multipliers."""
    picked = {name: levels[min(int(u * len(levels)), len(levels) - 1)]
              for u, (name, levels) in zip(row[:4], _LEVELS.items(), strict=True)}
    mult = 1 - perturbation + 2 * perturbation * row[4: 4 + n_pillars]
    return replace(base, normalisation=picked["normalisation"], aggregation=picked["aggregation"],
                   weights=picked["weights"], missing=picked["missing"]), mult


def _evaluate(model: ChoiceModel, row: np.ndarray, perturbation: float) -> np.ndarray:
    """Province index at one unit-cube point of the choice space."""
    choices, mult = _decode(row, model.base, len(model.pillar_ids), perturbation)
    return model.province_index(choices, mult)


def choice_uncertainty(clean: pd.DataFrame, codebook: Codebook, base: Choices, n_draws: int = 1000,
                       sobol_base: int = 256, perturbation: float = 0.25, seed: int = 0,
                       model: ChoiceModel | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank bands over random modelling choices, and Sobol indices of each choice.

    Returns ``(ranks, sobol)``: per province the nominal rank, median rank and 5-95 % rank band
    over ``n_draws`` random draws; per choice (the four discrete choices and the pillar-weight
    perturbation as one group) first-order ``S1`` and total ``ST`` Sobol indices with 95 %
    confidence half-widths, on the mean absolute rank shift from the nominal ranking (COINr's
    summary output).
    """
    model = model or ChoiceModel(clean, codebook, base)
    k = len(model.pillar_ids)
    nominal = model.nominal()
    has = ~np.isnan(nominal)
    nominal_rank = rank_desc(nominal)[has]
    rng = np.random.default_rng(seed)
    unit = rng.random((n_draws, 4 + k))
    ranks = np.column_stack([rank_desc(_evaluate(model, u, perturbation))[has] for u in unit])
    rank_table = pd.DataFrame({  # provinces without data: no rank
        "province": model.provinces,
        "rank_nominal": for_all_provinces(nominal_rank, has, integer=True),
        "mc_rank_median": for_all_provinces(np.median(ranks, axis=1), has),
        "mc_rank_p05": for_all_provinces(np.percentile(ranks, 5, axis=1, method="lower"), has, integer=True),
        "mc_rank_p95": for_all_provinces(np.percentile(ranks, 95, axis=1, method="higher"), has, integer=True),
        "mc_mean_abs_shift": for_all_provinces(np.abs(ranks - nominal_rank[:, None]).mean(axis=1), has),
    })
    names = [*_LEVELS, *(f"w_{p}" for p in model.pillar_ids)]
    sobol = pd.DataFrame({"choice": [*_LEVELS, "pillar_weights"]})
    if has.sum() < 2:  # one province or none: no ranking, nothing for a choice to shift
        sobol[["S1", "S1_conf", "ST", "ST_conf"]] = np.nan
        sobol["evaluations"] = 0
        return rank_table, sobol
    problem: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names),
                               "groups": [*_LEVELS, *(["pillar_weights"] * k)]}
    x = sobol_sample.sample(problem, sobol_base, calc_second_order=False, scramble=True, seed=seed)
    y = np.array([np.abs(rank_desc(_evaluate(model, u, perturbation))[has] - nominal_rank).mean() for u in x])
    with np.errstate(invalid="ignore", divide="ignore"):  # no choice shifts any rank: indices undefined (NaN)
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    for col in ("S1", "S1_conf", "ST", "ST_conf"):
        sobol[col] = si[col]
    sobol["evaluations"] = len(x)
    return rank_table, sobol
