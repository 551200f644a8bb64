"""Agency scores summarised: province means, national, regional and agency-type means with
cluster-robust intervals, and province item means.
"""

from __future__ import annotations

import pandas as pd

from analysis.indicators.clusterrobust import cluster_mean_cr2
from analysis.indicators.scores import normalise_items, score_columns
from analysis.instrument.codebook import Codebook
from analysis.instrument.reference import load_provinces


def province_means(agencies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Mean index and pillar scores of each surveyed province's responding agencies."""
    provinces = load_provinces(in_survey_only=True)
    cols = score_columns(codebook)
    means = agencies.groupby("province")[cols].mean()
    out = provinces[["iso_code", "name_th", "name_en", "region", "region_th", "region_en"]].set_index("iso_code")
    out["n_agencies"] = agencies.groupby("province").size().reindex(out.index).fillna(0).astype(int)
    out = out.join(means)
    out.index.name = "province"
    return out.reset_index()


def aggregates(agencies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """National, regional and agency-type means of agencies with 95 % cluster-robust intervals.

    Agencies of one province share the province's conditions, so they are not independent: the
    interval is CR2 with Satterthwaite degrees of freedom, clustered by province
    (:func:`analysis.indicators.clusterrobust.cluster_mean_cr2`), which keeps its coverage with the
    5 to 7 provinces of the smaller regions where CR1 with t(G - 1) falls short (Bell & McCaffrey
    2002; Pustejovsky & Tipton 2018). Columns: level, group, counts, each score with
    ``_low``/``_high``, and the share of agencies in each band.
    """
    cols = score_columns(codebook)
    rows = []
    for level, key in (("national", None), ("region", "region"), ("agency_type", "agency")):
        groups = [("all", agencies)] if key is None else list(agencies.groupby(key))
        for name, g in groups:
            row = {"level": level, "group": name, "n_agencies": len(g), "n_provinces": g["province"].nunique()}
            for c in cols:
                row[c], row[f"{c}_low"], row[f"{c}_high"], _ = cluster_mean_cr2(g[c], g["province"])
            row.update({f"share_{b}": float((g["band"] == b).mean()) for b in codebook.bands_table()["band"]})
            rows.append(row)
    return pd.DataFrame(rows)


def province_item_means(clean: pd.DataFrame, codebook: Codebook, normalisation: str = "goalposts") -> pd.DataFrame:
    """Mean item score (0-100) of each province's responding agencies, long format.

    Columns: province, item, indicator, pillar, score, n_answered. The province report reads this
    to find its weakest items and show their recommendations.
    """
    scores = normalise_items(clean, codebook, normalisation)
    scores.insert(0, "province", clean["province"].to_numpy())
    long = scores.melt(id_vars="province", var_name="item", value_name="score")
    out = long.groupby(["province", "item"], sort=True)["score"].agg(["mean", "count"]).reset_index()
    out = out.rename(columns={"mean": "score", "count": "n_answered"})
    items = codebook.items_table().set_index("item")
    out["indicator"] = out["item"].map(items["indicator"])
    out["pillar"] = out["item"].map(items["pillar"])
    return out[["province", "pillar", "indicator", "item", "score", "n_answered"]]
