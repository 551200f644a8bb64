"""A province's write-up: its numbers gathered from upstream outputs, and the names it is told in.

Nothing here recomputes statistics: it reads ``outputs/index``, ``outputs/reliability`` and
``outputs/clean`` (written once for all provinces) and gathers one province's rows; the sentences
are in the templates of :mod:`analysis.report.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.paths import outputs_dir
from analysis.instrument.codebook import Codebook, load_codebook
from analysis.instrument.reference import load_agencies, load_provinces
from analysis.report.labels import label


@dataclass
class ProvinceData:
    """One province's slice of every upstream table."""

    code: str
    province: pd.Series  # its row of province_scores
    agencies: pd.DataFrame  # its responding agencies' scores
    all_provinces: pd.DataFrame
    aggregates: pd.DataFrame
    items: pd.DataFrame  # its item means
    quarantine: pd.DataFrame  # its quarantined rows (no personal data)
    icc: pd.DataFrame
    rwg: pd.Series | None
    vs_nation: pd.Series | None
    codebook: Codebook
    agency_types: pd.DataFrame  # the 19 surveyed agency types (reference), in their reporting order
    n_tested: int  # provinces tested against the nation (with two or more agencies)

    @property
    def has_data(self) -> bool:
        """Whether any agency of the province returned a usable response (so there is an index)."""
        return bool(self.province["n_agencies"] > 0 and pd.notna(self.province["index"]))

    @property
    def n_ranked(self) -> int:
        """How many provinces have data and so a rank."""
        return int(self.all_provinces["index"].notna().sum())

    def national(self) -> pd.Series:
        """The national aggregate row."""
        return self._aggregate("national", "all")

    def region(self) -> pd.Series:
        """The aggregate row of the province's region (all missing when no agency of it responded)."""
        return self._aggregate("region", self.province["region"])

    def _aggregate(self, level: str, group: str) -> pd.Series:
        a = self.aggregates
        rows = a[(a["level"] == level) & (a["group"] == group)]
        if len(rows):
            return rows.iloc[0]
        return pd.Series(np.nan, index=a.columns, dtype=float)


def load_province(code: str, root: str | Path | None = None, codebook: Codebook | None = None) -> ProvinceData:
    """Gather one province's data from the outputs of the upstream steps.

    Raises ``ValueError`` for a code that is not a surveyed province, and ``FileNotFoundError``
    naming the step to run when an upstream output is missing.
    """
    root = Path(root) if root is not None else outputs_dir()
    cb = codebook or load_codebook()
    surveyed = load_provinces(in_survey_only=True)["iso_code"].tolist()
    if code not in surveyed:
        raise ValueError(f"province {code!r} is not one of the 76 surveyed provinces (TH-11 ... TH-96, not TH-10)")

    def read(rel: str, step: str) -> pd.DataFrame:
        path = root / rel
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run {step} first (or 'make report')")
        return pd.read_parquet(path)

    provinces = read("index/province_scores.parquet", "02_readiness_index")
    rel = read("reliability/rwg.parquet", "03_reliability")
    cmp = read("reliability/province_vs_nation.parquet", "03_reliability")
    quarantine = read("clean/quarantine.parquet", "01_clean_responses")
    items = read("index/province_items.parquet", "02_readiness_index")
    agencies = read("index/agency_scores.parquet", "02_readiness_index")
    rwg_row = rel[rel.iloc[:, 0] == code]
    cmp_row = cmp[cmp["group"] == code]
    return ProvinceData(
        code=code,
        province=provinces.set_index("province").loc[code],
        agencies=agencies[agencies["province"] == code].reset_index(drop=True),
        all_provinces=provinces,
        aggregates=read("index/aggregates.parquet", "02_readiness_index"),
        items=items[items["province"] == code].reset_index(drop=True),
        quarantine=quarantine[quarantine["province"] == code].reset_index(drop=True),
        icc=read("reliability/icc.parquet", "03_reliability"),
        rwg=rwg_row.iloc[0] if len(rwg_row) else None,
        vs_nation=cmp_row.iloc[0] if len(cmp_row) else None,
        codebook=cb,
        agency_types=load_agencies(),
        n_tested=int(cmp["p"].notna().sum()),
    )


# --- words ---------------------------------------------------------------------------------------

def name(d: ProvinceData, lang: str) -> str:
    """The province's name in the language (Thai with its จังหวัด prefix)."""
    return f"จังหวัด{d.province['name_th']}" if lang == "th" else str(d.province["name_en"])


def band_name(d: ProvinceData, code: str | None, lang: str) -> str:
    """A band's name in the language."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return label("chart", "no_data", lang)
    b = d.codebook.bands_table().set_index("band").loc[code]
    return str(b["name_th"] if lang == "th" else b["name_en"])


def pillar_name(d: ProvinceData, pid: str, lang: str) -> str:
    """A pillar's name in the language."""
    p = next(p for p in d.codebook.pillars if p.id == pid)
    return p.name_th if lang == "th" else p.name_en


def excluded_agencies(d: ProvinceData) -> dict[str, str]:
    """The agencies that responded but have no usable response: every row they sent was excluded
    (quarantined) when the data were checked.

    Parameters
    ----------
    d : ProvinceData
        The province.

    Returns
    -------
    dict of str to str
        Agency code -> the primary quarantine reason of its first excluded row (a key of
        ``labels.yaml``'s ``reasons``), in quarantine order; agencies with a usable response are left
        out even when another of their rows was excluded (a duplicate, say).
    """
    responded = set(d.agencies["agency"])
    out: dict[str, str] = {}
    if len(d.quarantine) and "agency" in d.quarantine:
        for r in d.quarantine.dropna(subset=["agency"]).itertuples():
            if r.agency not in responded:
                out.setdefault(str(r.agency), str(r.primary_reason))
    return out


def weakest_indicators(d: ProvinceData, k: int = 3) -> pd.DataFrame:
    """The ``k`` weakest indicators with their weakest item and its recommendation."""
    ind_cols = [i.id for p in d.codebook.pillars for i in p.indicators]
    means = d.agencies[ind_cols].mean().dropna().sort_values()
    rows = []
    for ind_id in means.index[:k]:
        its = d.items[d.items["indicator"] == ind_id].sort_values("score")
        it = d.codebook.item(its["item"].iloc[0])
        ind = next(i for p in d.codebook.pillars for i in p.indicators if i.id == ind_id)
        rows.append({"indicator": ind_id, "name_th": ind.name_th, "name_en": ind.name_en,
                     "score": float(means[ind_id]), "item": it.id, "item_score": float(its["score"].iloc[0]),
                     "recommendation_th": it.recommendation_th, "recommendation_en": it.recommendation_en})
    return pd.DataFrame(rows)


