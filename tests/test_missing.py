"""EM moments of incomplete data against the closed form and against the complete data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.missing import em_moments


def test_em_equals_andersons_closed_form_for_monotone_missingness() -> None:
    """Bivariate normal, y1 always observed, y2 for the first m cases: the ML estimates have a closed
    form (Anderson 1957; Little & Rubin 2019, section 7.2), which EM must reach."""
    rng = np.random.default_rng(3)
    n, m = 400, 250
    y1 = rng.normal(10, 2, n)
    y2 = 3 + 0.6 * y1 + rng.normal(0, 1.5, n)
    y2[m:] = np.nan
    est = em_moments(pd.DataFrame({"y1": y1, "y2": y2}))
    a, b = y1[:m], y2[:m]
    s11, s12, s22 = np.var(a), np.cov(a, b, ddof=0)[0, 1], np.var(b)
    beta = s12 / s11
    mu1, sig11 = y1.mean(), np.var(y1)
    mu2 = b.mean() + beta * (mu1 - a.mean())
    sig22 = s22 - s12**2 / s11 + beta**2 * sig11
    expected_cov = np.array([[sig11, beta * sig11], [beta * sig11, sig22]])
    np.testing.assert_allclose(est.mean.to_numpy(), [mu1, mu2], rtol=1e-8)
    np.testing.assert_allclose(est.cov.to_numpy(), expected_cov, rtol=1e-8)
    assert (est.n, est.n_complete) == (n, m)
    assert est.pair_n.loc["y1", "y2"] == m


def test_mcar_blanks_give_the_complete_data_estimates_within_monte_carlo_error() -> None:
    """Six congeneric items, each cell blank with probability .2 (26 % complete cases): EM uses every
    case and its correlations stay within Monte-Carlo error of the complete data's."""
    rng = np.random.default_rng(11)
    n, lam = 1200, np.array([0.8, 0.7, 0.7, 0.6, 0.5, 0.5])
    full = rng.standard_normal((n, 1)) * lam + rng.standard_normal((n, 6)) * np.sqrt(1 - lam**2)
    holed = full.copy()
    holed[rng.random(full.shape) < 0.2] = np.nan
    cols = list("abcdef")
    est = em_moments(pd.DataFrame(holed, columns=cols))
    complete = np.corrcoef(full, rowvar=False)
    assert est.n == n and est.n_complete < 0.3 * n
    # SE of a correlation near .4 with ~770 pairwise cases is about .03: allow 3 SE
    np.testing.assert_allclose(est.corr.to_numpy(), complete, atol=0.09)
    assert np.abs(est.corr.to_numpy() - complete).mean() < 0.03
    assert est.coverage == pytest.approx(0.8, abs=0.02)


def test_order_of_rows_does_not_change_the_estimate() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((300, 4))
    x[rng.random(x.shape) < 0.15] = np.nan
    a = em_moments(pd.DataFrame(x)).cov.to_numpy()
    b = em_moments(pd.DataFrame(x[rng.permutation(300)])).cov.to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9)
