"""Sentences that state what a run found, for the analysts' notebooks (00, 02, 03).

The notebooks explain methods in prose that holds for any data; whatever depends on the data (which
pillar leads, how wide the intervals are, which modelling choice moves the ranks) is said by these
functions from the results, so it is true on a real export as on the bundled sample.
"""

from __future__ import annotations

import pandas as pd

from analysis.instrument.codebook import Codebook


def pillar_pattern(aggregates: pd.DataFrame, codebook: Codebook) -> str:
    """Which pillar is highest and lowest nationally, with their means.

    >>> from analysis.instrument.codebook import load_codebook
    >>> agg = pd.DataFrame([{"level": "national", "P1": 50.0, "P2": 40, "P3": 45, "P4": 42, "P5": 63.2, "P6": 29.8}])
    >>> pillar_pattern(agg, load_codebook()).split(" and ")[0]
    'Nationally, **P5 Digital workforce** leads at 63.2'
    """
    nat = aggregates[aggregates["level"] == "national"].iloc[0]
    ids = [p.id for p in codebook.pillars]
    values = nat[ids].astype(float).sort_values(ascending=False)
    names = {p.id: p.name_en for p in codebook.pillars}
    hi, lo = values.index[0], values.index[-1]
    return (f"Nationally, **{hi} {names[hi]}** leads at {values[hi]:.1f} and **{lo} {names[lo]}** trails at "
            f"{values[lo]:.1f}; the other pillars lie between "
            f"({', '.join(f'{p} {values[p]:.1f}' for p in values.index[1:-1])}).")


def interval_summary(provinces: pd.DataFrame) -> str:
    """How many agencies the province means rest on, and how wide their 95 % intervals are."""
    has = provinces[provinces["index"].notna()]
    if has.empty:
        return "No province has a usable response, so there are no province scores."
    width = (has["index_high"] - has["index_low"]).dropna()
    n = has["n_agencies"]
    text = (f"{len(has)} provinces have data, from {n.min()} to {n.max()} responding agencies each "
            f"(median {n.median():.0f}).")
    if width.empty:
        return text + " No province has two agencies, so no interval could be computed."
    return text + (f" Their 95 % intervals are {width.min():.1f} to {width.max():.1f} points wide (median "
                   f"{width.median():.1f}): provinces whose scores differ by less than that cannot be told apart.")


def sensitivity_summary(sobol: pd.DataFrame, negligible: float = 0.05) -> str:
    """Which modelling choices move the ranks, by their total Sobol index."""
    s = sobol.dropna(subset=["ST"]).sort_values("ST", ascending=False)
    if s.empty:
        return "With fewer than two provinces there is no ranking for a modelling choice to move."
    top = s.iloc[0]
    small = s[s["ST"] < negligible]["choice"].tolist()
    text = (f"On these data **{top['choice']}** moves the ranks most (total Sobol index {top['ST']:.2f}), "
            f"followed by " + ", ".join(f"{r.choice} ({r.ST:.2f})" for r in s.iloc[1:].itertuples()) + ".")
    if small:
        text += f" {', '.join(small)} barely matter{'s' if len(small) == 1 else ''} (total index below {negligible})."
    return text + " Quote a province's rank with its rank band, never alone."


def agreement_summary(icc: pd.DataFrame) -> str:
    """ICC(1) and ICC(2) of the index, and the province size ICC(2) refers to."""
    row = icc[(icc["score"] == "index")].set_index("type")
    if pd.isna(row.loc["ICC2", "icc"]):  # one province: no between-province variance
        return "With a single province there is no between-province variance to estimate."
    return (f"For the index, ICC(1) = {row.loc['ICC1', 'icc']:.2f}: {row.loc['ICC1', 'icc']:.0%} of the variance in "
            f"agency scores lies between provinces. ICC(2) = {row.loc['ICC2', 'icc']:.2f} is the reliability of a "
            f"province mean of {row.loc['ICC2', 'k0']:.1f} agencies (the adjusted average group size).")


def comparison_summary(comparisons: pd.DataFrame, alpha: float = 0.05) -> str:
    """How many provinces were tested, how many would be flagged by chance, and how many are."""
    tested = comparisons[comparisons["label"] != "not tested"]
    counts = tested["label"].value_counts()
    return (f"{len(tested)} provinces were tested; at {alpha:.0%} about {len(tested) * alpha:.0f} would be flagged "
            f"by chance alone. After the Benjamini-Hochberg adjustment {counts.get('above', 0)} are above the "
            f"nation, {counts.get('below', 0)} below, and {counts.get('not different', 0)} cannot be told apart"
            + (f"; {len(comparisons) - len(tested)} had too few agencies to test." if len(comparisons) > len(tested)
               else "."))


def submissions_summary(by_region: pd.DataFrame, published_rate: float = 0.857) -> str:
    """Raw submissions against agencies contacted, beside the published 2018 response rate."""
    sub, contacted = int(by_region["submissions"].sum()), int(by_region["agencies_contacted"].sum())
    return (f"{sub:,} raw submissions name a surveyed province, for {contacted:,} agencies contacted "
            f"({sub / contacted:.3f} per agency; the 2018 round's published response rate was {published_rate}). "
            f"Re-submissions count more than once here and test rows are still in; cleaning resolves both.")
