"""Readiness scores, bands and their uncertainty, against arithmetic facts, scipy and known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cleaning.clean import clean_responses
from analysis.cleaning.reading import read_exports
from analysis.core.paths import sample_dir
from analysis.indicators.bootstrap import bca_interval, bootstrap_means, province_bootstrap
from analysis.indicators.choices import load_choices, load_index_config
from analysis.indicators.run import run_index
from analysis.indicators.scores import agency_scores, aggregate, bands, pillar_weights
from analysis.indicators.sensitivity import choice_uncertainty


@pytest.fixture(scope="module")
def clean(codebook):
    raw, _ = read_exports([sample_dir() / "survey_export.csv"], codebook)
    return clean_responses(raw, codebook).clean


@pytest.fixture(scope="module")
def agencies(clean, codebook):
    return agency_scores(clean, codebook, load_choices())


def test_aggregate_by_hand() -> None:
    v = np.array([[50.0, 100.0], [50.0, np.nan], [0.0, 100.0]])
    w = np.array([0.5, 0.5])
    assert aggregate(v, w, "arithmetic", min_share=0.5) == pytest.approx([75.0, 50.0, 50.0])
    assert aggregate(v, w, "geometric", floor=1.0, min_share=0.5) == pytest.approx([np.sqrt(5000), 50.0, 10.0])
    assert np.isnan(aggregate(v, w, "arithmetic", min_share=0.6)[1])
    assert aggregate(np.array([[20.0, 80.0]]), np.array([0.25, 0.75])) == pytest.approx([65.0])


def test_bands_cut_offs(codebook) -> None:
    got = bands(np.array([0, 24.99, 25, 49.99, 50, 74.99, 75, 100, np.nan]), codebook).tolist()
    assert got == ["low", "low", "middle", "middle", "high", "high", "very_high", "very_high", None]


def test_geometric_never_exceeds_arithmetic(clean, codebook, agencies) -> None:
    geo = agency_scores(clean, codebook, load_choices(aggregation="geometric"))
    assert (geo["index"] <= agencies["index"] + 1e-9).all()  # AM-GM inequality
    assert (geo["index"] < agencies["index"] - 0.5).mean() > 0.5


def test_choices_change_scores(clean, codebook, agencies) -> None:
    # The bundled codebook weights are equal at every level, so "equal" reproduces "codebook".
    same = agency_scores(clean, codebook, load_choices(weights="equal"))
    assert np.allclose(same["index"], agencies["index"])
    for change in ({"weights": "pca"}, {"normalisation": "minmax"}, {"normalisation": "zscore"},
                   {"missing": "impute_type_mean"}):
        other = agency_scores(clean, codebook, load_choices(**change))
        assert not np.allclose(other["index"], agencies["index"]), change
    imputed = agency_scores(clean, codebook, load_choices(missing="impute_type_mean"))
    assert imputed[[p.id for p in codebook.pillars]].notna().all().all()
    w = pillar_weights(codebook, "pca", agencies)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()
    with pytest.raises(ValueError, match="aggregation='median'"):
        load_choices(aggregation="median")


def test_index_recovers_calibration_and_latent_ranking(agencies, codebook) -> None:
    provinces = province_bootstrap(agencies, codebook, n_boot=200, seed=1)
    assert provinces["index"].mean() == pytest.approx(45.7, abs=1.5)
    assert agencies["P5"].mean() > agencies["P1"].mean() > agencies["P6"].mean()
    truth = pd.read_csv(sample_dir() / "truth" / "provinces.csv").set_index("iso_code")["latent_readiness"]
    rho = stats.spearmanr(provinces.set_index("province")["index"], truth.reindex(provinces["province"])).statistic
    assert rho > 0.8, rho  # 0.86 on the bundled sample


def test_bca_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for n in (8, 15, 19):
        x = 100 * rng.beta(2, 3, n)
        draws = bootstrap_means(x[None, :], np.array([n]), 40_000, np.random.default_rng(4))
        lo, hi = bca_interval(x[None, :], np.array([n]), draws, 0.95)
        ref = stats.bootstrap((x,), np.mean, n_resamples=40_000, method="BCa", rng=np.random.default_rng(5))
        width = ref.confidence_interval.high - ref.confidence_interval.low
        assert lo[0] == pytest.approx(ref.confidence_interval.low, abs=0.03 * width)
        assert hi[0] == pytest.approx(ref.confidence_interval.high, abs=0.03 * width)


def test_bca_coverage_on_simulated_surveys() -> None:
    """95 % BCa intervals of province means cover the known mean 92-98 % of the time."""
    rng = np.random.default_rng(11)
    hits, total = 0, 0
    for _ in range(60):
        n = rng.binomial(19, 0.86, size=76)
        true_mean = rng.uniform(25, 65, size=76)
        a = 2.0
        b = a * (100 - true_mean) / true_mean  # Beta(a, b) * 100 has mean true_mean
        x = np.full((76, 19), np.nan)
        for i in range(76):
            x[i, : n[i]] = 100 * rng.beta(a, b[i], n[i])
        draws = bootstrap_means(x, n, 1000, rng)
        lo, hi = bca_interval(x, n, draws, 0.95)
        hits += int(((lo <= true_mean) & (true_mean <= hi)).sum())
        total += 76
    coverage = hits / total
    assert 0.92 <= coverage <= 0.98, coverage


def test_rank_interval_contains_rank(agencies, codebook) -> None:
    p = province_bootstrap(agencies, codebook, n_boot=500, seed=2)
    assert ((p["rank_low"] <= p["rank_median"]) & (p["rank_median"] <= p["rank_high"])).all()
    assert sorted(p["rank"]) == list(range(1, 77))
    probs = p[[c for c in p.columns if c.startswith("p_")]].sum(axis=1)
    assert probs.to_numpy() == pytest.approx(np.ones(76))


def test_choice_uncertainty_and_sobol(clean, codebook) -> None:
    ranks, sobol = choice_uncertainty(clean, codebook, load_choices(), n_draws=200, sobol_base=64, seed=1)
    assert ((ranks["mc_rank_p05"] <= ranks["mc_rank_median"]) & (ranks["mc_rank_median"] <= ranks["mc_rank_p95"])).all()
    assert set(sobol["choice"]) == {"normalisation", "aggregation", "weights", "missing", "pillar_weights"}
    assert (sobol["ST"] >= -0.05).all()
    # the total index bounds the first-order index (up to estimation noise)
    assert (sobol["S1"] <= sobol["ST"] + sobol["S1_conf"] + sobol["ST_conf"]).all()


def test_run_index_is_deterministic(clean, codebook, tmp_path) -> None:
    cfg = load_index_config()
    cfg["bootstrap"]["n"], cfg["monte_carlo"]["n"], cfg["monte_carlo"]["sobol_base"] = 300, 100, 32
    run_index(clean, codebook, load_choices(), cfg, tmp_path / "a")
    run_index(clean, codebook, load_choices(), cfg, tmp_path / "b")
    for name in ("agency_scores.csv", "province_scores.csv", "aggregates.csv", "sobol.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


