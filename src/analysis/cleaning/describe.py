"""Descriptive tables of a raw export, before cleaning (for ``00_survey_overview``)."""

from __future__ import annotations

import pandas as pd

from analysis.cleaning.normalise import ProvinceMatcher, clean_text
from analysis.instrument.codebook import Codebook
from analysis.instrument.reference import load_agencies, load_provinces


def submissions_by_province(raw: pd.DataFrame) -> pd.DataFrame:
    """Submissions per province as matched by the province rules (unmatched text kept as is).

    Columns: ``iso_code``, ``name_th``, ``name_en``, ``region_en``, ``in_survey``, ``submissions``.
    """
    provinces = load_provinces()
    match = ProvinceMatcher(provinces).match_many(raw["province"].fillna(""))
    counts = match["code"].fillna("unmatched").value_counts()
    out = provinces[["iso_code", "name_th", "name_en", "region_en", "in_survey"]].copy()
    out["submissions"] = out["iso_code"].map(counts).fillna(0).astype(int)
    unmatched = raw.loc[match["code"].isna(), "province"].map(clean_text)
    extra = pd.DataFrame({
        "iso_code": ["(unmatched)"], "name_th": [", ".join(sorted(set(unmatched)))], "name_en": [""],
        "region_en": [""], "in_survey": [False], "submissions": [int(counts.get("unmatched", 0))],
    })
    return pd.concat([out, extra], ignore_index=True)


def submissions_by_region(by_province: pd.DataFrame) -> pd.DataFrame:
    """Surveyed provinces and submissions per region, with agencies contacted (every agency type of
    ``params/agencies.yaml`` in each province)."""
    p = by_province[by_province["in_survey"]]
    out = p.groupby("region_en").agg(provinces=("iso_code", "size"), submissions=("submissions", "sum"))
    out["agencies_contacted"] = out["provinces"] * len(load_agencies())
    out["submissions_per_agency"] = (out["submissions"] / out["agencies_contacted"]).round(3)
    return out.sort_values("provinces", ascending=False)


def answers_by_type(raw: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per item type: items, answer cells, share blank, and how many distinct spellings were typed."""
    items = codebook.items_table()
    rows = []
    for t, grp in items.groupby("type", sort=False):
        cells = raw[grp["item"]].fillna("").map(clean_text)
        rows.append({
            "type": t, "items": len(grp), "cells": cells.size,
            "share_blank": round(float((cells == "").to_numpy().mean()), 4),
            "distinct_texts": int(pd.unique(cells.to_numpy().ravel()).size),
            "examples": " / ".join(pd.Series(cells.to_numpy().ravel()).value_counts().index[:6]),
        })
    return pd.DataFrame(rows)
