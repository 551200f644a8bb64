"""The index step in one call: scores, bootstrap and Monte-Carlo, written as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.numerics import round_frame
from analysis.core.safeio import write_json, write_table
from analysis.indicators.aggregates import aggregates, province_item_means
from analysis.indicators.bootstrap import province_bootstrap
from analysis.indicators.choices import Choices
from analysis.indicators.estimates import published_scores
from analysis.indicators.scores import (
    agency_scores,
)
from analysis.indicators.sensitivity import choice_uncertainty
from analysis.instrument.codebook import Codebook
from analysis.instrument.reference import load_provinces

#: Decimals at which the index tables are stored (scores on 0-100; probabilities; Sobol indices).
DECIMALS = 6


def run_index(clean: pd.DataFrame, codebook: Codebook, choices: Choices, config: dict[str, Any],
              out_dir: Any) -> dict[str, pd.DataFrame]:
    """Scores, bootstrap and Monte-Carlo in one go; write every table to ``out_dir`` (Parquet + CSV).

    Tables: ``agency_scores``, ``province_scores`` (index and pillars by the configured
    ``province_estimator``, :func:`analysis.indicators.estimates.published_scores`: empirical Bayes by
    default, the direct means with BCa intervals kept beside; band and its probability, rank and
    rank interval, Monte-Carlo rank band), ``aggregates``, ``sobol``.
    """
    bc, mc = config["bootstrap"], config["monte_carlo"]
    agencies = agency_scores(clean, codebook, choices)
    provinces = province_bootstrap(agencies, codebook, bc["n"], bc["confidence"], bc["rank_interval"], bc["seed"])
    provinces = published_scores(provinces, agencies, load_provinces(in_survey_only=True), codebook,
                                 estimator=config.get("province_estimator", "eb"), confidence=bc["confidence"],
                                 rank_level=bc["rank_interval"], seed=bc["seed"])
    ranks, sobol = choice_uncertainty(clean, codebook, choices, mc["n"], mc["sobol_base"], mc["weight_perturbation"],
                                      mc["seed"])
    provinces = provinces.merge(ranks.drop(columns="rank_nominal"), on="province", how="left")
    tables = {"agency_scores": agencies, "province_scores": provinces, "aggregates": aggregates(agencies, codebook),
              "sobol": sobol, "province_items": province_item_means(clean, codebook, choices.normalisation)}
    out = Path(out_dir)
    for name, df in tables.items():
        write_table(round_frame(df, DECIMALS), out / name)
    write_json({"choices": {k: getattr(choices, k) for k in Choices.__dataclass_fields__},
                "province_estimator": config.get("province_estimator", "eb"), "bootstrap": bc, "monte_carlo": mc},
               out / "index_settings.json")
    return tables
