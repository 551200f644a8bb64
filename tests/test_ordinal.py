"""Polychoric, tetrachoric and polyserial correlations against published values and simulation truth.

Published values are from /work/shared/REFERENCE_VALUES.md, "Polychoric and tetrachoric correlations":
Olsson's (1979) 3 x 3 table as tested in matrixCorr (cran/matrixCorr, ``tests/testthat/test_latent_corr.R``
at e5728d754034656ff7015b7217e9b720837d82b3), and Kirk's (1973) tetrachoric cases as tested in psych
(cran/psych at 364998fd9f1849adc6dd13299346fca320d51fc7, the ``comorbidity`` tetrachoric test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from analysis.stats.ordinal import (
    bvn_cdf,
    bvn_pdf,
    het_cor,
    ordinal_codes,
    polychoric,
    polychoric_table,
    polyserial,
    thresholds,
)

#: Olsson (1979), N = 500; rows x, columns y (R: ``matrix(c(13,69,41,6,113,132,0,22,104),3,3)``).
OLSSON = np.array([[13, 6, 0], [69, 113, 22], [41, 132, 104]])


def _owen_bvn(a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X < a, Y < b; r) by Owen's T function (Owen 1956), an independent route through scipy.special.owens_t."""
    s = np.sqrt(1 - r * r)
    with np.errstate(divide="ignore", invalid="ignore"):
        ah, ak = (b - r * a) / (a * s), (a - r * b) / (b * s)
    beta = np.where((a * b < 0) | ((a * b == 0) & (a + b < 0)), 0.5, 0.0)
    return 0.5 * (special.ndtr(a) + special.ndtr(b)) - special.owens_t(a, ah) - special.owens_t(b, ak) - beta


def _kirk_table(p1: float, p2: float, p11: float) -> np.ndarray:
    """2 x 2 table of proportions with marginals p1 (x in its first category), p2 (y) and joint p11."""
    return np.array([[p11, p1 - p11], [p2 - p11, 1 - p1 - p2 + p11]])


# ---------------------------------------------------------------------------------------------
# bivariate normal distribution function
# ---------------------------------------------------------------------------------------------


def test_bvn_known_values() -> None:
    """rho = 0 is the product of the margins; at the origin P = 1/4 + asin(rho) / (2 pi) (Sheppard)."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500) * 2, rng.normal(size=500) * 2
    np.testing.assert_allclose(bvn_cdf(a, b, 0.0), special.ndtr(a) * special.ndtr(b), rtol=0, atol=1e-15)
    assert float(bvn_cdf(0.0, 0.0, 0.5)) == pytest.approx(1 / 3, abs=1e-15)
    rho = np.linspace(-0.999, 0.999, 201)
    np.testing.assert_allclose(bvn_cdf(0.0, 0.0, rho), 0.25 + np.arcsin(rho) / (2 * np.pi), rtol=0, atol=1e-15)


def test_bvn_infinite_bounds_and_perfect_correlation() -> None:
    x = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
    np.testing.assert_array_equal(bvn_cdf(np.inf, x, 0.3), special.ndtr(x))
    np.testing.assert_array_equal(bvn_cdf(x, np.inf, -0.8), special.ndtr(x))
    np.testing.assert_array_equal(bvn_cdf(-np.inf, x, 0.3), 0.0)
    assert float(bvn_cdf(np.inf, np.inf, 0.95)) == 1.0
    y = x[::-1]
    np.testing.assert_allclose(bvn_cdf(x, y, 1.0), special.ndtr(np.minimum(x, y)), atol=1e-15)
    np.testing.assert_allclose(bvn_cdf(x, y, -1.0), np.maximum(special.ndtr(x) + special.ndtr(y) - 1, 0), atol=1e-15)


def test_bvn_matches_owens_t_everywhere() -> None:
    """Against the Owen's T representation, including |rho| >= 0.925 (Genz's second branch)."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=4000) * 2.5, rng.normal(size=4000) * 2.5
    r = np.concatenate([rng.uniform(-0.999, 0.999, 2000), rng.uniform(0.925, 0.99999, 1000),
                        -rng.uniform(0.925, 0.99999, 1000)])
    np.testing.assert_allclose(bvn_cdf(a, b, r), _owen_bvn(a, b, r), rtol=0, atol=2e-15)
    np.testing.assert_allclose(bvn_cdf(a, b, r), bvn_cdf(b, a, r), rtol=0, atol=1e-15)


def test_bvn_pdf_is_the_derivative_in_rho() -> None:
    """Plackett's identity d Phi2 / d rho = phi2, the score of a polychoric correlation."""
    a, b, r, h = np.array([-1.2, 0.3, 1.1]), np.array([0.4, -0.9, 1.8]), np.array([-0.6, 0.2, 0.95]), 1e-5
    numeric = (bvn_cdf(a, b, r + h) - bvn_cdf(a, b, r - h)) / (2 * h)
    np.testing.assert_allclose(bvn_pdf(a, b, r), numeric, rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# thresholds and polychoric correlations: published values
# ---------------------------------------------------------------------------------------------


def test_olsson_two_step() -> None:
    """Olsson (1979) via matrixCorr's test (``polychoric(tab_3x3, correct = 0)``, tolerance 1e-7):
    rho 0.491371943011718, row thresholds -1.77438191034496 -0.135773931302112, column
    thresholds -0.687131286795469 0.668209299725723."""
    res = polychoric_table(OLSSON)
    assert res.rho == pytest.approx(0.491371943011718, abs=1e-7)
    np.testing.assert_allclose(res.row_thresholds, [-1.77438191034496, -0.135773931302112], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.col_thresholds, [-0.687131286795469, 0.668209299725723], rtol=0, atol=1e-12)
    # Olsson's printed values: rho .49; row -1.77, -.14; column -.69, .67
    assert round(res.rho, 2) == 0.49
    assert np.round(res.row_thresholds, 2).tolist() == [-1.77, -0.14]
    assert np.round(res.col_thresholds, 2).tolist() == [-0.69, 0.67]


def test_olsson_from_raw_data_and_thresholds() -> None:
    """The same estimate from the case-level data (any row order), and :func:`thresholds` of each margin."""
    rows, cols = np.nonzero(OLSSON >= 0)
    counts = OLSSON[rows, cols]
    x, y = np.repeat(rows + 1, counts), np.repeat(cols + 1, counts)
    perm = np.random.default_rng(5).permutation(len(x))
    a, b = polychoric(x, y), polychoric(x[perm], y[perm])
    assert a.rho == b.rho == polychoric_table(OLSSON).rho
    assert a.loglik == b.loglik and a.n == 500
    np.testing.assert_allclose(thresholds(x), [-1.77438191034496, -0.135773931302112], atol=1e-12)
    np.testing.assert_allclose(thresholds(y), [-0.687131286795469, 0.668209299725723], atol=1e-12)


def test_olsson_is_the_likelihood_maximum() -> None:
    """The score vanishes at rho (Owen's T route, central difference) and the log-likelihood is the table's."""
    res = polychoric_table(OLSSON)
    tr, tc = np.r_[-40, res.row_thresholds, 40][:, None], np.r_[-40, res.col_thresholds, 40][None, :]

    def loglik(r: float) -> float:
        f = _owen_bvn(tr, tc, np.full(tr.shape, r) + 0 * tc)
        p = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
        return float((OLSSON * np.log(np.where(OLSSON > 0, p, 1))).sum())

    assert loglik(res.rho) == pytest.approx(res.loglik, abs=1e-9)
    assert abs(loglik(res.rho + 1e-5) - loglik(res.rho - 1e-5)) / 2e-5 < 1e-6


@pytest.mark.parametrize(("p11", "rho"), [(0.3333333, 0.5), (0.3154950, 0.4)])
def test_kirk_tetrachoric(p11: float, rho: float) -> None:
    """Kirk (1973), marginals .5 and .5 (psych's test): p11 = .3333333 gives .5, .3154950 gives .4 (tol 1e-6)."""
    res = polychoric_table(_kirk_table(0.5, 0.5, p11))
    assert res.rho == pytest.approx(rho, abs=1e-6)
    # equal margins: the ML estimate is Sheppard's closed form rho = sin(2 pi (p11 - 1/4))
    assert res.rho == pytest.approx(np.sin(2 * np.pi * (p11 - 0.25)), abs=1e-12)
    # counts instead of proportions: the same table scaled to N = 10^7
    assert polychoric_table(_kirk_table(0.5, 0.5, p11) * 1e7).rho == pytest.approx(res.rho, abs=1e-12)


def test_kirk_tetrachoric_08_at_psych_tolerance() -> None:
    """Kirk (1973): p11 = .39758450 gives .8, which psych tests at tolerance 1e-5 (relative).

    p11 is Kirk's rounded value: with margins .5/.5 the exact ML estimate is
    sin(2 pi (.39758450 - 1/4)) = 0.80000333, 3.3e-6 from .8 (rho = .8 exactly has p11 = .3975836).
    """
    res = polychoric_table(_kirk_table(0.5, 0.5, 0.39758450))
    assert abs(res.rho - 0.8) / 0.8 < 1e-5
    assert res.rho == pytest.approx(np.sin(2 * np.pi * (0.39758450 - 0.25)), abs=1e-12)


def test_kirk_independence() -> None:
    """psych's fourth Kirk case: ``comorbidity(.5, .2275, .11375)`` gives 0 (p11 = .5 x .2275)."""
    assert polychoric_table(_kirk_table(0.5, 0.2275, 0.11375)).rho == pytest.approx(0.0, abs=1e-10)


# ---------------------------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------------------------


def test_unobserved_categories_are_dropped() -> None:
    """A scale point nobody chose has no threshold and does not change the estimate."""
    assert polychoric_table(np.array([[3, 0, 4], [0, 0, 0], [5, 0, 6]])).rho == \
        polychoric_table(np.array([[3, 4], [5, 6]])).rho
    codes, levels = ordinal_codes(pd.Series(pd.Categorical([1, 3, 3], categories=[0, 1, 2, 3], ordered=True)))
    assert codes.tolist() == [0, 1, 1] and levels.tolist() == [1, 3]
    assert len(thresholds(pd.Series([1.0, 1.0, np.nan, 5.0]))) == 1


def test_zero_cells_and_perfect_association_give_no_nan() -> None:
    # 2 x 2 with one empty cell: lavaan's 0.5 correction keeping the margins
    one = polychoric_table(np.array([[10, 0], [5, 10]]))
    assert one.rho == pytest.approx(polychoric_table(np.array([[9.5, 0.5], [5.5, 9.5]])).rho, abs=1e-12)
    assert np.isfinite(one.se) and np.isfinite(one.loglik)
    # 2 x 2 with two empty cells on a diagonal: a perfect association
    assert polychoric_table(np.array([[10, 0], [0, 10]])).rho == 1.0
    assert polychoric_table(np.array([[0, 7], [9, 0]])).rho == -1.0
    # larger table, perfect ordering: the likelihood rises to the bound
    diag = polychoric_table(np.diag([10, 10, 10]))
    assert diag.rho == 0.999 and np.isfinite(diag.loglik) and np.isfinite(diag.se)
    near = polychoric_table(np.array([[20, 1, 0], [1, 20, 1], [0, 1, 20]]))
    assert 0.98 < near.rho < 0.999 and np.isfinite(near.se)
    # a constant variable has no correlation
    assert np.isnan(polychoric_table(np.array([[5, 5], [0, 0]])).rho)


# ---------------------------------------------------------------------------------------------
# simulation with known truth
# ---------------------------------------------------------------------------------------------


def _cut_bvn(rho: float, n: int, seed: int, tx: list[float], ty: list[float]) -> tuple[np.ndarray, np.ndarray]:
    z = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    return np.digitize(z[:, 0], tx), np.digitize(z[:, 1], ty)


def test_polychoric_recovers_rho_and_thresholds() -> None:
    """N = 20,000 cut from a bivariate normal with rho = 0.6 at known thresholds: within 3 SE."""
    tx, ty = [-1.0, -0.2, 0.8], [-0.5, 0.7]
    x, y = _cut_bvn(0.6, 20_000, 2024, tx, ty)
    res = polychoric(x, y)
    assert abs(res.rho - 0.6) < 3 * res.se
    assert 0.005 < res.se < 0.01
    np.testing.assert_allclose(res.row_thresholds, tx, atol=0.04)
    np.testing.assert_allclose(res.col_thresholds, ty, atol=0.04)


def test_polychoric_standard_error_matches_replications() -> None:
    """The two-step standard error (influence functions, as lavaan's Gamma) against 300 replications of N = 500."""
    tx, ty = [-0.8, 0.3], [-0.4, 0.2, 1.0]
    fits = [polychoric(*_cut_bvn(0.5, 500, s, tx, ty)) for s in range(300)]
    rhos, ses = np.array([f.rho for f in fits]), np.array([f.se for f in fits])
    assert abs(rhos.mean() - 0.5) < 3 * rhos.std(ddof=1) / np.sqrt(len(rhos))
    assert ses.mean() / rhos.std(ddof=1) == pytest.approx(1.0, abs=0.12)


def test_polyserial_recovers_rho() -> None:
    """N = 20,000, rho = 0.6, y cut at known thresholds. Over 100 replications of this design the
    estimates had mean 0.5994 and SD 0.0044 (no SE is returned for a polyserial), so 0.015 is over 3 SD."""
    z = np.random.default_rng(7).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=20_000)
    res = polyserial(50 + 10 * z[:, 0], np.digitize(z[:, 1], [-1.0, 0.0, 1.2]))
    assert abs(res.rho - 0.6) < 0.015
    np.testing.assert_allclose(res.thresholds, [-1.0, 0.0, 1.2], atol=0.04)
    assert res.n == 20_000 and res.mean == pytest.approx(50, abs=0.3)


def test_polyserial_is_invariant_to_linear_transformations_and_row_order() -> None:
    z = np.random.default_rng(8).multivariate_normal([0, 0], [[1, -0.4], [-0.4, 1]], size=3000)
    x, y = z[:, 0], np.digitize(z[:, 1], [-0.3, 0.9])
    base = polyserial(x, y)
    perm = np.random.default_rng(9).permutation(len(x))
    assert polyserial(x[perm], y[perm]).rho == base.rho
    assert polyserial(3 + 2 * x, y).rho == pytest.approx(base.rho, abs=1e-12)
    assert polyserial(-x, y).rho == pytest.approx(-base.rho, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# heterogeneous correlation matrix
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    """Three ordinal items (binary, 5-point, 0-4) and two capped continuous items, with missing answers."""
    rng = np.random.default_rng(11)
    f = rng.standard_normal((1500, 1))
    lam = np.array([0.7, 0.6, 0.8, 0.5, 0.6])
    z = f * lam + rng.standard_normal((1500, 5)) * np.sqrt(1 - lam**2)
    df = pd.DataFrame({"yes_no": np.digitize(z[:, 0], [0.3]),
                       "likert": np.digitize(z[:, 1], [-1.5, -0.5, 0.4, 1.2]) + 1,
                       "level": np.digitize(z[:, 2], [-1, 0, 1, 2]),
                       "count": np.clip(np.round(20 + 8 * z[:, 3]), 0, 30),
                       "percent": np.clip(60 + 25 * z[:, 4], 0, 100)}).astype(float)
    df[rng.random(df.shape) < 0.08] = np.nan
    return df


def test_het_cor_methods_and_pairwise_n(mixed: pd.DataFrame) -> None:
    res = het_cor(mixed, ["yes_no", "likert", "level"])
    assert res.method.loc["yes_no", "likert"] == "polychoric"
    assert res.method.loc["count", "level"] == "polyserial"
    assert res.method.loc["count", "percent"] == "pearson"
    both = mixed[["likert", "count"]].dropna()
    assert res.n.loc["likert", "count"] == len(both)
    assert res.n.loc["likert", "likert"] == mixed["likert"].notna().sum()
    assert res.cor.loc["likert", "count"] == polyserial(both["count"], both["likert"]).rho
    pair = mixed[["yes_no", "level"]].dropna()
    assert res.cor.loc["level", "yes_no"] == polychoric(pair["yes_no"], pair["level"]).rho
    assert res.cor.loc["count", "percent"] == pytest.approx(mixed[["count", "percent"]].corr().iloc[0, 1], abs=1e-12)
    np.testing.assert_array_equal(res.cor.to_numpy(), res.cor.to_numpy().T)
    assert np.all(np.diag(res.cor) == 1)


def test_het_cor_ignores_row_order(mixed: pd.DataFrame) -> None:
    """Rounded to 6 decimals the matrix is the same for any row order (it is in fact identical)."""
    a = het_cor(mixed, ["yes_no", "likert", "level"])
    b = het_cor(mixed.sample(frac=1.0, random_state=3), ["yes_no", "likert", "level"])
    pd.testing.assert_frame_equal(a.cor.round(6), b.cor.round(6), check_exact=True)
    pd.testing.assert_frame_equal(a.n, b.n)


def test_het_cor_truth(mixed: pd.DataFrame) -> None:
    """Latent correlations are l_i l_j; with 1,500 cases each estimate is within 0.1 of it."""
    lam = np.array([0.7, 0.6, 0.8, 0.5, 0.6])
    res = het_cor(mixed, ["yes_no", "likert", "level"])
    truth = np.outer(lam, lam)
    np.fill_diagonal(truth, 1)
    assert np.abs(res.cor.to_numpy() - truth).max() < 0.1


def test_het_cor_unknown_column() -> None:
    with pytest.raises(KeyError):
        het_cor(pd.DataFrame({"a": [1, 2]}), ["b"])


def test_scipy_mvn_agrees_loosely() -> None:
    """SciPy's multivariate_normal.cdf (a different, randomised-lattice method) agrees to ~1e-7."""
    pts = [(-0.4, 0.9, 0.3), (1.2, -0.2, -0.7), (0.5, 0.5, 0.95)]
    for a, b, r in pts:
        ref = stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([a, b])
        assert float(bvn_cdf(a, b, r)) == pytest.approx(ref, abs=1e-7)
