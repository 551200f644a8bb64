"""The sample export is deterministic, calibrated to the 2018 figures, and its defects documented."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.core.paths import sample_dir
from analysis.instrument.scoring import score_items
from analysis.synthetic import sample


@pytest.fixture(scope="module")
def written(export, tmp_path_factory) -> Path:
    return sample.write_sample(export, tmp_path_factory.mktemp("sample"))


@pytest.mark.parametrize(
    "name",
    ["survey_export.csv", "manifest.json", "truth/agencies.csv", "truth/provinces.csv", "truth/loadings.csv",
     "truth/pillars.csv", "truth/agency_types.csv", "truth/model.json"],
)
def test_committed_sample_is_reproduced_byte_for_byte(written: Path, name: str) -> None:
    assert (written / name).read_bytes() == (sample_dir() / name).read_bytes(), (
        f"data/sample/{name} differs from a regeneration; run 'make sample' and commit"
    )


def _cells(path: Path) -> list[tuple]:
    ws = load_workbook(path, read_only=True)["responses"]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_has_the_same_cells(written: Path) -> None:
    new, committed = _cells(written / "survey_export.xlsx"), _cells(sample_dir() / "survey_export.xlsx")
    assert new == committed
    csv = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(new[0]) == list(csv.columns)
    assert [tuple(v if v != "" else None for v in row) for row in csv.itertuples(index=False)] == new[1:]


def test_export_format(export, codebook) -> None:
    raw = (sample_dir() / "survey_export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "survey platforms export UTF-8 with a BOM"
    assert list(export.raw.columns) == [*sample.META_COLUMNS, *codebook.item_ids, "comments"]
    assert export.raw["submission_id"].is_unique


def test_calibrated_to_2018(export, codebook) -> None:
    m = export.manifest
    assert m["agencies_contacted"] == 1444
    assert 0.80 <= m["response_rate"] <= 0.90
    # Mean province score of responding agencies, scored by the codebook from the model's answers.
    agencies = export.truth["agencies"]
    responded = agencies["responded"].to_numpy()
    scores = score_items(export.codes, codebook)[responded]
    items = codebook.items_table().set_index("item")
    index = scores.mul(items["weight_overall"]).sum(axis=1)
    province_mean = index.groupby(agencies.loc[responded, "province"]).mean().mean()
    assert 44.2 <= province_mean <= 47.2, province_mean
    pillar = {
        p: scores[items.index[items["pillar"] == p]].mul(items.loc[items["pillar"] == p, "weight_in_pillar"])
        .sum(axis=1).mean()
        for p in ["P1", "P5", "P6"]
    }
    # 2018: staff capability 63.2 > policy 52.7 > smart technology 29.8
    assert pillar["P5"] > pillar["P1"] > pillar["P6"]
    assert pillar["P5"] == pytest.approx(63.2, abs=2.5)
    assert pillar["P6"] == pytest.approx(29.8, abs=2.5)


def test_manifest_documents_every_defect(export) -> None:
    m = json.loads((sample_dir() / "manifest.json").read_text(encoding="utf-8"))
    for kind in ("resubmission", "partial_only", "straight_lining", "bangkok", "test", "unknown_province",
                 "zero_width", "sara_e", "formula_comment", "html_comment", "province_misspelt"):
        assert m["defects"][kind]["count"] > 0, kind
        assert m["defects"][kind]["count"] == len(m["defects"][kind]["rows"])
    assert m["out_of_range"]["count"] > 0 and m["blank_cells"]["count"] > 0
    raw = export.raw.set_index("submission_id")
    for r in m["defects"]["zero_width"]["rows"]:
        assert any(ch in raw.at[r["submission_id"], r["column"]] for ch in "\u200b\u200d\ufeff\u00a0")
    for sid in m["defects"]["formula_comment"]["rows"]:
        assert raw.at[sid, "comments"][0] in "=+-@"
    for cell in m["out_of_range"]["cells"]:
        assert raw.at[cell["submission_id"], cell["item"]] == cell["value"]
    # every responding agency has exactly one final submission in the export
    final = export.truth["agencies"].dropna(subset=["final_submission_id"])
    assert final["final_submission_id"].isin(raw.index).all()
    assert len(final) == m["agencies_responding"]


def test_population_reliability_is_plausible(export) -> None:
    pillars = export.truth["pillars"]
    assert pillars["alpha_population"].between(0.7, 0.95).all()
    assert pillars["omega_population"].between(0.7, 0.95).all()


def test_seed_changes_the_draw(codebook) -> None:
    a = sample.generate(codebook, seed=1)
    b = sample.generate(codebook, seed=1)
    c = sample.generate(codebook, seed=2)
    pd.testing.assert_frame_equal(a.raw, b.raw)
    assert not np.array_equal(a.truth["provinces"]["latent_readiness"], c.truth["provinces"]["latent_readiness"])
