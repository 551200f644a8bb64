"""Same stored numbers on every machine, proven by perturbation on this one.

Another CPU changes a result only in its last bits (a different BLAS kernel, a different SIMD
path). These tests stand in for machines we cannot try: they add a few ULPs of noise to the clean
answers, shuffle the rows, and assert that every stored table is byte-identical. They also pin
the tie rules that make discrete outcomes (BCa's z0, bands, ranks) immune to such noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import rankdata

from analysis.cleaning.clean import clean_responses
from analysis.cleaning.reading import read_exports
from analysis.core import numerics
from analysis.core.paths import sample_dir
from analysis.indicators.bootstrap import bca_interval, bootstrap_means
from analysis.indicators.choices import load_choices, load_index_config
from analysis.indicators.run import run_index
from analysis.indicators.scores import agency_scores, aggregate, bands
from analysis.instrument.codebook import Codebook
from analysis.stats.run import run_reliability


@pytest.fixture(scope="module")
def clean(codebook: Codebook) -> pd.DataFrame:
    raw, _ = read_exports([sample_dir() / "survey_export.csv"], codebook)
    return clean_responses(raw, codebook).clean


def _ulp_noise(clean: pd.DataFrame, codebook: Codebook, seed: int) -> pd.DataFrame:
    """Every answer moved by -3..+3 ULPs (np.nextafter), rows shuffled."""
    rng = np.random.default_rng(seed)
    out = clean.copy()
    for item in codebook.item_ids:
        x = out[item].astype(float).to_numpy()
        steps = rng.integers(-3, 4, size=len(x))
        for _ in range(3):
            x = np.where(steps > 0, np.nextafter(x, np.inf), np.where(steps < 0, np.nextafter(x, -np.inf), x))
            steps = steps - np.sign(steps)
        out[item] = x
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _tables(clean: pd.DataFrame, codebook: Codebook, out, choices) -> dict[str, bytes]:
    cfg = load_index_config()
    cfg["bootstrap"]["n"], cfg["monte_carlo"]["n"], cfg["monte_carlo"]["sobol_base"] = 400, 60, 16
    tables = run_index(clean, codebook, choices, cfg, out / "index")
    run_reliability(clean, tables["agency_scores"], codebook, out / "reliability", n_boot=60)
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for p in sorted(out.glob("*/*.csv"))}


@pytest.mark.parametrize("choice", [{}, {"aggregation": "geometric"}, {"weights": "pca", "normalisation": "zscore"}])
def test_stored_tables_ignore_ulp_noise_and_row_order(clean, codebook, tmp_path, choice) -> None:
    """ULP noise in every answer plus shuffled rows: all 16 index and reliability CSVs byte-identical,
    under the default choices, geometric means (exp and log) and PCA weights (LAPACK)."""
    choices = load_choices(**choice)
    base = _tables(clean, codebook, tmp_path / "base", choices)
    noisy = _tables(_ulp_noise(clean, codebook, seed=1), codebook, tmp_path / "noisy", choices)
    assert len(base) >= 16 and base.keys() == noisy.keys()
    differ = [name for name in base if base[name] != noisy[name]]
    assert not differ, f"tables changed by last-bit noise or row order: {differ}"


def test_perturbation_does_reach_the_computation(clean, codebook) -> None:
    """The noise is real: unrounded agency scores do move in their last bits under it."""
    a = agency_scores(clean, codebook, load_choices(aggregation="geometric"))
    b = agency_scores(_ulp_noise(clean, codebook, seed=1), codebook, load_choices(aggregation="geometric"))
    diff = np.abs(a["index"].to_numpy() - b["index"].to_numpy())
    assert np.nanmax(diff) > 0 and np.nanmax(diff) < 1e-10


# --------------------------------------------------------------------------- tie rules


def test_z0_counts_ties_as_half_like_scipy() -> None:
    """Two values 0 and 1: a third of resample means equal the mean in exact arithmetic."""
    x = np.array([[0.0, 1.0, 0.5, 0.5]])
    n = np.array([4])
    draws = bootstrap_means(x, n, 4000, np.random.default_rng(3))
    exact = numerics.share_below(draws, np.array([0.5]))[0]
    strict = np.mean(draws < 0.5)
    ties = np.mean(np.abs(draws - 0.5) <= 1e-12)
    assert ties > 0.1
    assert exact == pytest.approx(strict + ties / 2)
    # the same draws with each tie nudged by an ULP either way give the same share
    nudged = np.where(np.abs(draws - 0.5) <= 1e-12, np.nextafter(0.5, np.resize([-1.0, 1.0], draws.shape)), draws)
    assert numerics.share_below(nudged, np.array([0.5]))[0] == exact


def test_bca_interval_ignores_ulp_noise_in_tied_draws() -> None:
    """With discrete answers a strict `<` moved the BCa bound by a whole order statistic."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(1, 16)).astype(float) * 25
    n = np.array([16])
    draws = bootstrap_means(x, n, 2000, np.random.default_rng(1))
    theta = x.mean()
    noisy = np.where(draws == theta, np.nextafter(theta, -np.inf), draws)
    assert (noisy != draws).any()
    assert bca_interval(x, n, draws, 0.95) == bca_interval(x, n, noisy, 0.95)


def test_bca_agrees_with_scipy_on_tie_free_data() -> None:
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 10.0, size=18)
    draws = bootstrap_means(y[None, :], np.array([18]), 20000, np.random.default_rng(5))
    lo, hi = bca_interval(y[None, :], np.array([18]), draws, 0.95)
    ref = stats.bootstrap((y,), np.mean, n_resamples=20000, method="BCa", rng=np.random.default_rng(6))
    assert lo[0] == pytest.approx(ref.confidence_interval.low, abs=0.35)
    assert hi[0] == pytest.approx(ref.confidence_interval.high, abs=0.35)


def test_single_agency_has_no_interval_and_empty_province_nothing() -> None:
    x = np.array([[40.0, np.nan], [np.nan, np.nan], [30.0, 50.0]])
    n = np.array([1, 0, 2])
    draws = bootstrap_means(x, n, 500, np.random.default_rng(0))
    assert np.isnan(draws[1]).all() and (draws[0] == 40.0).all()
    lo, hi = bca_interval(x, n, draws, 0.95)
    assert np.isnan([lo[0], hi[0], lo[1], hi[1]]).all()
    assert 30.0 <= lo[2] <= hi[2] <= 50.0


def test_ranks_tie_within_tolerance_and_match_scipy_otherwise() -> None:
    v = np.array([50.0, 60.0, 50.0 + 1e-13, np.nan, 40.0, 60.0 - 5e-14])
    assert numerics.rank_desc(v).tolist() == [3, 1, 3, 6, 5, 1]
    rng = np.random.default_rng(2)
    m = rng.normal(50, 10, size=(76, 30))
    m[5, :] = np.nan
    expected = rankdata(-np.where(np.isnan(m), -np.inf, m), method="min", axis=0)
    assert (numerics.rank_desc(m) == expected).all()
    assert numerics.rank_desc(np.array([np.nan, np.nan])).tolist() == [1, 1]


def test_band_on_a_cut_off_is_the_band_above_despite_last_bit_noise(codebook: Codebook) -> None:
    below = np.nextafter(50.0, 0.0)
    assert bands(np.array([below, 50.0, np.nextafter(50.0, 100.0)]), codebook).tolist() == ["high"] * 3
    assert bands(np.array([49.99]), codebook).tolist() == ["middle"]


def test_aggregation_has_no_blas_and_equals_the_product_on_exact_data() -> None:
    v = np.array([[20.0, 80.0, 50.0], [np.nan, 40.0, 60.0]])
    w = np.array([0.25, 0.25, 0.5])
    assert numerics.weighted_row_sum(np.nan_to_num(v), w).tolist() == (np.nan_to_num(v) @ w).tolist()
    assert aggregate(v, w).tolist() == [50.0, pytest.approx(160 / 3)]
    assert numerics.group_sum(np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), 4).tolist() == [2.0, 0.0, 4.0, 0.0]
