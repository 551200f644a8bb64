"""Normal-theory ML CFA (analysis.stats.mlcfa) against lavaan's published output and a simulated truth.

Published values: /work/shared/REFERENCE_VALUES.md, "lavaan tutorial, Holzinger-Swineford 3-factor ML
CFA" (https://lavaan.ugent.be/tutorial/cfa.html): ``cfa(HS.model, data = HolzingerSwineford1939)`` with
``visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9`` -- chi-square 85.306 on 24 df,
baseline 918.852 on 36 df, CFI .931, TLI .896, RMSEA .092 (90 % CI .071-.114), SRMR .065. The tutorial's
parameter estimates (marker-variable metric, lavaan's default) are checked as well. Each comparison is at
the printed precision (rounded to 3 decimals). Data: semopy's copy of the lavaan data set, covariance
with divisor N = 301 (lavaan's ML sample covariance).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from semopy.examples import holzinger39

from analysis.stats import mlcfa, structure
from analysis.stats.common import too_few
from analysis.stats.mlcfa import FIT_COLUMNS, baseline, fit_measures, ml_cfa, ml_cfa_estimates

HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]
STATS = ["chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"]

# A two-factor population model with known parameters (for the simulations), in a metric with unequal
# item variances: loadings (std.lv = TRUE metric), unique variances, factor correlation.
SIM_MODEL = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3", "b4"]}
SIM_LOADINGS = np.array([0.8, 0.7, 0.6, 0.5, 1.6, 1.4, 1.2, 0.9])
SIM_UNIQUE = np.array([0.36, 0.51, 0.64, 0.75, 1.44, 1.0, 1.2, 1.5])
SIM_PHI = 0.4


def _sim_sigma() -> np.ndarray:
    lam = np.zeros((8, 2))
    lam[:4, 0], lam[4:, 1] = SIM_LOADINGS[:4], SIM_LOADINGS[4:]
    phi = np.array([[1.0, SIM_PHI], [SIM_PHI, 1.0]])
    return lam @ phi @ lam.T + np.diag(SIM_UNIQUE)


def _sim_cov(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.multivariate_normal(np.zeros(8), _sim_sigma(), size=n)
    names = [c for cs in SIM_MODEL.values() for c in cs]
    return pd.DataFrame(x, columns=names).cov(ddof=0)


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return holzinger39.get_data()[ITEMS]


@pytest.fixture(scope="module")
def hs_fit(hs: pd.DataFrame) -> pd.Series:
    return ml_cfa(hs.cov(ddof=0), len(hs), HS_MODEL).iloc[0]


# --------------------------------------------------------------------------------------------
# published values
# --------------------------------------------------------------------------------------------


def test_published_fit_measures(hs_fit: pd.Series) -> None:
    printed = {"chi2": 85.306, "df": 24, "cfi": 0.931, "tli": 0.896, "rmsea": 0.092, "rmsea_ci_low": 0.071,
               "rmsea_ci_high": 0.114, "srmr": 0.065}
    assert {k: round(float(hs_fit[k]), 3) for k in printed} == printed
    assert hs_fit["n"] == 301 and hs_fit["note"] is None
    assert round(float(hs_fit["p"]), 3) == 0.000


def test_published_baseline(hs: pd.DataFrame) -> None:
    t0, df0 = baseline(hs.corr().to_numpy(), len(hs))
    assert (round(t0, 3), df0) == (918.852, 36)


def test_published_estimates(hs: pd.DataFrame) -> None:
    """The tutorial's estimates, marker-variable metric (first loading 1): loadings, residual and factor
    variances, factor covariances, from ours (factor variances 1) by rescaling each factor."""
    est = ml_cfa_estimates(hs.cov(ddof=0), HS_MODEL)
    lam = est.loadings.set_index("item")["loading"]
    marker = {f: lam[cs[0]] for f, cs in HS_MODEL.items()}
    ratios = [lam[c] / marker[f] for f, cs in HS_MODEL.items() for c in cs]
    assert np.round(ratios, 3).tolist() == [1.0, 0.554, 0.729, 1.0, 1.113, 0.926, 1.0, 1.180, 1.082]
    assert np.round(est.loadings["residual_variance"], 3).tolist() == [0.549, 1.134, 0.844, 0.371, 0.446, 0.356,
                                                                       0.799, 0.488, 0.566]
    assert [round(marker[f] ** 2, 3) for f in HS_MODEL] == [0.809, 0.979, 0.384]
    phi = est.factor_correlations
    cov = {(f, g): round(phi.loc[f, g] * marker[f] * marker[g], 3)
           for f, g in [("visual", "textual"), ("visual", "speed"), ("textual", "speed")]}
    assert cov == {("visual", "textual"): 0.408, ("visual", "speed"): 0.262, ("textual", "speed"): 0.173}


def test_agrees_with_semopy(hs: pd.DataFrame, hs_fit: pd.Series) -> None:
    """An independent implementation: semopy's ML fit of the same model (chi-square, CFI, TLI)."""
    import semopy

    model = semopy.Model("\n".join(f"{f} =~ " + " + ".join(cs) for f, cs in HS_MODEL.items()))
    model.fit(cov=hs.cov(ddof=0), n_samples=len(hs), options={"ftol": 1e-12, "maxiter": 20000})
    ref = semopy.calc_stats(model).iloc[0]
    assert float(hs_fit["chi2"]) == pytest.approx(float(ref["chi2"]), rel=1e-6)
    assert float(hs_fit["cfi"]) == pytest.approx(float(ref["CFI"]), abs=1e-5)
    assert float(hs_fit["tli"]) == pytest.approx(float(ref["TLI"]), abs=1e-5)


# --------------------------------------------------------------------------------------------
# invariance and determinism
# --------------------------------------------------------------------------------------------


def _stats(row: pd.DataFrame) -> np.ndarray:
    return row[STATS].to_numpy(float)[0]


def test_scale_invariance(hs: pd.DataFrame) -> None:
    """Covariance, correlation and rescaled-item matrices give the same fit; estimates rescale."""
    cov = hs.cov(ddof=0)
    sd = np.sqrt(np.diag(cov))
    scale = np.arange(1, 10) * 7.5
    variants = [cov / np.outer(sd, sd), cov * np.outer(scale, scale), hs.corr()]
    base = _stats(ml_cfa(cov, 301, HS_MODEL))
    for v in variants:
        np.testing.assert_allclose(_stats(ml_cfa(v, 301, HS_MODEL)), base, rtol=1e-9, atol=1e-12)
    est_cov, est_big = ml_cfa_estimates(cov, HS_MODEL), ml_cfa_estimates(variants[1], HS_MODEL)
    np.testing.assert_allclose(est_big.loadings["loading"], est_cov.loadings["loading"] * scale, rtol=1e-8)
    np.testing.assert_allclose(est_big.loadings["std_loading"], est_cov.loadings["std_loading"], atol=1e-9)


def test_item_and_factor_order_do_not_matter(hs: pd.DataFrame) -> None:
    cov = hs.cov(ddof=0)
    permuted = {"speed": ["x9", "x7", "x8"], "visual": ["x3", "x1", "x2"], "textual": ["x5", "x6", "x4"]}
    np.testing.assert_allclose(_stats(ml_cfa(cov.iloc[::-1, ::-1], 301, permuted)), _stats(ml_cfa(cov, 301, HS_MODEL)),
                               rtol=1e-9, atol=1e-12)
    a = ml_cfa_estimates(cov, HS_MODEL).loadings.set_index("item")
    b = ml_cfa_estimates(cov, permuted).loadings.set_index("item").loc[a.index]
    np.testing.assert_allclose(b[["loading", "residual_variance"]], a[["loading", "residual_variance"]], atol=1e-9)


def test_converged_whatever_the_start(hs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradient norm below 1e-10; a different start ends at the same estimates (to 1e-9)."""
    cov = hs.cov(ddof=0)
    est = ml_cfa_estimates(cov, HS_MODEL)
    assert est.gradient_norm < mlcfa.GRADIENT_TOL
    start = mlcfa._start

    def other_start(r: np.ndarray, model: mlcfa._Model) -> np.ndarray:
        theta = start(r, model)
        p = model.n_items
        theta[:p] *= 0.6
        theta[p:2 * p] = 0.9
        theta[2 * p:] = 0.0
        return theta

    monkeypatch.setattr(mlcfa, "_start", other_start)
    other = ml_cfa_estimates(cov, HS_MODEL)
    np.testing.assert_allclose(other.loadings["loading"], est.loadings["loading"], atol=1e-9)
    np.testing.assert_allclose(other.factor_correlations, est.factor_correlations, atol=1e-9)
    assert other.fmin == pytest.approx(est.fmin, abs=1e-13)


def test_analytic_derivatives(hs: pd.DataFrame) -> None:
    """Gradient (natural and L-BFGS-B parameters) and observed Hessian against central differences, away
    from the optimum; the expected Hessian equals the observed one where ``Sigma = S``."""
    _, _, r, model = mlcfa._prepare(hs.cov(ddof=0), HS_MODEL)
    logdet = float(np.linalg.slogdet(r)[1])
    theta = mlcfa._start(r, model) + 0.03 * np.cos(np.arange(model.n_params))
    h, eye = 1e-6, np.eye(model.n_params)

    def f(t: np.ndarray) -> float:
        out = mlcfa._discrepancy(mlcfa._sigma(t, model), r, logdet)
        assert out is not None
        return out[0]

    def grad(t: np.ndarray) -> np.ndarray:
        out = mlcfa._discrepancy(mlcfa._sigma(t, model), r, logdet)
        assert out is not None
        return mlcfa._gradient(t, model, r, out[1])

    np.testing.assert_allclose(grad(theta), [(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in eye], atol=1e-7)
    free = mlcfa._to_free(theta, model)
    numeric = [(mlcfa._free_objective(free + h * e, model, r, logdet)[0]
                - mlcfa._free_objective(free - h * e, model, r, logdet)[0]) / (2 * h) for e in eye]
    np.testing.assert_allclose(mlcfa._free_objective(free, model, r, logdet)[1], numeric, atol=1e-7)
    inv = np.linalg.inv(mlcfa._sigma(theta, model))
    observed = mlcfa._hessians(theta, model, r, inv)[1]
    np.testing.assert_allclose(observed, np.array([(grad(theta + h * e) - grad(theta - h * e)) / (2 * h)
                                                   for e in eye]), atol=1e-6)
    sigma = mlcfa._sigma(theta, model)
    expected, observed = mlcfa._hessians(theta, model, sigma, np.linalg.inv(sigma))
    np.testing.assert_allclose(observed, expected, atol=1e-10)


# --------------------------------------------------------------------------------------------
# simulated truth
# --------------------------------------------------------------------------------------------


def test_recovers_the_truth() -> None:
    """N = 5000 from the known two-factor model: estimates within 0.05 (several standard errors)."""
    est = ml_cfa_estimates(_sim_cov(np.random.default_rng(11), 5000), SIM_MODEL)
    np.testing.assert_allclose(est.loadings["loading"], SIM_LOADINGS, atol=0.05)
    np.testing.assert_allclose(est.loadings["residual_variance"], SIM_UNIQUE, rtol=0.1)
    assert est.factor_correlations.loc["A", "B"] == pytest.approx(SIM_PHI, abs=0.05)


def test_population_matrix_fits_exactly() -> None:
    names = [c for cs in SIM_MODEL.values() for c in cs]
    fit = ml_cfa(pd.DataFrame(_sim_sigma(), index=names, columns=names), 500, SIM_MODEL).iloc[0]
    assert fit["chi2"] == pytest.approx(0.0, abs=1e-9)
    assert fit["cfi"] == 1.0 and fit["rmsea"] == 0.0 and fit["srmr"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow
def test_chi_square_is_centred_on_its_df() -> None:
    """200 replications of N = 1000 from the correctly specified model: T = N F_min is chi-square on
    19 df (mean 19, variance 38), within Monte Carlo error; the p values are uniform."""
    rng = np.random.default_rng(2024)
    rows = pd.concat([ml_cfa(_sim_cov(rng, 1000), 1000, SIM_MODEL) for _ in range(200)])
    t = rows["chi2"].to_numpy(float)
    assert (rows["df"] == 19).all()
    assert abs(t.mean() - 19) < 4 * np.sqrt(2 * 19 / 200)
    assert 0.6 < t.var(ddof=1) / 38 < 1.5
    assert stats.kstest(rows["p"].to_numpy(float), "uniform").pvalue > 0.001


# --------------------------------------------------------------------------------------------
# edge cases
# --------------------------------------------------------------------------------------------


def test_too_few_cases_gives_structures_row(hs: pd.DataFrame) -> None:
    out = ml_cfa(hs.cov(ddof=0), 10, HS_MODEL)
    assert list(out.columns) == FIT_COLUMNS == list(structure.cfa_fit(hs, HS_MODEL).columns)
    assert out["note"].iloc[0] == too_few(10, 11, "a 3-factor model of 9 items")
    assert out[STATS].isna().all(axis=None) and out["n"].iloc[0] == 10


@pytest.mark.parametrize(("groups", "words"), [
    ({"a": ["x1"], "b": ["x2", "x3", "x4"]}, "fewer than two items"),
    ({"a": ["x1", "x2"], "b": ["x2", "x3", "x4"]}, "more than one factor"),
    ({"a": ["x1", "x2", "zz"], "b": ["x3", "x4", "x5"]}, "not in the covariance matrix"),
])
def test_models_that_cannot_be_fitted(hs: pd.DataFrame, groups: dict[str, list[str]], words: str) -> None:
    out = ml_cfa(hs.cov(ddof=0), 301, groups)
    assert words in out["note"].iloc[0] and out[STATS].isna().all(axis=None)
    with pytest.raises(ValueError, match=words):
        ml_cfa_estimates(hs.cov(ddof=0), groups)


def test_singular_matrix_is_refused(hs: pd.DataFrame) -> None:
    x = hs.copy()
    x["x3"] = x["x1"] + x["x2"]
    assert "not positive definite" in ml_cfa(x.cov(ddof=0), 301, HS_MODEL)["note"].iloc[0]


def test_saturated_model(hs: pd.DataFrame) -> None:
    """One factor, three items: 0 df, a perfect fit; p is missing, as lavaan prints none."""
    fit = ml_cfa(hs.cov(ddof=0), 301, {"visual": ["x1", "x2", "x3"]}).iloc[0]
    assert fit["df"] == 0 and fit["chi2"] == pytest.approx(0.0, abs=1e-9) and np.isnan(fit["p"])
    assert (fit["cfi"], fit["tli"], fit["rmsea"]) == (pytest.approx(1.0, abs=1e-12), 1.0, 0.0)


def test_heywood_case() -> None:
    """r12 = r13 = .8, r23 = .5 asks for a loading above 1 on the correlation scale: by default the unique
    variance is held at 0 (semopy's bound) and reported; unbounded (lavaan's default) it is negative and
    the minimum lower."""
    r = np.eye(6)
    r[0, 1] = r[0, 2] = 0.8
    r[1, 2] = 0.5
    r[3, 4], r[3, 5], r[4, 5] = 0.6, 0.5, 0.4
    r[:3, 3:] = 0.2
    r = np.triu(r) + np.triu(r, 1).T
    names = [f"y{i}" for i in range(6)]
    cov = pd.DataFrame(r, index=names, columns=names)
    groups = {"f": names[:3], "g": names[3:]}
    held = ml_cfa_estimates(cov, groups)
    free = ml_cfa_estimates(cov, groups, negative_variances=True)
    assert held.boundary == ["y0"] and held.loadings["residual_variance"].iloc[0] == 0.0
    assert held.gradient_norm < mlcfa.GRADIENT_TOL and free.gradient_norm < mlcfa.GRADIENT_TOL
    assert free.boundary == [] and free.loadings["residual_variance"].iloc[0] < 0
    assert free.fmin < held.fmin
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged: no warning about the gradient
        assert ml_cfa(cov, 500, groups)["note"].iloc[0] is None


def test_fit_measures_formulae() -> None:
    out = fit_measures(85.305521, 24, 918.851589, 36, 301)
    assert out["cfi"] == pytest.approx(1 - (85.305521 - 24) / (918.851589 - 36))
    assert out["tli"] == pytest.approx((918.851589 / 36 - 85.305521 / 24) / (918.851589 / 36 - 1))
    assert out["rmsea"] == pytest.approx(np.sqrt((85.305521 - 24) / (24 * 301)))
    assert fit_measures(10.0, 24, 918.0, 36, 301)["cfi"] == 1.0  # T below its df: no misfit
