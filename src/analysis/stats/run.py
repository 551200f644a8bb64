"""The reliability step in one call: every table, written at the precision the methods reach."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core.numerics import round_frame
from analysis.core.safeio import write_json, write_table
from analysis.indicators.scores import canonical_order
from analysis.instrument.codebook import Codebook
from analysis.instrument.scoring import score_items
from analysis.stats.consistency import cronbach_alpha, item_analysis, omega
from analysis.stats.correlations import item_correlations
from analysis.stats.multilevel import compare_to_national, icc, icc_reml, rwg
from analysis.stats.structure import cfa, efa, kmo_bartlett, omega_hierarchical, parallel_analysis

#: Decimals at which the reliability tables are stored. Four: sampling error is in the second
#: decimal for every coefficient here, and the fits are converged to about 1e-8, so a stored
#: digit never depends on the machine.
DECIMALS = 4


def run_reliability(clean: pd.DataFrame, agencies: pd.DataFrame, codebook: Codebook, out_dir: str | Path, *,
                    n_boot: int = 2000, seed: int = 0, with_cfa: bool = True,
                    index_settings: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every reliability table for the clean responses, written to ``out_dir`` (Parquet + CSV).

    ``agencies`` are the published agency scores (``outputs/index/agency_scores``, written by the
    index step with its modelling choices), so that ICC, r_wg and the province tests describe the
    index that is published; ``index_settings`` (the index step's ``index_settings.json``) is
    recorded beside the tables as ``settings.json``. Item-level statistics use the goalpost item
    scores. Pillar consistency uses pairwise-complete covariances; the whole-instrument analyses
    (KMO, parallel analysis, EFA, omega hierarchical) start from the heterogeneous polychoric /
    polyserial / Pearson matrix (:func:`analysis.stats.correlations.item_correlations`), and every
    table reports the n it used. Tables are stored at :data:`DECIMALS` decimals.
    """
    items = codebook.items_table()
    clean = canonical_order(clean)
    scores = score_items(clean, codebook)
    likert = [it.id for it in codebook.items if it.type == "likert"]
    icc_rows = [pd.concat([icc(agencies[c], agencies["province"]), icc_reml(agencies[c], agencies["province"])])
                .assign(score=c) for c in ["index", *[p.id for p in codebook.pillars]]]
    corr = item_correlations(scores, items)
    fa = efa(corr, items)
    tables = {
        "alpha": cronbach_alpha(scores, items, corr=corr),
        "omega": omega(scores, items, n_boot=n_boot, seed=seed, corr=corr),
        "omega_hierarchical": omega_hierarchical(corr, items),
        "item_analysis": item_analysis(scores, items),
        "kmo_bartlett": kmo_bartlett(corr),
        "parallel_analysis": parallel_analysis(corr, seed=seed),
        "efa_loadings": fa.loadings,
        "efa_variance": fa.variance,
        "icc": pd.concat(icc_rows, ignore_index=True),
        "rwg": rwg(clean[likert], clean["province"], 1, 5),
        "province_vs_nation": compare_to_national(agencies["index"], agencies["province"]),
    }
    if with_cfa:
        tables["cfa"] = cfa(scores, items)
    out = Path(out_dir)
    for name, df in tables.items():
        write_table(round_frame(df, DECIMALS), out / name)
    write_json({"index": index_settings, "omega_bootstrap": {"n": n_boot, "seed": seed}, "decimals": DECIMALS},
               out / "settings.json")
    return tables
