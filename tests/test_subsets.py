"""Any subset of provinces, end to end through ``python -m analysis report --raw``, and modelling
choices that reach every step.

Each case cuts the bundled sample export down (rows kept as they are, the raw province text
matched the way cleaning matches it), runs the whole pipeline in a subprocess into a temporary
outputs folder (building the pages of a few provinces), and checks what a reader would see:
provinces without data have no index, band or rank and a page that says why; aggregates use what
exists; the national overview says how many provinces have data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cleaning.normalise import ProvinceMatcher
from analysis.core.paths import project_root, sample_dir
from analysis.indicators.choices import load_choices
from analysis.indicators.scores import agency_scores
from analysis.instrument.codebook import load_codebook
from analysis.instrument.reference import load_provinces
from analysis.pipeline.run import parse_choices
from analysis.stats.multilevel import icc
from analysis.stats.run import DECIMALS

LAMPHUN = "TH-51"
WEST = ("TH-70", "TH-71", "TH-63", "TH-76", "TH-77")


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    """The sample export as text, with each row's province as cleaning would match it."""
    raw = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw["_code"] = ProvinceMatcher(load_provinces()).match_many(raw["province"])["code"].to_numpy()
    return raw


def _write(rows: pd.DataFrame, path: Path) -> Path:
    rows.drop(columns="_code").to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _report(tmp: Path, export_path: Path, pages: str, *extra: str) -> Path:
    out = tmp / "outputs"
    cmd = [sys.executable, "-m", "analysis", "report", "--raw", str(export_path), "--outputs", str(out),
           "--provinces", pages, "--lang", "th,en", "--workers", "2", *extra]
    res = subprocess.run(cmd, cwd=project_root(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out


def _page(out: Path, code: str, lang: str) -> str:
    return (out / "site" / "provinces" / f"{code}.{lang}.html").read_text(encoding="utf-8")


def _no_data_province_is_said(out: Path, code: str) -> None:
    prov = pd.read_parquet(out / "index" / "province_scores.parquet").set_index("province")
    row = prov.loc[code]
    assert row["n_agencies"] == 0
    assert pd.isna(row["index"]) and pd.isna(row["index_low"]) and pd.isna(row["band"])
    assert pd.isna(row["rank"]) and pd.isna(row["rank_low"]) and pd.isna(row["band_probability"])
    assert pd.isna(row["mc_rank_median"])
    assert "has no index, band or rank" in _page(out, code, "en")
    assert "ไม่มีดัชนี ระดับ หรืออันดับ" in _page(out, code, "th")


def _ranks_are_among_provinces_with_data(out: Path) -> pd.DataFrame:
    prov = pd.read_parquet(out / "index" / "province_scores.parquet")
    has = prov["index"].notna()
    assert (prov["n_ranked"] == has.sum()).all()
    assert sorted(prov.loc[has, "rank"].astype(int)) == list(range(1, has.sum() + 1))  # no ties in the sample
    assert prov.loc[has, "rank_high"].max() <= has.sum()
    return prov


def test_lamphun_missing_with_a_non_default_choice(export: pd.DataFrame, tmp_path: Path) -> None:
    """75 provinces, geometric aggregation: every step follows the choice; Lamphun is shown as missing."""
    path = _write(export[export["_code"] != LAMPHUN], tmp_path / "no_lamphun.csv")
    out = _report(tmp_path, path, f"{LAMPHUN},TH-50", "--choice", "aggregation=geometric")
    _no_data_province_is_said(out, LAMPHUN)
    prov = _ranks_are_among_provinces_with_data(out)
    assert prov["index"].notna().sum() == 75
    overview = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert "in 75 of the 76 provinces" in overview and "Lamphun" in overview

    # The published agency scores are geometric, and reliability describes exactly those.
    cb = load_codebook()
    clean = pd.read_parquet(out / "clean" / "clean_responses.parquet")
    expected = agency_scores(clean, cb, load_choices(aggregation="geometric"))
    published = pd.read_parquet(out / "index" / "agency_scores.parquet")
    assert np.allclose(published["index"], expected["index"].round(6), atol=1e-6, equal_nan=True)
    arithmetic = agency_scores(clean, cb, load_choices())
    assert not np.allclose(published["index"], arithmetic["index"], atol=0.5, equal_nan=True)
    icc_table = pd.read_parquet(out / "reliability" / "icc.parquet")
    stored = icc_table[(icc_table["score"] == "index") & (icc_table["type"] == "ICC1")]["icc"].iloc[0]
    geometric = icc(expected["index"], expected["province"]).set_index("type").loc["ICC1", "icc"]
    not_geometric = icc(arithmetic["index"], arithmetic["province"]).set_index("type").loc["ICC1", "icc"]
    assert stored == pytest.approx(geometric, abs=10**-DECIMALS)
    assert abs(stored - not_geometric) > 10**-DECIMALS
    settings = json.loads((out / "reliability" / "settings.json").read_text(encoding="utf-8"))
    assert settings["index"]["choices"]["aggregation"] == "geometric"
    record = json.loads((out / "run_record.json").read_text(encoding="utf-8"))
    assert record["index"]["choices"]["aggregation"] == "geometric"
    assert record["inputs"][0]["sha256"] and record["packages"]["numpy"] and record["platform"]["blas"]

    # The page prints the geometric province index.
    chiang_mai = prov.set_index("province").loc["TH-50", "index"]
    assert f"{chiang_mai:.1f} out of 100" in _page(out, "TH-50", "en")


def test_ten_provinces_one_with_a_single_agency_and_no_west(export: pd.DataFrame, tmp_path: Path) -> None:
    """An interim export: 10 provinces (none in the West region), one of them with one agency."""
    keep = ["TH-50", "TH-57", "TH-30", "TH-40", "TH-12", "TH-20", "TH-21", "TH-90", "TH-80", "TH-83"]
    rows = export[export["_code"].isin(keep)]
    single = rows[rows["_code"] == "TH-83"].head(1)
    rows = pd.concat([rows[rows["_code"] != "TH-83"], single])
    path = _write(rows, tmp_path / "ten.csv")
    out = _report(tmp_path, path, "TH-83,TH-70,TH-50")
    prov = _ranks_are_among_provinces_with_data(out).set_index("province")
    assert prov["index"].notna().sum() == 10
    phuket = prov.loc["TH-83"]
    assert phuket["n_agencies"] == 1 and pd.notna(phuket["index"]) and pd.notna(phuket["rank"])
    # One agency: no bootstrap interval for the direct mean; the published EB estimate has one, from the
    # pooled within-province variance, and leans on the region (it is shrunk most)
    assert pd.isna(phuket["direct_index_low"]), "one agency gives no bootstrap interval"
    assert phuket["estimator"] == "eb" and phuket["index_low"] < phuket["index"] < phuket["index_high"]
    _no_data_province_is_said(out, "TH-70")
    assert prov.loc[list(WEST), "index"].isna().all()
    regions = pd.read_parquet(out / "index" / "aggregates.parquet").query("level == 'region'")["group"]
    assert "West" not in set(regions)
    assert "1 of the 19 agencies" in _page(out, "TH-83", "en")
    assert "no interval: a single agency responded" not in _page(out, "TH-83", "en")
    overview = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert "in 10 of the 76 provinces" in overview
    cmp = pd.read_parquet(out / "reliability" / "province_vs_nation.parquet").set_index("group")
    assert cmp.loc["TH-83", "label"] == "not tested"
    efa = pd.read_parquet(out / "reliability" / "efa_variance.parquet")
    assert efa["note"].str.startswith("not computed").all()


def test_one_province(export: pd.DataFrame, tmp_path: Path) -> None:
    """An export from a single province: no ranking to speak of, no between-province statistics."""
    path = _write(export[export["_code"] == "TH-50"], tmp_path / "one.csv")
    out = _report(tmp_path, path, "TH-50,TH-51")
    prov = _ranks_are_among_provinces_with_data(out).set_index("province")
    assert prov.loc["TH-50", "rank"] == 1 and prov.loc["TH-50", "n_ranked"] == 1
    _no_data_province_is_said(out, "TH-51")
    icc_table = pd.read_parquet(out / "reliability" / "icc.parquet")
    assert icc_table["icc"].isna().all()
    assert "1 of 1 provinces" in _page(out, "TH-50", "en")
    overview = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert "in 1 of the 76 provinces" in overview and "none: data from one province only" in overview
    assert "nan–" not in overview and ">nan<" not in overview


@pytest.mark.parametrize(("pairs", "message"), [
    (["aggregation=median"], "aggregation='median'"),
    (["aggregaton=geometric"], "unknown choice 'aggregaton'"),
    (["aggregation"], "name=value"),
    (["geometric_floor=low"], "must be a number"),
])
def test_bad_choices_are_named(pairs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_choices(pairs)


def test_choices_are_parsed() -> None:
    assert parse_choices(["aggregation=geometric", "geometric_floor=2"]) == {"aggregation": "geometric",
                                                                            "geometric_floor": 2.0}


def test_bad_choice_on_the_command_line_exits_with_the_reason() -> None:
    res = subprocess.run([sys.executable, "-m", "analysis", "report", "--choice", "weights=magic"],
                         cwd=project_root(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "weights='magic'" in res.stderr and "codebook" in res.stderr
