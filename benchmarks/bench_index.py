"""Benchmark: the bootstrap for all 76 provinces plus the Monte-Carlo over choices (target < 15 s).

Also prints the coverage of the 95 % BCa interval over repeated simulated surveys with a known
province mean (nominal 95 %: 92-98 % expected), and, as the in-run baseline, the time of one plain
``pandas`` groupby-mean of the same agency scores repeated as many times as there are resamples.

Run: ``.venv/bin/python benchmarks/bench_index.py``
"""

from __future__ import annotations

import time

import numpy as np

from analysis.cleaning.clean import clean_responses
from analysis.cleaning.reading import read_exports
from analysis.core.paths import sample_dir
from analysis.indicators.bootstrap import bca_interval, bootstrap_means, province_bootstrap
from analysis.indicators.choices import load_choices, load_index_config
from analysis.indicators.scores import agency_scores
from analysis.indicators.sensitivity import choice_uncertainty
from analysis.instrument.codebook import load_codebook


def coverage(reps: int = 200, n_boot: int = 1000, seed: int = 11) -> float:
    """Share of 95 % BCa intervals covering the true province mean over simulated surveys."""
    rng = np.random.default_rng(seed)
    hits = total = 0
    for _ in range(reps):
        n = rng.binomial(19, 0.86, size=76)
        mu = rng.uniform(25, 65, size=76)
        x = np.full((76, 19), np.nan)
        for i in range(76):
            x[i, : n[i]] = 100 * rng.beta(2.0, 2.0 * (100 - mu[i]) / mu[i], n[i])
        lo, hi = bca_interval(x, n, bootstrap_means(x, n, n_boot, rng), 0.95)
        hits += int(((lo <= mu) & (mu <= hi)).sum())
        total += 76
    return hits / total


def main() -> int:
    cb = load_codebook()
    cfg = load_index_config()
    raw, _ = read_exports([sample_dir() / "survey_export.csv"], cb)
    clean = clean_responses(raw, cb).clean
    choices = load_choices()
    agencies = agency_scores(clean, cb, choices)
    bc, mc = cfg["bootstrap"], cfg["monte_carlo"]

    t0 = time.perf_counter()
    for _ in range(bc["n"]):
        agencies.groupby("province")["index"].mean()
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    province_bootstrap(agencies, cb, bc["n"], bc["confidence"], bc["rank_interval"], bc["seed"])
    t_boot = time.perf_counter() - t0
    t0 = time.perf_counter()
    choice_uncertainty(clean, cb, choices, mc["n"], mc["sobol_base"], mc["weight_perturbation"], mc["seed"])
    t_mc = time.perf_counter() - t0
    total = t_boot + t_mc
    cov = coverage()
    print(f"bootstrap, 76 provinces x 7 scores x {bc['n']} resamples: {t_boot:6.2f} s")
    print(f"Monte-Carlo {mc['n']} draws + Sobol (base {mc['sobol_base']}):   {t_mc:6.2f} s")
    print(f"together:                                          {total:6.2f} s (target < 15 s)")
    print(f"baseline, {bc['n']} pandas groupby-means of the index:  {baseline:6.2f} s; "
          f"bootstrap / baseline = {t_boot / baseline:.2f}")
    print(f"coverage of 95 % BCa intervals, 200 simulated surveys x 76 provinces: {cov:.3f}")
    return 0 if total < 15 and 0.92 <= cov <= 0.98 else 1


if __name__ == "__main__":
    raise SystemExit(main())
