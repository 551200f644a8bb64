"""Factor structure of the instrument: KMO and Bartlett, EFA, parallel analysis, CFA, omega hierarchical."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from factor_analyzer import Rotator
from scipy import stats

from analysis.stats.common import pillar_items
from analysis.stats.correlations import ORDINAL_TYPES, ItemCorrelations, ordinal_levels
from analysis.stats.dwls import cfa_ordinal_fit
from analysis.stats.factor import ml_loadings, one_factor_ml
from analysis.stats.missing import em_moments
from analysis.stats.mlcfa import ml_cfa
from analysis.stats.thresholds import kaiser_labels


def _efa_fit(r: np.ndarray, n_factors: int, rotation: str) -> tuple[np.ndarray, np.ndarray]:
    """Oblique ML EFA: pattern loadings and factor correlations, factors ordered by variance.

    :func:`ml_loadings`, then factor_analyzer's ``Rotator`` with a tolerance of 1e-10 (its
    default 1e-5 stops the varimax step of promax where last-bit noise decides), then as in
    ``FactorAnalyzer.fit``: columns signed to a positive sum and ordered by their sum of squared
    loadings, the factor correlations permuted with them.
    """
    lam = ml_loadings(r, n_factors)
    rotator = Rotator(method=rotation, max_iter=10000, tol=1e-10)
    pattern = rotator.fit_transform(lam)
    phi = rotator.phi_ if rotator.phi_ is not None else np.eye(n_factors)
    signs = np.sign(pattern.sum(axis=0))
    signs[signs == 0] = 1
    pattern, phi = pattern * signs, phi * np.outer(signs, signs)
    order = np.argsort(-(pattern**2).sum(axis=0), kind="stable")
    return pattern[:, order], phi[np.ix_(order, order)]


def omega_hierarchical(corr: ItemCorrelations, items: pd.DataFrame, rotation: str = "oblimin") -> pd.DataFrame:
    """Omega hierarchical and omega total of the whole instrument by Schmid-Leiman.

    Hand-written (no Python library has it; psych::omega in R is the reference): an oblique ML
    EFA with one factor per pillar (oblimin by default, as psych::omega), a one-factor ML model of
    the factor correlations (the second-order general factor with loadings ``g``; fitted with
    :func:`one_factor_ml`, as factor_analyzer is slow to converge on a small correlation matrix),
    then general loadings ``L g`` and group loadings ``L diag(sqrt(1 - g^2))``. As in psych::omega
    (Revelle & Zinbarg 2009) the scale is standardised (correlations) and the total variance is the
    sum of the correlation matrix: ``omega_h = (sum general)^2 / Vt``, ``omega_total = 1 - sum(u^2)
    / Vt``. From the heterogeneous (polychoric) matrix these are the ordinal omegas of the latent
    responses (Gadermann, Guhn & Zumbo 2012). Columns: n, n_min, k, n_group_factors, omega_h,
    omega_total, ecv (explained common variance of the general factor), correlations, note.

    Parameters
    ----------
    corr : ItemCorrelations
        The items' correlation matrix and its n (:func:`analysis.stats.correlations.item_correlations`).
    items : pandas.DataFrame
        The codebook's ``items_table()`` (only ``item`` and ``pillar`` are used).
    rotation : str
        Oblique rotation of the first-order EFA.

    Returns
    -------
    pandas.DataFrame
        One row: n, n_min, k, n_group_factors, omega_h, omega_total, ecv, correlations, note.

    References
    ----------
    Revelle & Zinbarg (2009); Schmid & Leiman (1957); Gadermann, Guhn & Zumbo (2012).
    Full references: ``docs/references.md``.

    Examples
    --------
    Holzinger & Swineford (1939): the general factor carries less than the total reliable variance.

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> items = pd.DataFrame({"item": hs.columns, "pillar": ["visual"] * 3 + ["textual"] * 3 + ["speed"] * 3})
    >>> out = omega_hierarchical(ItemCorrelations.pearson(hs), items).iloc[0]
    >>> bool(0 < out["omega_h"] < out["omega_total"] < 1)
    True
    """
    cols = [c for c in items["item"] if c in corr.corr.columns]
    r = corr.corr.loc[cols, cols].to_numpy(float)
    n_groups = items.loc[items["item"].isin(cols), "pillar"].nunique()
    base = {"n": corr.n, "n_min": corr.n_min, "k": len(cols), "n_group_factors": n_groups,
            "correlations": corr.method}
    note = corr.problem(len(cols) + 2, f"a {n_groups}-factor model of {len(cols)} items")
    if note is not None:
        return pd.DataFrame([{**base, "omega_h": np.nan, "omega_total": np.nan, "ecv": np.nan, "note": note}])
    pattern, phi = _efa_fit(r, n_groups, rotation)
    g = one_factor_ml(phi)[0]
    general = pattern @ g
    group = pattern * np.sqrt(np.clip(1 - g**2, 0, None))
    u2 = 1 - general**2 - (group**2).sum(axis=1)
    vt = r.sum()
    return pd.DataFrame([{
        **base, "omega_h": general.sum() ** 2 / vt, "omega_total": 1 - u2.sum() / vt,
        "ecv": (general**2).sum() / ((general**2).sum() + (group**2).sum()), "note": None,
    }])[["n", "n_min", "k", "n_group_factors", "omega_h", "omega_total", "ecv", "correlations", "note"]]


def kaiser_label(msa: float) -> str:
    """Kaiser's (1974) verbal label of a KMO / MSA value (bounds in ``params/thresholds.yaml``).

    >>> kaiser_label(0.85), kaiser_label(0.42)
    ('meritorious', 'unacceptable')
    """
    return next(label for bound, label in kaiser_labels() if msa >= bound)


def kmo_from_correlations(r: np.ndarray) -> tuple[np.ndarray, float]:
    """Kaiser's measure of sampling adequacy of each item and overall, from a correlation matrix.

    With ``Q`` the anti-image (partial) correlations from ``R^-1``: ``MSA_i = sum_j r_ij^2 /
    (sum_j r_ij^2 + sum_j q_ij^2)`` over ``j != i``, and the overall KMO the same sums over all pairs
    (Kaiser 1970; Kaiser & Rice 1974). Hand-written because factor_analyzer's ``calculate_kmo``
    takes raw data, and a polychoric matrix has none.

    >>> r = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    >>> round(kmo_from_correlations(r)[1], 4)
    0.6279
    """
    inv = np.linalg.inv(r)
    d = np.sqrt(np.diag(inv))
    q = -inv / np.outer(d, d)
    off = ~np.eye(len(r), dtype=bool)
    r2, q2 = np.where(off, r * r, 0.0), np.where(off, q * q, 0.0)
    per_item = r2.sum(axis=1) / (r2.sum(axis=1) + q2.sum(axis=1))
    return per_item, float(r2.sum() / (r2.sum() + q2.sum()))


def kmo_bartlett(corr: ItemCorrelations) -> pd.DataFrame:
    """Kaiser-Meyer-Olkin sampling adequacy (overall and per item) and Bartlett's sphericity test.

    From the items' correlation matrix (:func:`kmo_from_correlations`); Bartlett's statistic
    ``-(n - 1 - (2p + 5) / 6) ln |R|`` on ``p (p - 1) / 2`` df uses the smallest pairwise n
    (``n_min``). The first row (``variable == "overall"``) carries the overall KMO and Bartlett's
    chi-square, df and p; the item rows carry each item's MSA (their Bartlett columns are empty).

    Parameters
    ----------
    corr : ItemCorrelations
        The items' correlation matrix and its n.

    Returns
    -------
    pandas.DataFrame
        The overall row, then one row per item: variable, n, n_min, msa, kaiser_label, bartlett_chi2,
        bartlett_df, bartlett_p, correlations, note.

    References
    ----------
    Kaiser (1974); Bartlett (1950). Full references: ``docs/references.md``.

    Examples
    --------
    psych::KMO on Holzinger & Swineford (1939) prints "Overall MSA = 0.75":

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> out = kmo_bartlett(ItemCorrelations.pearson(hs)).iloc[0]
    >>> round(float(out["msa"]), 2), out["kaiser_label"], int(out["bartlett_df"])
    (0.75, 'middling', 36)
    """
    r = corr.corr.to_numpy(float)
    k, n = r.shape[0], corr.n_min
    base = {"n": corr.n, "n_min": n, "correlations": corr.method}
    note = corr.problem(k + 2, f"KMO and Bartlett's test of {k} items")
    if note is not None:
        return pd.DataFrame([{"variable": "overall", **base, "msa": np.nan, "kaiser_label": None,
                              "bartlett_chi2": np.nan, "bartlett_df": k * (k - 1) // 2, "bartlett_p": np.nan,
                              "note": note}])
    msa_items, msa_total = kmo_from_correlations(r)
    chi2 = -(n - 1 - (2 * k + 5) / 6) * float(np.linalg.slogdet(r)[1])
    df = k * (k - 1) // 2
    overall = {"variable": "overall", **base, "msa": msa_total, "kaiser_label": kaiser_label(msa_total),
               "bartlett_chi2": chi2, "bartlett_df": df, "bartlett_p": float(stats.chi2.sf(chi2, df)), "note": None}
    per_item = pd.DataFrame({"variable": corr.corr.columns, "n": corr.n, "n_min": n, "msa": msa_items,
                             "kaiser_label": [kaiser_label(m) for m in msa_items], "correlations": corr.method})
    return pd.concat([pd.DataFrame([overall]), per_item], ignore_index=True)


@dataclass
class EFAResult:
    """Tables of an exploratory factor analysis."""

    #: One row per item: item, pillar, F1..Fm (pattern loadings), communality, primary_factor.
    loadings: pd.DataFrame
    #: One row per factor: factor, ss_loadings, prop_var, cum_var.
    variance: pd.DataFrame
    #: Factor correlation matrix (factors x factors).
    factor_correlations: pd.DataFrame
    #: Agencies whose answers entered the correlations.
    n: int
    #: Why the model was not fitted (too few cases), or ``None``.
    note: str | None = None


def efa(corr: ItemCorrelations, items: pd.DataFrame, n_factors: int = 6, rotation: str = "oblimin") -> EFAResult:
    """Exploratory ML factor analysis of a correlation matrix with an oblique rotation (oblimin or promax).

    Fitted to the items' correlation matrix (heterogeneous and pairwise for the survey, see
    :mod:`analysis.stats.correlations`); its smallest pairwise n decides whether there are enough
    cases. Factors are ordered by the variance
    their pattern loadings explain; ``primary_factor`` is each item's largest absolute loading,
    so that it can be compared with the item's pillar. Variance explained is from the pattern
    loadings (under an oblique rotation the factors overlap, so it does not add up exactly).
    Too few cases: the tables keep their shape, values missing, and ``note`` says why.

    Parameters
    ----------
    corr : ItemCorrelations
        The items' correlation matrix and its n.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (only ``item`` and ``pillar`` are used).
    n_factors : int
        Factors to extract.
    rotation : str
        ``"oblimin"`` (psych's default) or ``"promax"``.

    Returns
    -------
    EFAResult
        Loadings, variance explained, factor correlations, n and a note when not fitted.

    References
    ----------
    Joreskog (1967); Jennrich (2002) for oblimin; Hendrickson & White (1964) for promax.
    Full references: ``docs/references.md``.

    Examples
    --------
    Holzinger & Swineford (1939): three factors, each item's largest loading on its own factor.

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> items = pd.DataFrame({"item": hs.columns, "pillar": ["visual"] * 3 + ["textual"] * 3 + ["speed"] * 3})
    >>> fa = efa(ItemCorrelations.pearson(hs), items, n_factors=3)
    >>> fa.loadings.groupby("pillar", sort=False)["primary_factor"].nunique().tolist()
    [1, 1, 1]
    """
    cols = [c for c in items["item"] if c in corr.corr.columns]
    note = corr.problem(len(cols) + 2, f"a {n_factors}-factor model of {len(cols)} items")
    if note is None:
        pattern, phi = _efa_fit(corr.corr.loc[cols, cols].to_numpy(float), n_factors, rotation)
    else:
        pattern, phi = np.full((len(cols), n_factors), np.nan), np.full((n_factors, n_factors), np.nan)
    names = [f"F{i + 1}" for i in range(n_factors)]
    pillar = items.set_index("item")["pillar"]
    loadings = pd.DataFrame(pattern, columns=names)
    loadings.insert(0, "item", cols)
    loadings.insert(1, "pillar", pillar.loc[cols].to_numpy())
    loadings["communality"] = np.einsum("if,fg,ig->i", pattern, phi, pattern)
    loadings["primary_factor"] = [names[i] if note is None else None for i in np.abs(pattern).argmax(axis=1)]
    ss = (pattern**2).sum(axis=0)
    variance = pd.DataFrame({"factor": names, "ss_loadings": ss, "prop_var": ss / len(cols),
                             "cum_var": np.cumsum(ss) / len(cols), "n": corr.n, "n_min": corr.n_min,
                             "rotation": rotation, "correlations": corr.method, "note": note})
    return EFAResult(loadings, variance, pd.DataFrame(phi, index=names, columns=names), corr.n, note)


def parallel_analysis(corr: ItemCorrelations, n_iter: int = 100, seed: int = 0,
                      quantile: float = 0.95) -> pd.DataFrame:
    """Horn's (1965) parallel analysis of the correlation matrix's eigenvalues.

    Observed eigenvalues against those of ``n_iter`` normal data sets of ``n_min`` cases (the
    smallest pairwise n, so the random eigenvalues are not too narrow); a component is retained
    while its eigenvalue exceeds the random ``quantile`` (Glorfeld 1995 uses the 95th percentile).
    Columns: component, eigenvalue, random_mean, random_quantile, retain.

    Parameters
    ----------
    corr : ItemCorrelations
        The items' correlation matrix and its n.
    n_iter : int
        Random normal data sets of the same size.
    seed : int
        Seed of the random data.
    quantile : float
        Quantile of the random eigenvalues a component must exceed.

    Returns
    -------
    pandas.DataFrame
        One row per component: component, eigenvalue, random_mean, random_quantile, retain.

    References
    ----------
    Horn (1965); Glorfeld (1995). Full references: ``docs/references.md``.

    Examples
    --------
    Holzinger & Swineford (1939) keeps its three factors:

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> int(parallel_analysis(ItemCorrelations.pearson(hs), n_iter=50, seed=1)["retain"].sum())
    3
    """
    n, p = corr.n_min, corr.corr.shape[0]
    note = corr.problem(p + 2, f"parallel analysis of {p} items")
    if note is not None:
        return pd.DataFrame({"component": np.arange(1, p + 1), "eigenvalue": np.nan, "random_mean": np.nan,
                             "random_quantile": np.nan, "retain": False, "note": note})
    observed = np.linalg.eigvalsh(corr.corr.to_numpy(float))[::-1]
    sims = np.random.default_rng(seed).standard_normal((n_iter, n, p))
    sims = (sims - sims.mean(1, keepdims=True)) / sims.std(1, ddof=1, keepdims=True)
    random_eig = np.linalg.eigvalsh(np.einsum("bni,bnj->bij", sims, sims) / (n - 1))[:, ::-1]
    threshold = np.quantile(random_eig, quantile, axis=0)
    return pd.DataFrame({"component": np.arange(1, p + 1), "eigenvalue": observed,
                         "random_mean": random_eig.mean(axis=0), "random_quantile": threshold,
                         "retain": np.cumprod(observed > threshold).astype(bool), "note": None})


def cfa_fit(data: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Fit a simple-structure CFA (each factor measured by its own items) by normal-theory ML.

    ``groups`` maps factor names to their indicator columns of ``data``; listwise complete cases,
    covariance with divisor N, fitted by :func:`analysis.stats.mlcfa.ml_cfa` (lavaan's conventions:
    chi-square N F_min, CFI, TLI, RMSEA with its 90 % interval, standardised SRMR).
    Columns: n, chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr, note.

    Parameters
    ----------
    data : pandas.DataFrame
        Observed variables, one column each.
    groups : dict of str to list of str
        Each factor's indicator columns.

    Returns
    -------
    pandas.DataFrame
        One row: n, chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr, note.

    References
    ----------
    Hu & Bentler (1999); Rosseel (2012) for lavaan's conventions. Full references: ``docs/references.md``.

    Examples
    --------
    The lavaan tutorial's three-factor model of Holzinger & Swineford (1939): chi-square 85.306 on
    24 df, CFI .931, TLI .896, RMSEA .092, SRMR .065.

    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    >>> fit = cfa_fit(hs, groups).iloc[0]
    >>> [round(float(fit[k]), 3) for k in ("chi2", "df", "cfi", "rmsea", "srmr")]
    [85.306, 24.0, 0.931, 0.092, 0.065]
    """
    cols = [c for cs in groups.values() for c in cs]
    x = data[cols].dropna()
    return ml_cfa(x.cov(ddof=0), len(x), groups)


def _categorised(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Scores with each continuous item (count, percent) cut at its quintiles into (up to) five
    ordered categories, right-closed as R's ``cut``, as the ordinal model needs every item ordered
    (the reference example of lavaan's WLSMV does the same with continuous tests). Cut points at
    the item's maximum are dropped; an item whose quintiles all sit at its ceiling (a goalpost cap)
    is split into "below the ceiling" and "at it"."""
    kinds = items.set_index("item")["type"]
    out = ordinal_levels(scores, list(scores.columns))  # rounded first: last bits never move a case across a cut
    for c in out.columns:
        if kinds.get(c) in ORDINAL_TYPES:
            continue
        x = out[c].dropna().to_numpy(float)
        if not len(x):
            continue
        top = x.max()
        cuts = np.unique(np.quantile(x, np.linspace(0, 1, 6)[1:-1], method="median_unbiased"))
        cuts = cuts[cuts < top]
        if not len(cuts) and (x < top).any():
            cuts = np.array([x[x < top].max()])
        out[c] = np.where(out[c].isna(), np.nan, np.searchsorted(cuts, out[c].to_numpy(float), side="left"))
    return out


def cfa(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The confirmatory model in which each pillar is one factor, estimated two ways.

    - ``DWLS``: the items as ordered categories, polychoric correlations weighted by their
      asymptotic variances, lavaan's ``ordered=`` estimator (:func:`analysis.stats.dwls.cfa_ordinal`;
      count and percent items cut into quintiles); every agency, each correlation from those that
      answered both of its items (pairwise). Its CFI, TLI, RMSEA and SRMR are
      the ones to judge the instrument by: the Hu & Bentler (1999) cut-offs are for continuous
      data and are, if anything, lenient for DWLS (Xia & Yang 2019).
    - ``ML``: the items as continuous, two-stage ML (Savalei & Bentler 2009) on the EM covariance
      of every agency (:func:`analysis.stats.mlcfa.ml_cfa`; fit statistics as if from ``n`` complete
      cases, their correction not applied), kept for comparison with the first round's
      normal-theory analysis.

    Parameters
    ----------
    scores : pandas.DataFrame
        Item scores (0-100), one row per agency, one column per item id.
    items : pandas.DataFrame
        The codebook's ``items_table()`` (``item``, ``pillar`` and ``type`` are used).

    Returns
    -------
    pandas.DataFrame
        Two rows (estimator DWLS, ML) with the fit columns of :func:`cfa_fit` and ``data``.

    References
    ----------
    Muthen (1984); Rosseel (2012); Savalei & Bentler (2009); Hu & Bentler (1999); Xia & Yang (2019).
    Full references: ``docs/references.md``.
    """
    groups = pillar_items(scores, items)
    cols = [c for cs in groups.values() for c in cs]
    ordinal = cfa_ordinal_fit(_categorised(scores[cols], items), groups).assign(
        estimator="DWLS", data="ordered categories (polychoric), pairwise")
    moments = em_moments(scores[cols])
    ml = ml_cfa(moments.cov, moments.n, groups).assign(
        estimator="ML", data="continuous, two-stage ML on the EM covariance of all agencies")
    out = pd.concat([ordinal, ml], ignore_index=True)
    return out[["estimator", "data", *[c for c in out.columns if c not in ("estimator", "data")]]]
