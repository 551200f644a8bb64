"""Reliability statistics against published values and known simulation truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from factor_analyzer import FactorAnalyzer
from semopy.examples import holzinger39

from analysis.cleaning.clean import clean_responses
from analysis.cleaning.reading import read_exports
from analysis.core.paths import params_dir
from analysis.instrument.codebook import Codebook
from analysis.instrument.scoring import score_items
from analysis.stats import consistency, factor, multilevel, run, structure
from analysis.stats.correlations import ItemCorrelations

SAMPLE = params_dir().parent / "data" / "sample"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
#: Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


@pytest.fixture(scope="module")
def sample_scores(codebook: Codebook) -> pd.DataFrame:
    """Item scores (0-100) of the committed sample export's clean responses."""
    raw, _ = read_exports([SAMPLE / "survey_export.csv"], codebook)
    return score_items(clean_responses(raw, codebook).clean, codebook)


@pytest.fixture(scope="module")
def pillar_truth() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "truth" / "pillars.csv")


def _one_scale(columns: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"item": columns, "pillar": "all", "weight_in_pillar": 1.0})


def _congeneric(rng: np.random.Generator, n: int, loadings: np.ndarray) -> np.ndarray:
    """Continuous one-factor data with unit-variance items."""
    f = rng.standard_normal((n, 1))
    return f * loadings + rng.standard_normal((n, len(loadings))) * np.sqrt(1 - loadings**2)


# --------------------------------------------------------------------------- published values


def test_alpha_reproduces_pingouin_documented_example() -> None:
    """pingouin's cronbach_alpha docs: alpha 0.5917, Feldt 95 % CI [0.195, 0.840]."""
    wide = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    out = consistency.cronbach_alpha(wide, _one_scale(wide.columns)).iloc[0]
    assert (out["n"], out["k"]) == (15, 10)
    assert round(out["alpha"], 4) == 0.5917
    assert (round(out["ci_low"], 3), round(out["ci_high"], 3)) == (0.195, 0.840)


def test_cfa_reproduces_lavaan_holzinger_swineford() -> None:
    """lavaan tutorial (cfa, HolzingerSwineford1939, three factors, ML): chi2 = 85.306, df = 24,
    CFI = .931, TLI = .896, RMSEA = .092 (90 % CI .071-.114), SRMR = .065.
    """
    out = structure.cfa_fit(holzinger39.get_data(), HS_MODEL).iloc[0]
    assert out["n"] == 301 and out["df"] == 24
    assert round(out["chi2"], 3) == 85.306
    assert round(out["cfi"], 3) == 0.931
    assert round(out["tli"], 3) == 0.896
    assert round(out["rmsea"], 3) == 0.092
    assert (round(out["rmsea_ci_low"], 3), round(out["rmsea_ci_high"], 3)) == (0.071, 0.114)
    assert round(out["srmr"], 3) == 0.065
    assert out["p"] < 0.001


def test_kmo_bartlett_holzinger_swineford() -> None:
    """psych::KMO(HolzingerSwineford1939[, 7:15]) (R package psych, the KMO help page's data) prints
    "Overall MSA = 0.75" and per-item MSA x1 .81, x2 .78, x3 .73, x4 .76, x5 .74, x6 .81, x7 .59,
    x8 .68, x9 .79. Kaiser's (1974) label for .75 is "middling". Bartlett's df is p(p - 1)/2 = 36.
    """
    x = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    out = structure.kmo_bartlett(ItemCorrelations.pearson(x))
    overall = out.iloc[0]
    assert overall["variable"] == "overall"
    assert round(overall["msa"], 2) == 0.75
    assert overall["kaiser_label"] == "middling"
    assert overall["bartlett_df"] == 36 and overall["bartlett_p"] < 1e-100
    assert list(out["variable"].iloc[1:]) == list(x.columns)
    assert out["msa"].iloc[1:].round(2).tolist() == [0.81, 0.78, 0.73, 0.76, 0.74, 0.81, 0.59, 0.68, 0.79]


@pytest.mark.parametrize(("value", "label"), [(0.95, "marvellous"), (0.85, "meritorious"), (0.75, "middling"),
                                              (0.65, "mediocre"), (0.55, "miserable"), (0.45, "unacceptable")])
def test_kaiser_labels(value: float, label: str) -> None:
    assert structure.kaiser_label(value) == label


def test_icc_reproduces_shrout_fleiss_table() -> None:
    """Shrout & Fleiss (1979), Table 4, one-way random model on their Table 2 data:
    ICC(1,1) = .17 and ICC(1,4) = .44. The F-based intervals are cross-checked with pingouin.
    """
    values = pd.Series(SHROUT_FLEISS.ravel())
    target = pd.Series(np.repeat(np.arange(6), 4))
    out = multilevel.icc(values, target).set_index("type")
    assert round(out.loc["ICC1", "icc"], 2) == 0.17
    assert round(out.loc["ICC2", "icc"], 2) == 0.44
    long = pd.DataFrame({"target": target, "judge": np.tile(list("ABCD"), 6), "y": values})
    ref = pg.intraclass_corr(long, targets="target", raters="judge", ratings="y").set_index("Type")
    for ours, theirs in (("ICC1", "ICC(1,1)"), ("ICC2", "ICC(1,k)")):
        assert out.loc[ours, "icc"] == pytest.approx(ref.loc[theirs, "ICC"], abs=1e-6)
        assert out.loc[ours, "F"] == pytest.approx(ref.loc[theirs, "F"], abs=1e-6)
        ci = np.round([out.loc[ours, "ci_low"], out.loc[ours, "ci_high"]], 2)
        assert ci == pytest.approx(ref.loc[theirs, "CI95"], abs=1e-9)


def test_icc_matches_pingouin_documented_wine_example() -> None:
    """pingouin.intraclass_corr docs (dataset "icc"): ICC(1,1) = 0.727521, ICC(1,k) = 0.914384,
    F = 11.680026 on 7 and 24 df.
    """
    d = pg.read_dataset("icc")
    out = multilevel.icc(d["Scores"], d["Wine"]).set_index("type")
    assert out.loc["ICC1", "icc"] == pytest.approx(0.727521, abs=1e-6)
    assert out.loc["ICC2", "icc"] == pytest.approx(0.914384, abs=1e-6)
    assert out.loc["ICC1", "F"] == pytest.approx(11.680026, abs=1e-6)
    assert (out.loc["ICC1", "df1"], out.loc["ICC1", "df2"]) == (7, 24)


# --------------------------------------------------------------------------- simulation truth


def test_alpha_recovers_sample_population_values(sample_scores: pd.DataFrame, codebook: Codebook,
                                                 pillar_truth: pd.DataFrame) -> None:
    """Each pillar's alpha is within 3 standard errors (from the Feldt interval) of the population
    alpha in data/sample/truth/pillars.csv.
    """
    out = consistency.cronbach_alpha(sample_scores, codebook.items_table()).merge(pillar_truth, on="pillar")
    assert len(out) == 6 and (out["k"] == out["n_items"]).all()
    assert (out["n"] > 800).all()
    se = (out["ci_high"] - out["ci_low"]) / (2 * 1.96)
    assert ((out["alpha"] - out["alpha_population"]).abs() < 3 * se).all(), out


def test_omega_against_sample_population_values(sample_scores: pd.DataFrame, codebook: Codebook,
                                                pillar_truth: pd.DataFrame) -> None:
    """Omega on the sample is within sampling error (3 SE) of the population omega: the one-factor
    omega of the population covariance of the generator's item scores (data/sample/truth)."""
    out = consistency.omega(sample_scores, codebook.items_table(), n_boot=200, seed=1).merge(pillar_truth, on="pillar")
    assert (out["scale"] == "covariance").all()
    assert ((out["ci_low"] < out["omega_total"]) & (out["omega_total"] < out["ci_high"])).all()
    se = (out["ci_high"] - out["ci_low"]) / (2 * 1.96)
    z = (out["omega_total"] - out["omega_population"]) / se
    assert (z.abs() < 3).all(), out.assign(z=z)[["pillar", "omega_total", "omega_population", "z"]]


def test_omega_recovers_congeneric_population_value() -> None:
    """Linear one-factor data with unequal loadings and item scales: the population omega of the
    raw sum is (sum sd_i l_i)^2 / ((sum sd_i l_i)^2 + sum sd_i^2 (1 - l_i^2)).
    """
    rng = np.random.default_rng(7)
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.7, 0.6])
    sd = np.array([1, 2, 5, 10, 1, 3, 20, 4], dtype=float)
    common = (sd * loadings).sum() ** 2
    truth = common / (common + (sd**2 * (1 - loadings**2)).sum())
    x = pd.DataFrame(_congeneric(rng, 900, loadings) * sd).add_prefix("i")
    out = consistency.omega(x, _one_scale(x.columns), n_boot=300, seed=3).iloc[0]
    se = (out["ci_high"] - out["ci_low"]) / (2 * 1.96)
    assert abs(out["omega_total"] - truth) < 3 * se


@pytest.mark.filterwarnings("ignore::FutureWarning")  # factor_analyzer 0.5.1 vs scikit-learn 1.7
def test_batched_one_factor_ml_reaches_factor_analyzer_optimum() -> None:
    x = _congeneric(np.random.default_rng(11), 500, np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.3]))
    fa = FactorAnalyzer(n_factors=1, rotation=None, method="ml").fit(x)
    lam, psi = factor.one_factor_ml(np.corrcoef(x, rowvar=False))
    assert lam == pytest.approx(np.abs(fa.loadings_[:, 0]), abs=1e-4)
    assert psi == pytest.approx(fa.get_uniquenesses(), abs=1e-4)


@pytest.fixture(scope="module")
def bifactor() -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Six groups of four items: general loading .6, group loading .5 (orthogonal factors)."""
    rng = np.random.default_rng(5)
    n, groups, per = 3000, 6, 4
    g_load, s_load = 0.6, 0.5
    k = groups * per
    general = rng.standard_normal((n, 1)) * g_load
    specific = np.repeat(rng.standard_normal((n, groups)), per, axis=1) * s_load
    x = general + specific + rng.standard_normal((n, k)) * np.sqrt(1 - g_load**2 - s_load**2)
    cols = [f"g{j}_{i}" for j in range(groups) for i in range(per)]
    items = pd.DataFrame({"item": cols, "pillar": [f"P{j + 1}" for j in range(groups) for _ in range(per)]})
    total = (k * g_load) ** 2 + groups * (per * s_load) ** 2 + k * (1 - g_load**2 - s_load**2)
    return pd.DataFrame(x, columns=cols), items, (k * g_load) ** 2 / total


def test_omega_hierarchical_recovers_bifactor_truth(bifactor: tuple[pd.DataFrame, pd.DataFrame, float]) -> None:
    """Independent clusters with a general factor: Schmid-Leiman is exact in the population."""
    x, items, omega_h = bifactor
    out = structure.omega_hierarchical(ItemCorrelations.pearson(x), items).iloc[0]
    assert out["n_group_factors"] == 6
    assert out["omega_h"] == pytest.approx(omega_h, abs=0.03)
    assert out["omega_h"] < out["omega_total"] < 1


def test_efa_and_parallel_analysis_recover_structure(bifactor: tuple[pd.DataFrame, pd.DataFrame, float]) -> None:
    x, items, _ = bifactor
    res = structure.efa(ItemCorrelations.pearson(x), items, n_factors=6)
    primary = res.loadings.groupby("pillar")["primary_factor"].agg(lambda s: s.mode().iloc[0])
    assert primary.nunique() == 6
    assert (res.loadings["primary_factor"] == res.loadings["pillar"].map(primary)).all()
    assert res.loadings["communality"].to_numpy() == pytest.approx(0.61, abs=0.08)
    assert np.allclose(np.diag(res.factor_correlations), 1, atol=1e-6)
    assert res.variance["cum_var"].is_monotonic_increasing
    pa = structure.parallel_analysis(ItemCorrelations.pearson(x), n_iter=50)
    assert pa["retain"].sum() == 6


def test_item_analysis_flags_noise_item() -> None:
    """A pure-noise item has item-total r near 0 and raises alpha when deleted; alpha-if-deleted
    equals pingouin's alpha of the remaining items.
    """
    rng = np.random.default_rng(2)
    x = pd.DataFrame(_congeneric(rng, 800, np.array([0.7, 0.7, 0.7, 0.7, 0.0]))).add_prefix("i")
    out = consistency.item_analysis(x, _one_scale(x.columns)).set_index("item")
    assert out.loc["i4", "flag_low_item_total"] and abs(out.loc["i4", "item_total_r"]) < 0.1
    assert not out.loc[["i0", "i1", "i2", "i3"], "flag_low_item_total"].any()
    full = pg.cronbach_alpha(data=x)[0]
    assert out.loc["i4", "alpha_if_deleted"] > full
    assert out.loc["i0", "alpha_if_deleted"] == pytest.approx(pg.cronbach_alpha(data=x.drop(columns="i0"))[0])
    assert out["threshold_source"].str.contains("Nunnally & Bernstein (1994)", regex=False).all()


def test_icc_recovers_simulated_between_group_variance() -> None:
    """76 provinces x 14-19 agencies, true ICC(1) = 0.2, 200 replications: the mean estimate is
    within Monte-Carlo error of 0.2 and the 95 % intervals of ICC(1) and ICC(2) cover the truth
    in about 95 % of replications (one data set alone wanders: the province effects' realised
    variance has a relative SE of about 16 %).
    """
    rng = np.random.default_rng(42)
    sizes = rng.integers(14, 20, size=76)
    groups = pd.Series(np.repeat(np.arange(76), sizes))
    k0 = (sizes.sum() - (sizes**2).sum() / sizes.sum()) / 75
    true = {"ICC1": 0.2, "ICC2": 0.2 * k0 / (1 + (k0 - 1) * 0.2)}
    est, covered = [], {"ICC1": 0, "ICC2": 0}
    for _ in range(200):
        y = rng.normal(0, np.sqrt(0.2), 76)[groups] + rng.normal(0, np.sqrt(0.8), len(groups))
        out = multilevel.icc(pd.Series(y), groups).set_index("type")
        assert out.loc["ICC1", "k0"] == pytest.approx(k0)
        est.append(out.loc["ICC1", "icc"])
        for t in covered:
            covered[t] += out.loc[t, "ci_low"] < true[t] < out.loc[t, "ci_high"]
    assert abs(np.mean(est) - 0.2) < 3 * np.std(est) / np.sqrt(200)
    assert all(0.90 <= c / 200 <= 0.99 for c in covered.values()), covered


def test_rwg_hand_worked_and_limits() -> None:
    """James, Demaree & Wolf (1984) r_wg(J) with A = 5 (null variance 2).
    Group a: three items each answered 2, 3, 4, 3 -> s^2 = 2/3, ratio 1/3,
    r_wg(3) = 3 (2/3) / (3 (2/3) + 1/3) = 6/7. Group b: full agreement -> 1.
    Group c: answers 1 and 5 -> s^2 = 8 > 2 -> truncated to 0.
    """
    a = [[2, 2, 2], [3, 3, 3], [4, 4, 4], [3, 3, 3]]
    b = [[4, 4, 4]] * 4
    c = [[1, 1, 1], [5, 5, 5], [1, 1, 1], [5, 5, 5]]
    x = pd.DataFrame(a + b + c, columns=["l1", "l2", "l3"])
    groups = pd.Series(["a"] * 4 + ["b"] * 4 + ["c"] * 4)
    out = multilevel.rwg(x, groups, 1, 5).set_index("group")
    assert out.loc["a", "r_wg_j"] == pytest.approx(6 / 7)
    assert out.loc["b", "r_wg_j"] == pytest.approx(1.0)
    assert out.loc["c", "r_wg_j"] == 0.0
    assert list(out["flag_low_rwg"]) == [False, False, True]
    assert (out["j"] == 3).all()


def test_rwg_uniform_answers_give_no_agreement() -> None:
    rng = np.random.default_rng(9)
    x = pd.DataFrame(rng.integers(1, 6, size=(19 * 40, 6)))
    out = multilevel.rwg(x, pd.Series(np.repeat(np.arange(40), 19)), 1, 5)
    assert out["r_wg_j"].median() < 0.3 and out["flag_low_rwg"].all()


def test_compare_to_national_finds_shifted_provinces() -> None:
    """70 provinces on the national mean and 6 shifted by +-1.5 SD: the shifted ones are labelled
    above/below after Benjamini-Hochberg, at most a few null provinces are not.
    """
    rng = np.random.default_rng(4)
    shift = np.zeros(76)
    shift[:3], shift[3:6] = 1.5, -1.5
    groups = np.repeat([f"TH-{i:02d}" for i in range(76)], 17)
    y = 50 + 10 * (np.repeat(shift, 17) + rng.standard_normal(76 * 17))
    out = multilevel.compare_to_national(pd.Series(y), pd.Series(groups)).set_index("group")
    names = [f"TH-{i:02d}" for i in range(76)]
    assert (out.loc[names[:3], "label"] == "above").all()
    assert (out.loc[names[3:6], "label"] == "below").all()
    assert (out.loc[names[6:], "label"] != "not different").sum() <= 2
    assert (out["p_adj"] >= out["p"]).all()
    ref = y[groups != names[0]].mean()
    assert out.loc[names[0], "national_mean"] == pytest.approx(ref)


def test_run_reliability_is_deterministic(codebook: Codebook, tmp_path) -> None:
    """Same clean responses and seed: byte-identical tables (bootstrap and parallel analysis included)."""
    from analysis.indicators.choices import load_choices
    from analysis.indicators.scores import agency_scores

    raw, _ = read_exports([SAMPLE / "survey_export.csv"], codebook)
    clean = clean_responses(raw, codebook).clean
    agencies = agency_scores(clean, codebook, load_choices())
    for out in ("a", "b"):
        run.run_reliability(clean, agencies, codebook, tmp_path / out, n_boot=50, with_cfa=False)
    names = sorted(p.name for p in (tmp_path / "a").glob("*.csv"))
    assert len(names) >= 8
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_icc_reml_equals_anova_estimate_for_balanced_groups() -> None:
    """Equal group sizes: the REML variance components give the ANOVA estimator exactly
    (tau2 = (MSB - MSW) / k, sigma2 = MSW), here on Shrout & Fleiss's table and on simulated data."""
    values = pd.Series(SHROUT_FLEISS.ravel().astype(float))
    target = pd.Series(np.repeat(np.arange(6), 4))
    anova = multilevel.icc(values, target).set_index("type").loc["ICC1", "icc"]
    assert multilevel.icc_reml(values, target).iloc[0]["icc"] == pytest.approx(anova, abs=1e-4)
    rng = np.random.default_rng(3)
    groups = pd.Series(np.repeat(np.arange(76), 16))
    y = pd.Series(rng.normal(0, 0.5, 76)[groups] + rng.normal(0, 1, len(groups)))
    assert multilevel.icc_reml(y, groups).iloc[0]["icc"] == pytest.approx(
        multilevel.icc(y, groups).set_index("type").loc["ICC1", "icc"], abs=1e-4)


def test_icc_reml_recovers_simulated_icc_with_unequal_groups() -> None:
    """76 provinces x 3-19 agencies, true ICC(1) = 0.2: over 40 replications the REML estimate's
    mean is within Monte-Carlo error of the truth; no province effect gives about 0."""
    rng = np.random.default_rng(11)
    sizes = rng.integers(3, 20, size=76)
    groups = pd.Series(np.repeat(np.arange(76), sizes))
    est = [multilevel.icc_reml(pd.Series(rng.normal(0, np.sqrt(0.2), 76)[groups]
                                  + rng.normal(0, np.sqrt(0.8), len(groups))), groups).iloc[0]["icc"]
           for _ in range(40)]
    assert abs(np.mean(est) - 0.2) < 3 * np.std(est) / np.sqrt(40)
    none = multilevel.icc_reml(pd.Series(rng.normal(0, 1, len(groups))), groups).iloc[0]["icc"]
    assert 0 <= none < 0.05


def test_icc_reml_finds_the_likelihood_maximum_on_the_sample(codebook: Codebook) -> None:
    """On the sample's pillar scores some statsmodels optimisers stop at wrong points (see
    icc_reml); the kept fit agrees with the ANOVA estimate, as it should for nearly balanced groups."""
    from analysis.indicators.choices import load_choices
    from analysis.indicators.scores import agency_scores

    raw, _ = read_exports([SAMPLE / "survey_export.csv"], codebook)
    agencies = agency_scores(clean_responses(raw, codebook).clean, codebook, load_choices())
    for score in ("index", "P1", "P5", "P6"):
        anova = multilevel.icc(agencies[score], agencies["province"]).set_index("type").loc["ICC1", "icc"]
        reml = multilevel.icc_reml(agencies[score], agencies["province"]).iloc[0]["icc"]
        assert reml == pytest.approx(anova, abs=0.01), score


# --------------------------------------------------------------------------- few cases, edge cases


def test_too_few_cases_give_a_note_not_a_crash() -> None:
    """An interim export: 12 complete cases of 15 items cannot carry a factor model of them."""
    rng = np.random.default_rng(8)
    x = pd.DataFrame(_congeneric(rng, 12, np.full(15, 0.6)), columns=[f"i{j}" for j in range(15)])
    items = pd.DataFrame({"item": x.columns, "pillar": ["A"] * 8 + ["B"] * 7, "weight_in_pillar": 1.0,
                          "type": "count"})
    corr = ItemCorrelations.pearson(x)
    assert consistency.omega(x, items, n_boot=50)["omega_total"].notna().all()  # 8 and 7 items: n > k + 1
    for table in (structure.omega_hierarchical(corr, items), structure.kmo_bartlett(corr), structure.cfa(x, items),
                  structure.efa(corr, items, n_factors=2).variance):
        assert table["note"].str.startswith("not computed: 12 cases").all()
    assert structure.efa(corr, items, n_factors=2).loadings["F1"].isna().all()
    few = consistency.cronbach_alpha(x.head(2), items)
    assert few["alpha"].isna().all() and few["note"].notna().all()


def test_icc_and_comparisons_with_one_province_or_single_agencies() -> None:
    one = multilevel.icc(pd.Series([1.0, 2.0, 3.0]), pd.Series(["a"] * 3))
    assert one["icc"].isna().all() and (one["n_groups"] == 1).all()
    assert np.isnan(multilevel.icc_reml(pd.Series([1.0, 2.0, 3.0]), pd.Series(["a"] * 3)).iloc[0]["icc"])
    cmp = multilevel.compare_to_national(pd.Series([50.0, 60.0, 55.0, 40.0]), pd.Series(["a", "a", "a", "b"]))
    assert cmp.set_index("group").loc["b", "label"] == "not tested"
    # a's reference is one province: its uncertainty cannot be estimated, so a is not tested either
    assert cmp.set_index("group").loc["a", "label"] == "not tested"
    alone = multilevel.compare_to_national(pd.Series([50.0, 60.0]), pd.Series(["a", "a"]))
    assert (alone["label"] == "not tested").all()


def test_rwg_is_missing_where_no_item_has_two_answers() -> None:
    """r_wg(J) is undefined for a single agency (no variance): NaN, not 0 and not flagged."""
    answers = pd.DataFrame({"q1": [3, 4, 2], "q2": [3, 5, 1]})
    out = multilevel.rwg(answers, pd.Series(["a", "a", "b"]), 1, 5).set_index("group")
    assert np.isnan(out.loc["b", "r_wg_j"]) and not out.loc["b", "flag_low_rwg"]
    assert out.loc["a", "j"] == 2


def test_icc_reml_profile_matches_statsmodels_best_fit() -> None:
    """The profiled REML criterion reaches statsmodels MixedLM's likelihood maximum (its best of
    four optimisers) on unequal groups, and beats none of them by more than optimiser noise."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    rng = np.random.default_rng(21)
    sizes = rng.integers(2, 20, size=40)
    g = np.repeat(np.arange(40), sizes)
    y = rng.normal(0, 0.6, 40)[g] + rng.normal(0, 1, len(g))
    ours = multilevel.icc_reml(pd.Series(y), pd.Series(g)).iloc[0]
    model = MixedLM(y, np.ones((len(y), 1)), groups=g)
    fits = []
    for method in ("nm", "powell", "lbfgs", "bfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary and convergence warnings: judged by the likelihood
            try:
                fit = model.fit(reml=True, method=method)
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.isfinite(fit.llf):
            fits.append(fit)
    best = max(fits, key=lambda f: f.llf)
    tau2, sigma2 = float(np.asarray(best.cov_re)[0, 0]), float(best.scale)
    assert ours["tau2"] == pytest.approx(tau2, rel=1e-3)
    assert ours["sigma2"] == pytest.approx(sigma2, rel=1e-4)


def test_compare_to_national_holds_its_level_when_the_reference_is_uncertain() -> None:
    """No province effect, 20 provinces of 5 to 19 agencies, 300 replications: with the reference
    mean's own (cluster-robust) uncertainty counted, raw p < .05 in about 5 % of the tests."""
    rng = np.random.default_rng(21)
    sizes = rng.integers(5, 20, 20)
    groups = pd.Series(np.repeat([f"P{i:02d}" for i in range(20)], sizes))
    rejections = [
        (multilevel.compare_to_national(pd.Series(50 + 10 * rng.standard_normal(sizes.sum())), groups)["p"] < 0.05)
        .mean() for _ in range(300)]
    assert 0.035 <= float(np.mean(rejections)) <= 0.065


# --------------------------------------------------------------------------- issue 12: what is published


def test_weighted_composite_reliability_recovers_its_population_value() -> None:
    """Congeneric items with unequal weights: the weighted composite's reliability is
    (sum w_i l_i)^2 / ((sum w_i l_i)^2 + sum w_i^2 psi_i); omega_weighted finds it within 3 SE,
    and alpha_weighted is below it (alpha is a lower bound without tau-equivalence)."""
    rng = np.random.default_rng(17)
    lam = np.array([0.85, 0.8, 0.4, 0.3, 0.3])
    w = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
    truth = (w @ lam) ** 2 / ((w @ lam) ** 2 + (w * w) @ (1 - lam**2))
    x = pd.DataFrame(_congeneric(rng, 2000, lam)).add_prefix("i")
    items = pd.DataFrame({"item": x.columns, "pillar": "P", "weight_in_pillar": w})
    om = consistency.omega(x, items, n_boot=1000, seed=2).iloc[0]
    se = (om["weighted_ci_high"] - om["weighted_ci_low"]) / (2 * 1.96)
    assert abs(om["omega_weighted"] - truth) < 3 * se
    unweighted = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert abs(om["omega_total"] - unweighted) < 0.02 and om["omega_weighted"] > om["omega_total"] + 0.02
    al = consistency.cronbach_alpha(x, items).iloc[0]
    assert al["alpha_weighted"] < om["omega_weighted"]


def test_mcar_blanks_leave_alpha_and_omega_unchanged_and_use_every_agency() -> None:
    """Ten items, each cell blank with probability .05 (40 % of agencies have a blank): the pairwise
    estimates equal the complete-data ones within Monte-Carlo error and count every agency."""
    rng = np.random.default_rng(23)
    x = pd.DataFrame(_congeneric(rng, 1200, np.linspace(0.4, 0.8, 10))).add_prefix("i")
    holed = x.mask(rng.random(x.shape) < 0.05)
    items = _one_scale(x.columns)
    full, part = (consistency.omega(d, items, n_boot=300, seed=1).iloc[0] for d in (x, holed))
    assert part["n"] == 1200 and holed.dropna().shape[0] < 0.65 * 1200
    se = (full["ci_high"] - full["ci_low"]) / (2 * 1.96)
    assert abs(part["omega_total"] - full["omega_total"]) < se
    a_full, a_part = (consistency.cronbach_alpha(d, items).iloc[0]["alpha"] for d in (x, holed))
    assert abs(a_part - a_full) < 0.01


def test_ordinal_omega_recovers_the_latent_reliability() -> None:
    """Items are 4-point cuts of congeneric latent responses: Pearson-based omega of the codes is
    biased down; the polychoric (ordinal) omega recovers the latent omega."""
    from analysis.stats.correlations import item_correlations

    rng = np.random.default_rng(29)
    lam = np.array([0.8, 0.75, 0.7, 0.65, 0.6, 0.55])
    latent = _congeneric(rng, 3000, lam)
    codes = pd.DataFrame(np.searchsorted([-0.8, 0.2, 1.1], latent), columns=[f"q{j}" for j in range(6)]).astype(float)
    items = pd.DataFrame({"item": codes.columns, "pillar": "P", "weight_in_pillar": 1.0, "type": "likert"})
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    corr = item_correlations(codes, items)
    out = consistency.omega(codes, items, n_boot=200, seed=1, corr=corr).iloc[0]
    assert out["omega_ordinal"] == pytest.approx(truth, abs=0.015)
    assert out["omega_total"] < truth - 0.02
    assert corr.method.startswith("polychoric") and corr.n == corr.n_min == 3000


def test_omega_hierarchical_defaults_to_oblimin_as_psych() -> None:
    import inspect

    assert inspect.signature(structure.omega_hierarchical).parameters["rotation"].default == "oblimin"
    assert inspect.signature(structure.efa).parameters["rotation"].default == "oblimin"
