"""Reference data: the 77 provinces (76 in the survey) and the 19 surveyed agency types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core.paths import params_dir, read_yaml

#: Region codes with Thai and English names (the six-region grouping).
REGIONS: dict[str, tuple[str, str]] = {
    "north": ("ภาคเหนือ", "North"),
    "central": ("ภาคกลาง", "Central"),
    "northeast": ("ภาคตะวันออกเฉียงเหนือ", "Northeast"),
    "west": ("ภาคตะวันตก", "West"),
    "east": ("ภาคตะวันออก", "East"),
    "south": ("ภาคใต้", "South"),
}


def load_provinces(path: str | Path | None = None, *, in_survey_only: bool = False) -> pd.DataFrame:
    """Provinces with ISO 3166-2 code, DOPA code, names, abbreviations and region.

    Columns: ``iso_code`` (``TH-50``), ``dopa_code``, ``name_th``, ``name_en``, ``abbr_th``,
    ``abbr_en``, ``region``, ``region_th``, ``region_en``, ``in_survey`` (False for Bangkok),
    ``name_variants_en`` (pipe-separated alternative romanisations).
    """
    path = Path(path) if path is not None else params_dir() / "provinces.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    bad = sorted(set(df["region"]) - set(REGIONS))
    if bad:
        raise ValueError(f"{path}: column 'region' has unknown regions {bad}")
    df["in_survey"] = df["in_survey"].map({"True": True, "False": False})
    if df["in_survey"].isna().any():
        row = int(df.index[df["in_survey"].isna()][0]) + 2
        raise ValueError(f"{path}: row {row}, column 'in_survey' must be True or False")
    df["region_th"] = df["region"].map(lambda r: REGIONS[r][0])
    df["region_en"] = df["region"].map(lambda r: REGIONS[r][1])
    if in_survey_only:
        df = df[df["in_survey"]].reset_index(drop=True)
    return df


def load_agencies(path: str | Path | None = None) -> pd.DataFrame:
    """The surveyed agency types: ``code``, ``name_th``, ``name_en``, ``abbr_th``, ``aliases``."""
    path = Path(path) if path is not None else params_dir() / "agencies.yaml"
    raw = read_yaml(path)
    df = pd.DataFrame(raw["agencies"])
    if df["code"].duplicated().any():
        raise ValueError(f"{path}: duplicate agency codes {sorted(df.loc[df['code'].duplicated(), 'code'])}")
    df["aliases"] = df["aliases"].map(lambda a: list(a) if isinstance(a, list) else [])
    return df
