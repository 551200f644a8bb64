"""Uncertainty of province scores and ranks: BCa bootstrap over agencies, Monte-Carlo over choices.

* :func:`province_bootstrap`: for every province at once, resample its responding agencies and
  give each score a BCa interval (Efron 1987), the probability of each readiness band, and the
  rank's median and interval over the joint draws.
* :func:`choice_uncertainty`: draw the modelling choices of ``params/index.yaml`` (and perturbed
  pillar weights) at random, as COINr does, to give each province's median rank and 5-95 % rank
  band, and Saltelli-sampled first-order and total Sobol indices (SALib) of each choice on the
  mean absolute rank shift.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy.special import ndtr, ndtri

from analysis.codebook import Codebook
from analysis.index import (
    AGGREGATIONS,
    MISSING,
    NORMALISATIONS,
    WEIGHTINGS,
    Choices,
    agency_scores,
    aggregate,
    aggregates,
    band_index,
    bands,
    canonical_order,
    impute_type_mean,
    normalise_items,
    pillar_scores,
    pillar_weights,
    province_item_means,
    province_means,
    score_columns,
)
from analysis.numerics import group_sum, rank_desc, round_frame, share_below
from analysis.reference import load_provinces
from analysis.safeio import write_json, write_table


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


def _rank_or_missing(values: np.ndarray, has_data: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest) of the provinces with data; missing (``<NA>``) for the others."""
    ranks = rank_desc(values).astype(float)
    ranks[~has_data] = np.nan
    return ranks


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
    out["rank"] = pd.array(_rank_or_missing(out["index"].to_numpy(), has), dtype="Int64")
    for col, values in (("rank_median", np.median(ranks, axis=1)),
                        ("rank_low", np.percentile(ranks, tail, axis=1, method="lower")),
                        ("rank_high", np.percentile(ranks, 100 - tail, axis=1, method="higher"))):
        full = np.full(len(out), np.nan)
        full[has] = values
        out[col] = full if col == "rank_median" else pd.array(full, dtype="Int64")
    return out


# --- Monte-Carlo over modelling choices -------------------------------------------------------------


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

    def province_index(self, norm: str, agg: str, weights: str, miss: str, multipliers: np.ndarray) -> np.ndarray:
        """Province mean index under one set of choices and pillar-weight multipliers."""
        within = "equal" if weights == "equal" else "codebook"
        key = (norm, agg, within, miss)
        w = self.pca[key] if weights == "pca" else pillar_weights(self.codebook, weights).to_numpy()
        w = w * multipliers
        idx = aggregate(self.pillars[key], w / w.sum(), agg, self.base.geometric_floor, self.base.min_answered_share)
        ok = ~np.isnan(idx)
        k = len(self.provinces)
        with np.errstate(invalid="ignore", divide="ignore"):
            return group_sum(np.where(ok, idx, 0.0), self.codes, k) / group_sum(ok, self.codes, k)

    def nominal(self) -> np.ndarray:
        """Province index under the base choices."""
        b = self.base
        return self.province_index(b.normalisation, b.aggregation, b.weights, b.missing, np.ones(len(self.pillar_ids)))


_LEVELS = {"normalisation": NORMALISATIONS, "aggregation": AGGREGATIONS, "weights": WEIGHTINGS, "missing": MISSING}


def _decode(row: np.ndarray, n_pillars: int, perturbation: float) -> tuple[list[str], np.ndarray]:
    """Map a unit-cube point to discrete choices and weight multipliers."""
    choices = [levels[min(int(u * len(levels)), len(levels) - 1)] for u, levels in zip(row[:4], _LEVELS.values(), strict=True)]
    mult = 1 - perturbation + 2 * perturbation * row[4: 4 + n_pillars]
    return choices, mult


def _evaluate(model: ChoiceModel, row: np.ndarray, perturbation: float) -> np.ndarray:
    """Province index at one unit-cube point of the choice space."""
    choices, mult = _decode(row, len(model.pillar_ids), perturbation)
    return model.province_index(*choices, mult)


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
    columns = {
        "rank_nominal": nominal_rank,
        "mc_rank_median": np.median(ranks, axis=1),
        "mc_rank_p05": np.percentile(ranks, 5, axis=1, method="lower"),
        "mc_rank_p95": np.percentile(ranks, 95, axis=1, method="higher"),
        "mc_mean_abs_shift": np.abs(ranks - nominal_rank[:, None]).mean(axis=1),
    }
    rank_table = pd.DataFrame({"province": model.provinces})
    for name, values in columns.items():  # provinces without data: no rank
        full = np.full(len(model.provinces), np.nan)
        full[has] = values
        rank_table[name] = full if name in ("mc_rank_median", "mc_mean_abs_shift") else pd.array(full, dtype="Int64")
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


#: Decimals at which the index tables are stored (scores on 0-100; probabilities; Sobol indices).
DECIMALS = 6


def run_index(clean: pd.DataFrame, codebook: Codebook, choices: Choices, config: dict[str, Any],
              out_dir: Any) -> dict[str, pd.DataFrame]:
    """Scores, bootstrap and Monte-Carlo in one go; write every table to ``out_dir`` (Parquet + CSV).

    Tables: ``agency_scores``, ``province_scores`` (index and pillars with BCa intervals, band and
    its probability, rank and rank interval, Monte-Carlo rank band), ``aggregates``, ``sobol``.
    """
    bc, mc = config["bootstrap"], config["monte_carlo"]
    agencies = agency_scores(clean, codebook, choices)
    provinces = province_bootstrap(agencies, codebook, bc["n"], bc["confidence"], bc["rank_interval"], bc["seed"])
    ranks, sobol = choice_uncertainty(clean, codebook, choices, mc["n"], mc["sobol_base"], mc["weight_perturbation"],
                                      mc["seed"])
    provinces = provinces.merge(ranks.drop(columns="rank_nominal"), on="province", how="left")
    tables = {"agency_scores": agencies, "province_scores": provinces, "aggregates": aggregates(agencies, codebook),
              "sobol": sobol, "province_items": province_item_means(clean, codebook, choices.normalisation)}
    out = Path(out_dir)
    for name, df in tables.items():
        write_table(round_frame(df, DECIMALS), out / name)
    write_json({"choices": {k: getattr(choices, k) for k in Choices.__dataclass_fields__},
                "bootstrap": bc, "monte_carlo": mc}, out / "index_settings.json")
    return tables
