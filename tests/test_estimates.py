"""Province estimates (direct, type-adjusted, Fay-Herriot EB): hand-checkable cases, determinism,
and a simulation with a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core.numerics import round_frame
from analysis.indicators.estimates import (
    band_cutoffs,
    direct_estimates,
    province_estimates,
    type_adjusted_estimates,
)
from analysis.instrument.codebook import Codebook

CUTOFFS = {"low": 0.0, "middle": 25.0, "high": 50.0, "very_high": 75.0}


def _agencies(scores: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([(p, f"T{j}", float(s)) for p, v in scores.items() for j, s in enumerate(v)],
                        columns=["province", "agency", "index"])


@pytest.fixture
def two_regions() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two regions of three provinces; every province with data has 4 agencies spread alike (equal psi);
    N3 has no agencies."""
    prov = pd.DataFrame({"iso_code": ["N1", "N2", "N3", "S1", "S2", "S3"], "region": ["north"] * 3 + ["south"] * 3})
    spread = np.array([-10.0, 0.0, 0.0, 10.0])  # s^2 = 200 / 3 in every province
    means = {"N1": 40.0, "N2": 52.0, "S1": 60.0, "S2": 75.0, "S3": 63.0}
    return _agencies({p: list(m + spread) for p, m in means.items()}), prov


def test_direct_is_the_mean_with_pooled_variance(two_regions) -> None:
    ag, prov = two_regions
    d = direct_estimates(ag, prov)
    assert d["province"].tolist() == ["N1", "N2", "N3", "S1", "S2", "S3"]
    assert d["n"].tolist() == [4, 4, 0, 4, 4, 4]
    assert d.attrs["s2_pooled"] == pytest.approx(200 / 3, rel=1e-14)
    assert d["direct"].tolist()[:2] == [40.0, 52.0] and np.isnan(d.at[2, "direct"])
    assert d["direct_var"].dropna().to_numpy() == pytest.approx(np.full(5, 200 / 3 / 4), rel=1e-14)


def test_province_without_agencies_gets_the_synthetic_regional_prediction(two_regions) -> None:
    ag, prov = two_regions
    est = province_estimates(ag, prov, n_draws=500, cutoffs=CUTOFFS).set_index("province")
    n3 = est.loc["N3"]
    # equal psi: the GLS regional mean is the plain mean of the region's direct estimates
    assert n3["eb"] == pytest.approx((40.0 + 52.0) / 2, abs=1e-9)
    assert n3["eb"] == n3["synthetic"]
    assert np.isnan(n3["direct"]) and np.isnan(n3["gamma"]) and pd.isna(n3["direct_rank"])
    # no direct estimate: MSE = sigma2_u + x' V(beta) x, with V(beta) for a region of 2 provinces
    s2u = est.attrs["sigma2_u"]
    assert n3["eb_mse"] == pytest.approx(s2u + (s2u + 200 / 3 / 4) / 2, rel=1e-9)
    assert est["eb_rank"].notna().all() and est["direct_rank"].notna().sum() == 5
    assert est[[f"p_{b}" for b in CUTOFFS]].sum(axis=1).to_numpy() == pytest.approx(np.ones(6))


def test_one_agency_gets_the_pooled_variance() -> None:
    prov = pd.DataFrame({"iso_code": ["A", "B", "C", "D"], "region": "r"})
    ag = _agencies({"A": [20.0, 40.0], "B": [60.0, 80.0], "C": [75.0, 95.0], "D": [44.0]})
    d = direct_estimates(ag, prov)
    assert d.attrs["s2_pooled"] == pytest.approx(200.0)  # (200 + 200 + 200) / (1 + 1 + 1); D adds nothing
    assert d.set_index("province").loc["D", ["n", "direct", "direct_var"]].tolist() == [1, 44.0, 200.0]
    est = province_estimates(ag, prov, n_draws=500).set_index("province")
    assert 0 < est.loc["D", "gamma"] < est.loc["A", "gamma"]  # the noisiest estimate is shrunk most


def test_equal_psi_closed_form_and_rank_order() -> None:
    """Intercept only, equal psi: sigma2_u = var(y) - psi, one gamma, EB ranks = direct ranks."""
    prov = pd.DataFrame({"iso_code": list("ABCDEF"), "region": "r"})
    means = [35.0, 48.0, 52.0, 61.0, 70.0, 44.0]
    spread = np.array([-8.0, -2.0, 2.0, 8.0])
    ag = _agencies({p: list(m + spread) for p, m in zip("ABCDEF", means, strict=True)})
    est = province_estimates(ag, prov, n_draws=2000, seed=3)
    psi = float(np.var(spread, ddof=1)) / 4
    s2u = float(np.var(means, ddof=1)) - psi
    gamma = s2u / (s2u + psi)
    assert est.attrs["sigma2_u"] == pytest.approx(s2u, rel=1e-10)
    assert est["gamma"].to_numpy() == pytest.approx(np.full(6, gamma), rel=1e-10)
    assert est["eb"].to_numpy() == pytest.approx(np.mean(means) + gamma * (np.array(means) - np.mean(means)),
                                                 rel=1e-10)
    assert est["eb_rank"].tolist() == est["direct_rank"].tolist() == [6, 4, 3, 2, 1, 5]
    half = 1.959963984540054 * np.sqrt(psi)
    assert (est["direct_high"] - est["direct"]).to_numpy() == pytest.approx(np.full(6, half))
    # EB intervals are narrower than the direct ones, which is the point of borrowing strength
    assert ((est["eb_high"] - est["eb_low"]) < (est["direct_high"] - est["direct_low"])).all()


def test_type_adjusted_matches_least_squares() -> None:
    """The backfitted province + type fit equals the least-squares solution of the dummy regression."""
    rng = np.random.default_rng(5)
    provs = [f"P{i:02d}" for i in range(12)]
    rows = [(p, f"T{k}", 50 + i + 3 * k + rng.normal(0, 4)) for i, p in enumerate(provs) for k in range(6)
            if rng.random() < 0.75]
    ag = pd.DataFrame(rows, columns=["province", "agency", "index"])
    prov = pd.DataFrame({"iso_code": provs, "region": "r"})
    d = type_adjusted_estimates(ag, prov)
    P = pd.get_dummies(ag["province"]).astype(float)
    T = pd.get_dummies(ag["agency"]).astype(float)
    X = np.hstack([P.to_numpy(), T.to_numpy()[:, 1:]])
    beta = np.linalg.lstsq(X, ag["index"].to_numpy(), rcond=None)[0]
    tau = np.r_[0.0, beta[P.shape[1]:]]
    expected = beta[: P.shape[1]] + tau.mean()  # province effect averaged over all types equally
    assert d.set_index("province").loc[P.columns, "direct"].to_numpy() == pytest.approx(expected, abs=1e-8)
    resid = ag["index"].to_numpy() - X @ beta
    dof = len(ag) - X.shape[1]
    assert d.attrs["df_residual"] == dof
    assert d.attrs["s2_residual"] == pytest.approx(float(resid @ resid) / dof, rel=1e-8)
    assert d["direct_var"].to_numpy() == pytest.approx(d.attrs["s2_residual"] / d["n"].to_numpy())


def test_type_adjustment_removes_type_composition() -> None:
    """Noise-free additive scores: the plain mean depends on which types answered, the adjusted one not."""
    tau = {"T0": -6.0, "T1": 0.0, "T2": 6.0}
    level = {"A": 50.0, "B": 50.0, "C": 40.0}
    answered = {"A": ["T0", "T1", "T2"], "B": ["T2", "T2b"], "C": ["T0", "T1"]}
    rows = [(p, t[:2], level[p] + tau[t[:2]] + (0.5 if t.endswith("b") else 0.0)) for p, ts in answered.items()
            for t in ts]
    rows += [("A", "T0", 49.5 - 6.0), ("C", "T2", 40.5 + 6.0)]  # a little residual noise
    ag = pd.DataFrame(rows, columns=["province", "agency", "index"])
    prov = pd.DataFrame({"iso_code": list("ABC"), "region": "r"})
    plain = direct_estimates(ag, prov).set_index("province")["direct"]
    adj = type_adjusted_estimates(ag, prov).set_index("province")["direct"]
    assert plain["B"] > plain["A"] + 4  # B answered with its best type only
    assert abs(adj["B"] - adj["A"]) < 1.0 and adj["A"] - adj["C"] == pytest.approx(10.0, abs=0.5)


@pytest.mark.parametrize("adjust_for", [None, "agency"])
def test_row_order_and_ulp_noise_change_nothing(adjust_for: str | None) -> None:
    rng = np.random.default_rng(11)
    provs = [f"TH-{i:02d}" for i in range(10, 40)]
    prov = pd.DataFrame({"iso_code": provs, "region": [["a", "b", "c"][i % 3] for i in range(30)]})
    ag = pd.DataFrame([(p, f"T{k}", float(np.clip(45 + 8 * rng.standard_normal() + 12 * rng.standard_normal(), 0,
                                                   100)))
                       for p in provs for k in range(19) if rng.random() < 0.85],
                      columns=["province", "agency", "index"])
    kw = {"n_draws": 1000, "seed": 4, "cutoffs": CUTOFFS, "adjust_for": adjust_for}
    ref = province_estimates(ag, prov, **kw)
    shuffled = ag.sample(frac=1.0, random_state=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(province_estimates(shuffled, prov.iloc[::-1], **kw), ref)
    noisy = shuffled.copy()
    steps = rng.integers(-3, 4, size=len(noisy))
    x = noisy["index"].to_numpy(copy=True)
    for _ in range(3):
        x = np.where(steps > 0, np.nextafter(x, np.inf), np.where(steps < 0, np.nextafter(x, -np.inf), x))
        steps = steps - np.sign(steps)
    noisy["index"] = x
    pd.testing.assert_frame_equal(round_frame(province_estimates(noisy, prov, **kw), 6), round_frame(ref, 6))


def test_inputs_are_checked(two_regions) -> None:
    ag, prov = two_regions
    with pytest.raises(ValueError, match="missing from the provinces table"):
        province_estimates(ag, prov[prov["iso_code"] != "S3"])
    with pytest.raises(ValueError, match="iso_code and region"):
        province_estimates(ag, prov.drop(columns="region"))
    with pytest.raises(ValueError, match="at least two agencies"):
        direct_estimates(ag.drop_duplicates("province"), prov)


def test_band_cutoffs_follow_the_codebook(codebook: Codebook) -> None:
    table = codebook.bands_table()
    assert list(band_cutoffs(codebook)) == table["band"].tolist()
    assert list(band_cutoffs(codebook).values()) == table["lower"].tolist()


def test_simulation_with_known_truth() -> None:
    """Fay-Herriot data generated at the agency level: EB beats the direct estimate in mean squared
    error, and both 95 % intervals cover the province means about 95 % of the time."""
    rng = np.random.default_rng(20240607)
    m, reps = 60, 40
    prov = pd.DataFrame({"iso_code": [f"P{i:02d}" for i in range(m)], "region": [f"r{i % 4}" for i in range(m)]})
    region_mean = np.array([40.0, 46.0, 50.0, 55.0])[np.arange(m) % 4]
    err_direct, err_eb, cover_direct, cover_eb = [], [], [], []
    for _ in range(reps):
        theta = region_mean + rng.normal(0, 4.0, m)
        n = rng.integers(5, 19, m)
        rows = [(prov.at[i, "iso_code"], theta[i] + rng.normal(0, 14.0)) for i in range(m) for _ in range(n[i])]
        ag = pd.DataFrame(rows, columns=["province", "index"])
        est = province_estimates(ag, prov, n_draws=200)
        err_direct.append(est["direct"].to_numpy() - theta)
        err_eb.append(est["eb"].to_numpy() - theta)
        cover_direct.append((est["direct_low"] <= theta) & (theta <= est["direct_high"]))
        cover_eb.append((est["eb_low"] <= theta) & (theta <= est["eb_high"]))
    mse_direct, mse_eb = np.mean(np.square(err_direct)), np.mean(np.square(err_eb))
    assert mse_eb < 0.8 * mse_direct
    assert 0.93 <= np.mean(cover_direct) <= 0.97
    assert 0.93 <= np.mean(cover_eb) <= 0.975
