"""Fay-Herriot EBLUP against R's sae package (published values) and against a simulated truth.

Published values: ``sae::eblupFH`` / ``sae::mseFH`` with REML on the ``milk`` data (Molina &
Marhuenda 2015, The R Journal 7(1)), model ``yi ~ as.factor(MajorArea)``, ``vardir = SD^2``, as
recorded in samplics' tests (samplics-org/samplics, ``tests/sae/test_eblup_area_model.py`` at
15615bae950d9f13e3d1423d371e987ba9670b3e) and /work/shared/REFERENCE_VALUES.md. Data: see
tests/data/README.md.

sae stops its Fisher scoring when sigma2_u changes by less than 1e-4 relative (4 iterations,
sigma2_u = 0.01855022); the product uses the exact REML root, 0.018550335. The tests reproduce
sae's printed numbers at sae's stopping point, and show that the exact-root MSEs differ from them
by exactly the effect of that difference in sigma2_u.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.indicators.smallarea import band_probabilities, fay_herriot, rank_intervals, reml_score

DATA = Path(__file__).parent / "data"

SAE_BETA = np.array([0.9681890, 0.1327801, 0.2269462, -0.2413011])
SAE_SE_BETA = np.array([0.06936208, 0.10300072, 0.09232981, 0.08161707])
SAE_SIGMA2_U = 0.0185503  # printed; sae's iterate is 0.01855022
EXACT_REML_ROOT = 0.018550335
SAE_EBLUP = np.array([
    1.0219703, 1.0476018, 1.0679513, 0.7608170, 0.8461574, 0.9743727, 1.0584523, 1.0977762, 1.2215449,
    1.1951455, 0.7852155, 1.2139456, 1.2096593, 0.9834967, 1.1864247, 1.1556982, 1.2263411, 1.2856486,
    1.2363247, 1.2349600, 1.0903019, 1.1923057, 1.1216470, 1.2230296, 1.1938054, 0.7627195, 0.7649550,
    0.7338443, 0.7699294, 0.6134418, 0.7695558, 0.7958250, 0.7723187, 0.6102302, 0.7001782, 0.7592787,
    0.5298867, 0.7434466, 0.7548996, 0.7701918, 0.7481164, 0.8040773, 0.6810870,
])
SAE_MSE = np.array([
    0.013460220, 0.005372876, 0.005701990, 0.008541740, 0.009579594, 0.011670632, 0.015926137, 0.010586518,
    0.014184043, 0.014901472, 0.007694262, 0.016336469, 0.012562726, 0.012117378, 0.012031229, 0.011709147,
    0.010859780, 0.013690860, 0.011034674, 0.013079686, 0.009948636, 0.017243977, 0.011292325, 0.013625297,
    0.008065787, 0.009205133, 0.009205133, 0.016476912, 0.007800626, 0.006098668, 0.015441564, 0.014657866,
    0.009024699, 0.003870786, 0.007800626, 0.009646139, 0.006404335, 0.010155645, 0.007209937, 0.008470277,
    0.005484860, 0.009205133, 0.009903626,
])


@pytest.fixture(scope="module")
def milk() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Direct estimates, sampling variances and R's treatment-coded design for ``yi ~ as.factor(MajorArea)``."""
    m = pd.read_csv(DATA / "milk.csv", index_col=0).set_index("SmallArea")
    X = pd.DataFrame({"(Intercept)": 1.0}, index=m.index)
    for k in (2, 3, 4):
        X[f"as.factor(MajorArea){k}"] = (m["MajorArea"] == k).astype(float)
    return m["yi"], m["SD"] ** 2, X


def sae_reml_fisher_scoring(y: np.ndarray, psi: np.ndarray, X: np.ndarray, precision: float = 1e-4,
                            maxiter: int = 100) -> tuple[float, int]:
    """sigma2_u as ``sae::eblupFH(method = "REML")`` computes it (sae 1.3, R/eblupFH.R), line by line.

    Fisher scoring from the median sampling variance with dense m x m matrices, stopped when the
    relative change falls below ``PRECISION = 1e-4``. Test-only: it shows where sae stops.
    """
    a = [float(np.median(psi))]
    k, diff = 0, precision + 1
    while diff > precision and k < maxiter:
        k += 1
        vi = 1 / (a[-1] + psi)
        xtvi = (vi[:, None] * X).T
        q = np.linalg.inv(xtvi @ X)
        p = np.diag(vi) - xtvi.T @ q @ xtvi
        py = p @ y
        s = -0.5 * np.trace(p) + 0.5 * py @ py
        f = 0.5 * np.trace(p @ p)
        a.append(a[-1] + s / f)
        diff = abs((a[-1] - a[-2]) / a[-2])
    return max(a[-1], 0.0), k


# --------------------------------------------------------------------------- sae's milk example


def test_data_is_the_published_milk_file(milk) -> None:
    y, psi, X = milk
    assert len(y) == 43 and X.shape == (43, 4)
    assert y.iloc[0] == 1.099 and psi.iloc[0] == pytest.approx(0.163**2)


def test_sigma2_u_is_the_exact_reml_root(milk) -> None:
    y, psi, X = milk
    fit = fay_herriot(y, psi, X)
    assert fit.sigma2_u == pytest.approx(EXACT_REML_ROOT, abs=5e-10)
    assert round(fit.sigma2_u, 7) == SAE_SIGMA2_U
    assert abs(reml_score(fit.sigma2_u, y.to_numpy(), psi.to_numpy(), X.to_numpy())) < 1e-9
    # the REML score changes sign around the root: it is a root, not a stopping point
    eps = 1e-12
    assert reml_score(fit.sigma2_u - eps, y.to_numpy(), psi.to_numpy(), X.to_numpy()) > 0
    assert reml_score(fit.sigma2_u + eps, y.to_numpy(), psi.to_numpy(), X.to_numpy()) < 0


def test_sae_stops_fisher_scoring_early(milk) -> None:
    """sae's rule stops after 4 iterations at 0.01855022, 1.1e-7 short of the root."""
    y, psi, X = milk
    a_sae, iterations = sae_reml_fisher_scoring(y.to_numpy(), psi.to_numpy(), X.to_numpy())
    assert iterations == 4
    assert round(a_sae, 8) == 0.01855022
    assert fay_herriot(y, psi, X).sigma2_u - a_sae == pytest.approx(1.12e-7, abs=0.01e-7)


def test_beta_and_se_at_sae_stopping_point_match_sae_to_printed_digits(milk) -> None:
    y, psi, X = milk
    a_sae, _ = sae_reml_fisher_scoring(y.to_numpy(), psi.to_numpy(), X.to_numpy())
    fit = fay_herriot(y, psi, X, sigma2_u=a_sae)
    np.testing.assert_allclose(fit.beta.to_numpy(), SAE_BETA, rtol=0, atol=5e-8)  # printed to 7 decimals
    np.testing.assert_allclose(fit.se_beta.to_numpy(), SAE_SE_BETA, rtol=0, atol=5e-9)  # printed to 8 decimals


def test_beta_and_se_at_the_exact_root(milk) -> None:
    """The exact root moves beta and its SE by about 2e-7 from sae's printout (sae stops early)."""
    y, psi, X = milk
    fit = fay_herriot(y, psi, X)
    np.testing.assert_allclose(fit.beta.to_numpy(), SAE_BETA, rtol=0, atol=3e-7)
    np.testing.assert_allclose(fit.se_beta.to_numpy(), SAE_SE_BETA, rtol=0, atol=3e-7)
    assert list(fit.beta.index) == list(X.columns)


def test_all_43_eblups_match_sae(milk) -> None:
    y, psi, X = milk
    for sigma2_u in (None, sae_reml_fisher_scoring(y.to_numpy(), psi.to_numpy(), X.to_numpy())[0]):
        est = fay_herriot(y, psi, X, sigma2_u=sigma2_u).estimates
        np.testing.assert_allclose(est["eblup"].to_numpy(), SAE_EBLUP, rtol=0, atol=1e-6)
    # at sae's own stopping point, to the printed 7 decimals
    np.testing.assert_allclose(est["eblup"].to_numpy(), SAE_EBLUP, rtol=0, atol=5e-8)


def test_all_43_mses_match_sae_at_its_stopping_point(milk) -> None:
    """Prasad-Rao / Datta-Lahiri MSE (g1 + g2 + 2 g3): sae's values to their printed 9 decimals."""
    y, psi, X = milk
    a_sae, _ = sae_reml_fisher_scoring(y.to_numpy(), psi.to_numpy(), X.to_numpy())
    mse = fay_herriot(y, psi, X, sigma2_u=a_sae).estimates["mse"].to_numpy()
    np.testing.assert_allclose(mse, SAE_MSE, rtol=1e-6, atol=0)
    np.testing.assert_allclose(mse, SAE_MSE, rtol=0, atol=5e-10)


def test_exact_root_mses_differ_from_sae_only_through_sigma2_u(milk) -> None:
    """At the exact root the MSEs are up to 4.4e-6 relative (7.2e-8 absolute, area 28) above sae's
    printout, beyond 1e-6; the whole gap is the change of sigma2_u from sae's stopping point (the
    same formula evaluated at the two values accounts for it to the printed 9 decimals)."""
    y, psi, X = milk
    a_sae, _ = sae_reml_fisher_scoring(y.to_numpy(), psi.to_numpy(), X.to_numpy())
    exact = fay_herriot(y, psi, X).estimates["mse"].to_numpy()
    at_sae = fay_herriot(y, psi, X, sigma2_u=a_sae).estimates["mse"].to_numpy()
    gap = (exact - SAE_MSE) / SAE_MSE
    assert np.abs(gap).max() < 5e-6
    np.testing.assert_allclose(exact - SAE_MSE, exact - at_sae, rtol=0, atol=5e-10)


def test_tidy_table(milk) -> None:
    y, psi, X = milk
    fit = fay_herriot(y, psi, X, confidence=0.9)
    est = fit.estimates
    assert list(est.columns) == ["area", "direct", "vardir", "in_sample", "gamma", "synthetic", "eblup", "mse",
                                 "low", "high"]
    assert est["area"].tolist() == list(range(1, 44))
    np.testing.assert_allclose(est["gamma"], fit.sigma2_u / (fit.sigma2_u + psi.to_numpy()))
    np.testing.assert_allclose(est["high"] - est["eblup"], 1.6448536269514722 * np.sqrt(est["mse"]))
    np.testing.assert_allclose(est["eblup"], est["gamma"] * est["direct"] + (1 - est["gamma"]) * est["synthetic"])


# --------------------------------------------------------------------------- areas without data, boundary


def test_area_without_direct_estimate_gets_the_synthetic_prediction(milk) -> None:
    y, psi, X = milk
    full = fay_herriot(y, psi, X)
    y2, psi2 = y.drop(index=[5]), psi.drop(index=[5])  # the area has covariates but no survey
    part = fay_herriot(y2, psi2, X)
    row = part.estimates.set_index("area").loc[5]
    assert not row["in_sample"] and np.isnan(row["direct"]) and np.isnan(row["gamma"])
    x5 = X.loc[5].to_numpy()
    assert row["eblup"] == pytest.approx(float(np.sum(x5 * part.beta.to_numpy())))
    assert row["mse"] == pytest.approx(part.sigma2_u + x5 @ part.cov_beta.to_numpy() @ x5)
    # a missing direct estimate (NaN) is the same as an absent one
    nan = fay_herriot(y.where(y.index != 5), psi, X)
    pd.testing.assert_frame_equal(nan.estimates.drop(columns="vardir"), part.estimates.drop(columns="vardir"))
    assert part.n_sample == 42 and full.n_sample == 43


def test_boundary_sigma2_u_zero_gives_the_regression() -> None:
    """Direct estimates on the regression line: the REML score is negative at 0, sigma2_u = 0,
    EBLUP = synthetic, MSE = g2 + 2 g3."""
    X = pd.DataFrame({"const": 1.0, "x": np.arange(8.0)})
    psi = pd.Series(np.linspace(0.5, 2.0, 8))
    y = pd.Series(1.0 + 0.5 * np.arange(8.0) + np.array([0.1, -0.1, 0.05, -0.05, 0.1, -0.1, 0.05, -0.05]))
    fit = fay_herriot(y, psi, X)
    assert fit.sigma2_u == 0.0
    est = fit.estimates
    np.testing.assert_allclose(est["eblup"], est["synthetic"])
    h = np.einsum("ij,jk,ik->i", X.to_numpy(), fit.cov_beta.to_numpy(), X.to_numpy())
    var_s2u = 2 / np.sum(1 / psi.to_numpy() ** 2)
    np.testing.assert_allclose(est["mse"], h + 2 * var_s2u / psi.to_numpy())


def test_reml_score_is_the_derivative_of_the_restricted_likelihood(milk) -> None:
    """Central differences of -(log|V| + log|X'V^-1 X| + y'Py)/2 (Rao & Molina 2015, eq. 5.2.20)."""
    y, psi, X = (a.to_numpy() for a in milk)

    def loglik(s2u: float) -> float:
        v = s2u + psi
        info = (X / v[:, None]).T @ X
        r = y - X @ np.linalg.solve(info, (X / v[:, None]).T @ y)
        return -0.5 * (np.sum(np.log(v)) + np.linalg.slogdet(info)[1] + np.sum(r * r / v))

    h = 1e-7
    for s2u in (0.002, 0.01, 0.05):
        numeric = (loglik(s2u + h) - loglik(s2u - h)) / (2 * h)
        assert reml_score(s2u, y, psi, X) == pytest.approx(numeric, rel=1e-6)


def test_reml_converges_to_the_closed_form_at_survey_scale() -> None:
    """Intercept only, equal psi: sigma2_u = s^2 - psi exactly; 0-100 scores, 76 provinces."""
    rng = np.random.default_rng(11)
    y = pd.Series(rng.normal(55, 12, 76))
    X = pd.DataFrame({"const": np.ones(76)})
    fit = fay_herriot(y, pd.Series(np.full(76, 30.0)), X)
    assert fit.sigma2_u == pytest.approx(y.var() - 30.0, rel=1e-12)
    assert fit.beta.iloc[0] == pytest.approx(y.mean(), rel=1e-13)


def test_input_checks(milk) -> None:
    y, psi, X = milk
    with pytest.raises(ValueError, match="not implemented"):
        fay_herriot(y, psi, X, method="ML")
    with pytest.raises(ValueError, match="positive sampling variance"):
        fay_herriot(y, psi.where(psi.index != 3), X)
    with pytest.raises(ValueError, match="row of covariates"):
        fay_herriot(y, psi, X.drop(index=[7]))
    with pytest.raises(ValueError, match="full rank"):
        fay_herriot(y, psi, X.assign(dup=X["(Intercept)"]))


# --------------------------------------------------------------------------- simulation with known truth


def test_simulation_eblup_beats_direct_and_mse_and_coverage_are_right() -> None:
    """76 areas (4 without a survey), theta = 50 + 20 x + u, u ~ N(0, 25), psi in {4, 9, 16, 36};
    500 replications. Seed 1 gives: empirical MSE of the EBLUP 8.91 vs the direct 16.16; mean MSE
    estimate / empirical MSE 0.999 (1.000 for the areas without data); the EBLUP's MSE is at most 0.91
    of the direct estimator's in every area; 95 % coverage 95.1 % (areas with data), 94.7 % (without)."""
    m, reps, s2u = 76, 500, 25.0
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, m)
    X = pd.DataFrame({"const": 1.0, "x": x})
    psi = np.tile([4.0, 9.0, 16.0, 36.0], m // 4)
    nodata = np.arange(m) % 19 == 7
    err, mse, direct_err = np.empty((reps, m)), np.empty((reps, m)), np.empty((reps, m))
    for r in range(reps):
        theta = 50 + 20 * x + np.sqrt(s2u) * rng.standard_normal(m)
        y = theta + np.sqrt(psi) * rng.standard_normal(m)
        direct_err[r] = y - theta
        y[nodata] = np.nan
        est = fay_herriot(pd.Series(y), pd.Series(psi), X).estimates
        err[r], mse[r] = est["eblup"].to_numpy() - theta, est["mse"].to_numpy()
    has = ~nodata
    empirical = (err**2).mean(axis=0)
    assert empirical[has].mean() < 0.7 * (direct_err[:, has] ** 2).mean()
    assert (empirical[has] < (direct_err[:, has] ** 2).mean(axis=0)).all()
    assert mse[:, has].mean() / empirical[has].mean() == pytest.approx(1.0, abs=0.1)
    assert mse[:, nodata].mean() / empirical[nodata].mean() == pytest.approx(1.0, abs=0.1)
    covered = np.abs(err) <= 1.959963984540054 * np.sqrt(mse)
    assert 0.93 <= covered[:, has].mean() <= 0.97
    assert 0.92 <= covered[:, nodata].mean() <= 0.98  # 2,000 intervals only


# --------------------------------------------------------------------------- bands and ranks


def test_band_probabilities_are_normal_masses() -> None:
    eblup = pd.Series([40.0, 60.0, np.nan, 75.0], index=list("abcd"))
    mse = pd.Series([100.0, 4.0, 1.0, 0.0], index=list("abcd"))
    p = band_probabilities(eblup, mse, [50.0, 75.0], ["low", "mid", "high"])
    assert list(p.columns) == ["p_low", "p_mid", "p_high"] and list(p.index) == list("abcd")
    assert p.loc["a", "p_low"] == pytest.approx(0.8413447460685429)
    assert p.loc["b", "p_mid"] == pytest.approx(1 - 2.866515718791939e-07 - 0.0)
    assert p.loc["c"].isna().all()
    assert p.loc["d"].tolist() == [0.0, 0.0, 1.0]  # on a cut-off: the band above
    np.testing.assert_allclose(p.drop(index="c").sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        band_probabilities(eblup, mse, [75.0, 50.0])


def test_rank_intervals_are_reproducible_and_sensible() -> None:
    rng = np.random.default_rng(5)
    eblup = pd.Series(rng.normal(50, 10, 20), index=[f"p{i}" for i in range(20)])
    mse = pd.Series(rng.uniform(1, 30, 20), index=eblup.index)
    a = rank_intervals(eblup, mse, n_draws=3000, seed=7)
    b = rank_intervals(eblup, mse, n_draws=3000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert (a["rank_low"] <= a["rank"]).all() and (a["rank"] <= a["rank_high"]).all()
    assert sorted(a["rank"].tolist()) == list(range(1, 21))
    assert (a["n_ranked"] == 20).all()
    # an area with no estimate is not ranked
    c = rank_intervals(eblup.where(eblup.index != "p3"), mse, n_draws=500, seed=1)
    assert c.loc["p3"].drop("n_ranked").isna().all() and (c["n_ranked"] == 19).all()
    assert c["rank_high"].max() <= 19


def test_rank_intervals_tied_areas_share_the_best_rank() -> None:
    r = rank_intervals(pd.Series([70.0, 70.0, 10.0]), pd.Series([0.0, 0.0, 0.0]), n_draws=50, seed=0)
    assert r["rank"].tolist() == [1, 1, 3]
    assert r["rank_low"].tolist() == [1, 1, 3] and r["rank_high"].tolist() == [1, 1, 3]
