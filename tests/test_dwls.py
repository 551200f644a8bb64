"""Ordered-categorical CFA by DWLS against lavaan's published output and a simulated truth.

Published values: /work/shared/REFERENCE_VALUES.md, "Ordered-categorical CFA", from
feracotommaso/SEM-phd-course, ``docs/labs/lab08_ordinal_sem_invariance.html`` at
f39cc10d0e1f391c89455e1e893d7f9fce92305a: lavaan, Holzinger & Swineford (1939) x1..x9 each cut into
5 categories (``cut(x, quantile(x, seq(0, 1, len = 6), type = 8), include.lowest = TRUE)``),
``visual =~ x1+x2+x3; textual =~ x4+x5+x6; speed =~ x7+x8+x9``, all items ordered, ``std.lv = TRUE``,
``parameterization = "theta"``, estimator WLSMV. Each comparison is at the printed precision:
|ours - printed| <= half a unit in the last printed digit. Data: tests/data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats import dwls, structure
from analysis.stats.dwls import FIT_COLUMNS, cfa_ordinal, cfa_ordinal_fit, polychoric_gamma
from analysis.stats.ordinal import polychoric_table

DATA = Path(__file__).parent / "data"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]

# lavaan's printed output (source above)
STD_LOADINGS = [0.835, 0.443, 0.559, 0.827, 0.876, 0.870, 0.529, 0.634, 0.820]
THETA_LOADINGS = [1.520, 0.495, 0.674, 1.472, 1.819, 1.767, 0.624, 0.820, 1.430]
THETA_SE = [0.394, 0.088, 0.106, 0.160, 0.226, 0.195, 0.096, 0.121, 0.308]
FACTOR_CORRELATIONS = {("visual", "textual"): 0.490, ("visual", "speed"): 0.491, ("textual", "speed"): 0.232}
X1_THRESHOLDS = [-0.7860, -0.2140, 0.3975, 0.8440]


def _cut5(x: np.ndarray) -> np.ndarray:
    """R's ``cut(x, quantile(x, seq(0, 1, len = 6), type = 8), include.lowest = TRUE)`` as codes 1..5."""
    qs = np.quantile(x, np.linspace(0, 1, 6), method="median_unbiased")
    return np.searchsorted(qs[1:-1], x, side="left") + 1  # right-closed intervals, lowest included


def _printed(value: float, printed: float, decimals: int) -> bool:
    """``value`` agrees with a number printed to ``decimals`` places (rounding)."""
    return abs(value - printed) <= 0.5 * 10.0**-decimals + 1e-12


@pytest.fixture(scope="module")
def hs5() -> pd.DataFrame:
    hs = pd.read_csv(DATA / "holzinger_swineford39.csv")
    return pd.DataFrame({c: _cut5(hs[c].to_numpy(float)) for c in ITEMS})


@pytest.fixture(scope="module")
def hs_fit(hs5: pd.DataFrame):
    return cfa_ordinal(hs5, HS_MODEL)


def test_recoding_counts(hs5: pd.DataFrame) -> None:
    """The reference's check of the recoding: x1 counts 65/60/72/44/60, x2 90/54/53/53/51."""
    assert hs5["x1"].value_counts().sort_index().tolist() == [65, 60, 72, 44, 60]
    assert hs5["x2"].value_counts().sort_index().tolist() == [90, 54, 53, 53, 51]


def test_x1_thresholds(hs_fit) -> None:
    """Sample thresholds of x1: -0.7860, -0.2140, 0.3975, 0.8440."""
    got = hs_fit.thresholds.query("item == 'x1'")["value"].tolist()
    assert all(_printed(g, p, 4) for g, p in zip(got, X1_THRESHOLDS, strict=True)), got


def test_chi_square(hs_fit) -> None:
    """Standard DWLS statistic 56.708 on 24 df: (N - 1) F_min."""
    assert hs_fit.n == 301 and hs_fit.df == 24
    assert round(hs_fit.chi2, 3) == 56.708, hs_fit.chi2
    # the reference: N F_min instead gives 56.897, which is not lavaan's statistic
    assert round(hs_fit.chi2 * 301 / 300, 3) == 56.897


def test_fit_indices(hs_fit) -> None:
    """CFI .987, TLI .980, RMSEA .067, SRMR .065."""
    got = {"cfi": hs_fit.cfi, "tli": hs_fit.tli, "rmsea": hs_fit.rmsea, "srmr": hs_fit.srmr}
    want = {"cfi": 0.987, "tli": 0.980, "rmsea": 0.067, "srmr": 0.065}
    assert all(_printed(got[k], want[k], 3) for k in want), got


def test_standardised_loadings(hs_fit) -> None:
    """Standardised loadings x1..x9: .835 .443 .559 .827 .876 .870 .529 .634 .820."""
    got = hs_fit.loadings["std"].to_numpy()
    assert all(_printed(g, p, 3) for g, p in zip(got, STD_LOADINGS, strict=True)), got.round(4)


def test_theta_loadings_and_standard_errors(hs_fit) -> None:
    """Theta-metric loadings (SE): 1.520 (.394), .495 (.088), .674 (.106), 1.472 (.160), 1.819 (.226),
    1.767 (.195), .624 (.096), .820 (.121), 1.430 (.308)."""
    est, se = hs_fit.loadings["theta"].to_numpy(), hs_fit.loadings["se_theta"].to_numpy()
    assert all(_printed(g, p, 3) for g, p in zip(est, THETA_LOADINGS, strict=True)), est.round(4)
    assert all(_printed(g, p, 3) for g, p in zip(se, THETA_SE, strict=True)), se.round(5)


def test_factor_correlations(hs_fit) -> None:
    """visual-textual .490, visual-speed .491, textual-speed .232."""
    phi = hs_fit.factor_correlations
    for (f, g), printed in FACTOR_CORRELATIONS.items():
        assert _printed(phi.loc[f, g], printed, 3), (f, g, phi.loc[f, g])


def test_theta_and_standardised_metrics_agree(hs_fit) -> None:
    lo = hs_fit.loadings
    np.testing.assert_allclose(lo["std"], lo["theta"] / np.sqrt(1 + lo["theta"] ** 2), rtol=1e-14)


def test_one_row_table_has_cfa_fit_columns(hs5: pd.DataFrame, hs_fit) -> None:
    row = cfa_ordinal_fit(hs5, HS_MODEL)
    assert list(row.columns) == FIT_COLUMNS
    hs = pd.read_csv(DATA / "holzinger_swineford39.csv")[ITEMS]
    assert list(structure.cfa_fit(hs, HS_MODEL).columns) == FIT_COLUMNS
    assert row.iloc[0]["chi2"] == hs_fit.chi2 and row.iloc[0]["note"] is None
    assert row.iloc[0]["rmsea_ci_low"] < hs_fit.rmsea < row.iloc[0]["rmsea_ci_high"]


def test_gamma_diagonal_is_the_polychoric_variance(hs5: pd.DataFrame) -> None:
    """The diagonal of Gamma / N is the squared two-step SE of each polychoric correlation."""
    pg = polychoric_gamma(hs5)
    for p, (i, j) in enumerate(pg.pairs[:5]):
        res = polychoric_table(pd.crosstab(hs5.iloc[:, i], hs5.iloc[:, j]).to_numpy())
        assert pg.rho[p] == res.rho
        assert pg.acov_diag[p] == pytest.approx(res.se**2, rel=1e-12)


def test_row_order_does_not_change_a_digit(hs5: pd.DataFrame, hs_fit) -> None:
    """Rounded to 6 decimals, every number is the same when the rows are reordered."""
    other = cfa_ordinal(hs5.sample(frac=1.0, random_state=17).reset_index(drop=True), HS_MODEL)
    assert round(other.chi2, 6) == round(hs_fit.chi2, 6)
    pd.testing.assert_frame_equal(other.loadings.round(6), hs_fit.loadings.round(6))
    pd.testing.assert_frame_equal(other.factor_correlations.round(6), hs_fit.factor_correlations.round(6))
    pd.testing.assert_frame_equal(other.to_frame().round(6), hs_fit.to_frame().round(6))


def test_not_fitted_notes() -> None:
    few = pd.DataFrame({"a": [0, 1, 1], "b": [1, 0, 1], "c": [0, 0, 1]})
    assert cfa_ordinal(few, {"f": ["a", "b", "c"]}).note.startswith("not computed: 3 cases")
    const = pd.DataFrame({"a": [0, 1] * 10, "b": [1, 0] * 10, "c": [1] * 20})
    res = cfa_ordinal(const, {"f": ["a", "b", "c"]})
    assert "single observed category: c" in res.note and np.isnan(res.chi2)


# ---------------------------------------------------------------------------------------------
# simulation with known truth
# ---------------------------------------------------------------------------------------------

TRUE_LOADINGS = np.array([0.8, 0.7, 0.6, 0.5, 0.75, 0.65])
CUTS = [[-1.2, -0.3, 0.5, 1.4], [-0.8, 0.2, 1.0], [0.0], [-1.5, -0.5, 0.5, 1.5], [-0.6, 0.6], [-1.0, 0.0, 1.0]]


def _one_factor(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 1)) * TRUE_LOADINGS + rng.standard_normal((n, 6)) * np.sqrt(1 - TRUE_LOADINGS**2)
    return pd.DataFrame({f"y{i}": np.digitize(z[:, i], CUTS[i]) for i in range(6)})


def test_one_factor_truth() -> None:
    """N = 20,000, one factor, known standardised loadings: each estimate within 3 SE, fit not rejected
    badly (the model is true), thresholds near their cut points."""
    res = cfa_ordinal(_one_factor(20_000, 99), {"f": [f"y{i}" for i in range(6)]})
    z = (res.loadings["std"].to_numpy() - TRUE_LOADINGS) / res.loadings["se_std"].to_numpy()
    assert np.all(np.abs(z) < 3), z
    assert res.df == 9 and res.rmsea < 0.02 and res.cfi > 0.995
    th = res.thresholds.query("item == 'y0'")["value"].to_numpy()
    np.testing.assert_allclose(th, CUTS[0], atol=0.05)


@pytest.mark.slow
def test_one_factor_standard_errors_match_replications() -> None:
    """Sandwich SEs of the standardised loadings against the spread over 150 replications of N = 400."""
    fits = [cfa_ordinal(_one_factor(400, 1000 + s), {"f": [f"y{i}" for i in range(6)]}) for s in range(150)]
    est = np.array([f.loadings["std"].to_numpy() for f in fits])
    se = np.array([f.loadings["se_std"].to_numpy() for f in fits])
    np.testing.assert_allclose(est.mean(axis=0), TRUE_LOADINGS, atol=4 * est.std(axis=0).max() / np.sqrt(150) + 0.005)
    np.testing.assert_allclose(se.mean(axis=0) / est.std(axis=0, ddof=1), 1.0, atol=0.2)
    # the standard DWLS statistic is not chi-square on df = 9: under the true model its mean is
    # tr(U Gamma), U = W - W D (D'WD)^-1 D'W (Satorra 1989), here about 4.8 -- a check of the full Gamma
    chi2 = np.array([f.chi2 for f in fits])
    expected = _trace_u_gamma(_one_factor(20_000, 5))
    assert abs(chi2.mean() - expected) < 3 * chi2.std(ddof=1) / np.sqrt(len(chi2)), (chi2.mean(), expected)


def _trace_u_gamma(data: pd.DataFrame) -> float:
    """tr(U Gamma) of the one-factor model at a large-sample fit (private helpers of the module)."""
    pg = polychoric_gamma(data)
    w = 1 / (pg.n * pg.acov_diag)
    spec = dwls._spec({"f": list(data.columns)}, pg.pairs)
    jac = dwls._implied(dwls._fit(pg.rho, w, spec), spec)[1]
    wd = w[:, None] * jac
    u = np.diag(w) - wd @ np.linalg.solve(jac.T @ wd, wd.T)
    return float(np.trace(u @ (pg.n * pg.influence.T @ pg.influence)))


def test_mcar_blanks_are_used_pairwise_and_leave_the_estimates() -> None:
    """A one-factor model of six 4-category items, each cell blank with probability .1 (47 % of
    cases have a blank): every case counts, and the standardised loadings stay within Monte-Carlo
    error of the complete data's (their SEs are about .015 at this n)."""
    rng = np.random.default_rng(31)
    lam = np.array([0.8, 0.7, 0.7, 0.6, 0.6, 0.5])
    z = rng.standard_normal((3000, 1)) * lam + rng.standard_normal((3000, 6)) * np.sqrt(1 - lam**2)
    full = pd.DataFrame(np.digitize(z, [-0.8, 0.2, 1.1]), columns=[f"q{j}" for j in range(6)]).astype(float)
    holed = full.mask(rng.random(full.shape) < 0.1)
    groups = {"f": list(full.columns)}
    a, b = cfa_ordinal(full, groups), cfa_ordinal(holed, groups)
    assert b.n == 3000 and holed.dropna().shape[0] < 0.6 * 3000
    diff = np.abs(a.loadings["std"].to_numpy() - b.loadings["std"].to_numpy())
    assert diff.max() < 0.045 and diff.mean() < 0.02
    assert np.abs(b.loadings["std"].to_numpy() - lam).max() < 0.06
