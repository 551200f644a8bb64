"""CR2 with Satterthwaite degrees of freedom against clubSandwich's published values, the closed
form of the mean against the general computation, and coverage in a simulation with 5 clusters.

Published values: the clubSandwich vignette "Cluster-robust standard errors and hypothesis tests
in panel data models" (jepusto/clubSandwich, ``vignettes/panel-data-CRVE.Rmd``, rendered on the
package site as ``articles/panel-data-CRVE.html``), unweighted OLS of
``mrate ~ 0 + legal + beertaxa + factor(state) + factor(year)`` on Angrist & Pischke's deaths data,
clustered by state; numbers as in /work/shared/REFERENCE_VALUES.md. Data: tests/data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.indicators.clusterrobust import cluster_mean_cr2, cr2_ols

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def deaths() -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """Outcome, design (legal, beertaxa, 50 state dummies, 13 year dummies) and state clusters."""
    d = pd.read_csv(DATA / "deaths_mva_1820.csv")
    X = pd.concat([d[["legal", "beertaxa"]],
                   pd.get_dummies(d["state"], prefix="state", dtype=float),
                   pd.get_dummies(d["year"], prefix="year", dtype=float, drop_first=True)], axis=1)
    return d["mrate"], X, d["state"]


@pytest.fixture(scope="module")
def deaths_fit(deaths) -> pd.DataFrame:
    return cr2_ols(*deaths)


def test_extract_is_the_vignette_subset(deaths) -> None:
    y, X, state = deaths
    assert len(y) == 700 and state.nunique() == 50 and X.shape[1] == 65


@pytest.mark.parametrize(("coef", "estimate", "se", "p"), [("legal", 7.59, 2.44, 0.00313),
                                                           ("beertaxa", 3.82, 5.14, 0.46128)])
def test_cr1_naive_t_matches_clubsandwich(deaths_fit, coef, estimate, se, p) -> None:
    """``coef_test(lm_unweighted, vcov = "CR1", cluster = state, test = "naive-t")``."""
    row = deaths_fit.loc[coef]
    assert round(row["coef"], 2) == estimate
    assert round(row["se_cr1"], 2) == se
    assert row["df_cr1"] == 49
    assert round(row["p_cr1"], 5) == p


@pytest.mark.parametrize(("coef", "estimate", "se", "df", "p"), [("legal", 7.59, 2.51, 24.58, 0.00583),
                                                                 ("beertaxa", 3.82, 5.27, 5.77, 0.49663)])
def test_cr2_satterthwaite_matches_clubsandwich(deaths_fit, coef, estimate, se, df, p) -> None:
    """``coef_test(lm_unweighted, vcov = "CR2", cluster = state, test = "Satterthwaite")``."""
    row = deaths_fit.loc[coef]
    assert round(row["coef"], 2) == estimate
    assert round(row["se"], 2) == se
    assert round(row["df"], 2) == df
    assert round(row["p"], 5) == p


def test_cr1_is_clubsandwich_not_statsmodels(deaths) -> None:
    """statsmodels' default cluster covariance also multiplies by (N - 1)/(N - K): 2.561 for legal."""
    y, X, state = deaths
    sm_fit = sm.OLS(y.to_numpy(), X.to_numpy()).fit(cov_type="cluster", cov_kwds={"groups": state.to_numpy()})
    assert round(float(sm_fit.bse[0]), 3) == 2.561
    ours = cr2_ols(y, X, state).loc["legal", "se_cr1"]
    assert sm_fit.bse[0] == pytest.approx(ours * np.sqrt((700 - 1) / (700 - 65)))


def test_cr2_ignores_row_order(deaths, deaths_fit) -> None:
    y, X, state = deaths
    order = np.random.default_rng(0).permutation(len(y))
    shuffled = cr2_ols(y.iloc[order], X.iloc[order], state.iloc[order])
    pd.testing.assert_frame_equal(shuffled.loc[["legal", "beertaxa"]], deaths_fit.loc[["legal", "beertaxa"]],
                                  rtol=1e-9)


# --------------------------------------------------------------------------- the mean


def _unequal_clusters(seed: int) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    sizes = [2, 3, 5, 9, 14, 1, 6]
    g = pd.Series(np.repeat([f"P{i}" for i in range(len(sizes))], sizes))
    y = pd.Series(50 + 8 * rng.standard_normal(len(sizes))[pd.factorize(g)[0]] + 10 * rng.standard_normal(len(g)))
    return y, g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_form_mean_equals_general_cr2(seed) -> None:
    y, g = _unequal_clusters(seed)
    mean, low, high, df = cluster_mean_cr2(y, g, confidence=0.9)
    res = cr2_ols(y, pd.DataFrame({"const": np.ones(len(y))}), g).loc["const"]
    assert mean == pytest.approx(res["coef"], rel=1e-12)
    assert df == pytest.approx(res["df"], rel=1e-10)
    half = stats.t.ppf(0.95, res["df"]) * res["se"]
    assert (low, high) == pytest.approx((res["coef"] - half, res["coef"] + half), rel=1e-10)


def _cr1_interval(y: pd.Series, g: pd.Series, confidence: float = 0.95) -> tuple[float, float, float]:
    """The CR1 t(G - 1) interval of the mean (clubSandwich's CR1, factor G / (G - 1))."""
    res = cr2_ols(y.to_numpy(float), np.ones((len(y), 1)), g.to_numpy()).iloc[0]
    half = stats.t.ppf(0.5 + confidence / 2, res["df_cr1"]) * res["se_cr1"]
    return res["coef"], res["coef"] - half, res["coef"] + half


def test_equal_clusters_give_cr1_and_g_minus_1_df() -> None:
    """With equal cluster sizes CR2 = CR1 and df = G - 1, so the interval is the project's CR1 one."""
    rng = np.random.default_rng(3)
    y, g = pd.Series(rng.normal(50, 10, 24)), pd.Series(np.repeat(list("abcdef"), 4))
    mean, low, high, df = cluster_mean_cr2(y, g)
    assert df == pytest.approx(5.0, rel=1e-12)
    assert (mean, low, high) == pytest.approx(_cr1_interval(y, g), rel=1e-12)


def test_missing_values_and_too_few_clusters() -> None:
    y, g = _unequal_clusters(0)
    with_nan = pd.concat([y, pd.Series([np.nan, 99.0])], ignore_index=True)
    g_nan = pd.concat([g, pd.Series(["P0", None])], ignore_index=True)
    assert cluster_mean_cr2(with_nan, g_nan) == pytest.approx(cluster_mean_cr2(y, g))
    mean, low, high, df = cluster_mean_cr2(pd.Series([1.0, 2.0, 3.0]), pd.Series(["a"] * 3))
    assert mean == 2.0 and np.isnan([low, high, df]).all()
    with pytest.raises(ValueError, match="two clusters"):
        cr2_ols(np.array([1.0, 2.0, 4.0]), np.ones((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="rank deficient"):
        cr2_ols(np.array([1.0, 2.0, 4.0, 3.0]), np.ones((4, 2)), np.array([0, 0, 1, 1]))


def test_cluster_mean_ignores_row_order_up_to_last_bits() -> None:
    """Shuffling the rows changes only the order of additions, so at most the last bits move."""
    y, g = _unequal_clusters(4)
    order = np.random.default_rng(1).permutation(len(y))
    a = cluster_mean_cr2(y, g)
    b = cluster_mean_cr2(y.iloc[order].reset_index(drop=True), g.iloc[order].reset_index(drop=True))
    assert a == pytest.approx(b, rel=1e-13, abs=0)


def test_simulation_five_unequal_clusters_cover_95() -> None:
    """5 provinces of 5, 8, 12, 20 and 30 agencies, a province effect (SD 5) and agency noise
    (SD 10; intra-class correlation 0.2); 2,000 replications, seed 1.

    CR2 with Satterthwaite df (2.78) covers 94.75 %. For comparison (documented, not required),
    CR1 with t(G - 1 = 4) covers 90.55 %: too short with few, unequal clusters (40,000 replications
    give 95.1 % and 91.4 %).
    """
    sizes = np.array([5, 8, 12, 20, 30])
    g = pd.Series(np.repeat(np.arange(5), sizes))
    codes = g.to_numpy()
    rng = np.random.default_rng(1)
    reps, truth = 2000, 50.0
    cover_cr2 = cover_cr1 = 0
    for _ in range(reps):
        y = pd.Series(truth + 5 * rng.standard_normal(5)[codes] + 10 * rng.standard_normal(len(g)))
        _, low, high, df = cluster_mean_cr2(y, g)
        cover_cr2 += low <= truth <= high
        _, low1, high1 = _cr1_interval(y, g)
        cover_cr1 += low1 <= truth <= high1
    assert df == pytest.approx(2.7752427, abs=1e-7)
    assert 0.93 <= cover_cr2 / reps <= 0.97
    assert cover_cr1 / reps < cover_cr2 / reps
