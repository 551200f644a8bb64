"""Benchmark: the reliability step (notebook 03's work) on the bundled sample, step by step.

Times each statistic of :func:`analysis.stats.run.run_reliability` on the sample's clean responses
(the heterogeneous correlations, pillar alpha and omega with 2,000 BCa resamples, omega
hierarchical, KMO, parallel analysis, EFA, the DWLS and ML confirmatory models, ICC, r_wg, the
province tests) and the whole call, against a fixed baseline run in the same process (the Pearson
correlation and eigenvalues of the 70 item scores, repeated 500 times), because the machine is
shared and its speed drifts. Prints seconds, the ratio to the baseline, and the whole step against
the 30-second budget of issue 12. Needs ``outputs/clean`` and ``outputs/index`` (``make report``).
Run: ``.venv/bin/python benchmarks/bench_reliability.py``
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.paths import outputs_dir
from analysis.instrument.codebook import load_codebook
from analysis.instrument.scoring import score_items
from analysis.stats import consistency, correlations, multilevel, structure
from analysis.stats.run import run_reliability

BUDGET_S = 30.0


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    """Print the timings."""
    cb = load_codebook()
    items = cb.items_table()
    clean = pd.read_parquet(outputs_dir() / "clean" / "clean_responses.parquet")
    agencies = pd.read_parquet(outputs_dir() / "index" / "agency_scores.parquet")
    scores = score_items(clean, cb)
    x = scores[cb.item_ids].dropna().to_numpy(float)

    def baseline() -> None:
        for _ in range(500):
            np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))

    base, _ = _timed(baseline)
    t_corr, corr = _timed(lambda: correlations.item_correlations(scores, items))
    steps: dict[str, Callable[[], Any]] = {
        "alpha (pairwise, weighted, ordinal)": lambda: consistency.cronbach_alpha(scores, items, corr=corr),
        "omega, 2,000 BCa resamples": lambda: consistency.omega(scores, items, n_boot=2000, corr=corr),
        "omega hierarchical": lambda: structure.omega_hierarchical(corr, items),
        "KMO and Bartlett": lambda: structure.kmo_bartlett(corr),
        "parallel analysis": lambda: structure.parallel_analysis(corr),
        "EFA (6 factors, oblimin)": lambda: structure.efa(corr, items),
        "CFA: DWLS and two-stage ML": lambda: structure.cfa(scores, items),
        "ICC, r_wg, province tests": lambda: (multilevel.icc(agencies["index"], agencies["province"]),
                                              multilevel.compare_to_national(agencies["index"], agencies["province"])),
    }
    print(f"baseline (500 x corrcoef + eigvalsh of {x.shape[0]} x {x.shape[1]}): {base:.2f} s")
    print(f"{'step':<40}{'seconds':>9}{'x baseline':>12}")
    print(f"{'heterogeneous correlations':<40}{t_corr:>9.2f}{t_corr / base:>12.1f}")
    for name, fn in steps.items():
        t, _ = _timed(fn)
        print(f"{name:<40}{t:>9.2f}{t / base:>12.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        total, _ = _timed(lambda: run_reliability(clean, agencies, cb, tmp, n_boot=2000, seed=20180720))
    print(f"{'run_reliability (all, written)':<40}{total:>9.2f}{total / base:>12.1f}")
    print(f"budget {BUDGET_S:.0f} s: {'within' if total <= BUDGET_S else 'OVER'} ({total / BUDGET_S:.2f} of it)")


if __name__ == "__main__":
    main()
