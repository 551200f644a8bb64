"""Shared fixtures: the codebook, one in-memory sample export, and upstream outputs of the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cleaning.clean import run_cleaning
from analysis.core.paths import sample_dir
from analysis.indicators.choices import load_choices, load_index_config
from analysis.indicators.run import run_index
from analysis.instrument.codebook import Codebook, load_codebook
from analysis.stats.run import run_reliability
from analysis.synthetic import sample


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture(scope="session")
def export(codebook: Codebook) -> sample.SampleExport:
    """The sample export regenerated from params/sample.yaml (same seed as the committed one)."""
    return sample.generate(codebook)


@pytest.fixture(scope="session")
def outputs(codebook: Codebook, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Upstream outputs for the sample in a temporary outputs/ folder (CFA skipped, fewer resamples)."""
    out = tmp_path_factory.mktemp("outputs")
    res = run_cleaning([sample_dir() / "survey_export.csv"], out / "clean", codebook)
    cfg = load_index_config()
    cfg["bootstrap"]["n"], cfg["monte_carlo"]["n"], cfg["monte_carlo"]["sobol_base"] = 300, 100, 16
    tables = run_index(res.clean, codebook, load_choices(), cfg, out / "index")
    run_reliability(res.clean, tables["agency_scores"], codebook, out / "reliability", n_boot=50, with_cfa=False)
    return out
