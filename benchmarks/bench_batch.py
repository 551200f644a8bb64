"""Benchmark: the 76-province batch against its floor and against a naive command loop.

* floor: 76 x (a bare kernel start plus the report notebook's imports) / workers, measured here
  with one kernel at a time (before and after the batch, averaged);
* parallel floor: the same 76 kernel starts and imports actually run through a pool of ``workers``
  processes, i.e. the batch with empty notebooks. The plain floor assumes that two kernels on two
  cores each run as fast as one alone; this one measures what the machine really gives;
* batch: ``run_batch`` over the 76 provinces (Thai pages), forced, with one worker per core;
* naive: a sequential loop of the ``papermill`` and ``jupyter nbconvert`` commands over a few
  provinces, scaled to 76.

Prints batch / floor (target <= 1.3) and naive / batch (target >= 3). Needs the upstream outputs
(run ``make report`` first). Run: ``.venv/bin/python benchmarks/bench_batch.py [--naive N]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from jupyter_client.manager import start_new_kernel

from analysis import batch
from analysis.paths import outputs_dir, project_root
from analysis.reference import load_provinces

IMPORTS = ("from IPython.display import HTML, Markdown, display\n"
           "from analysis import html_charts\nfrom analysis import province_report as pr\n"
           "from analysis.paths import resolve\n")


def kernel_with_imports(reps: int) -> float:
    """Mean seconds to start a kernel, run the report notebook's imports, and shut it down."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.execute_interactive(IMPORTS, timeout=120, output_hook=lambda _msg: None)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def parallel_floor(n: int, workers: int) -> float:
    """Seconds to start n kernels and run the report imports in each, ``workers`` at a time."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(kernel_with_imports, [1] * n))
    return time.perf_counter() - t0


def naive(codes: list[str]) -> float:
    """Seconds per province for the papermill + nbconvert command loop."""
    nb = project_root() / "notebooks" / f"{batch.NOTEBOOK}.ipynb"
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for code in codes:
            out = Path(tmp) / f"{code}.ipynb"
            subprocess.run([str(bindir / "papermill"), str(nb), str(out), "-p", "province", code, "-p", "lang", "th",
                            "-p", "outputs", str(outputs_dir()), "--cwd", str(nb.parent), "--no-progress-bar"],
                           check=True, capture_output=True)
            subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                           check=True, capture_output=True)
        return (time.perf_counter() - t0) / len(codes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--naive", type=int, default=3, help="provinces in the naive loop (scaled to 76)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reps", type=int, default=5, help="kernel starts timed before and after the batch")
    args = ap.parse_args()
    codes = load_provinces(in_survey_only=True)["iso_code"].tolist()
    workers = args.workers
    # the floor is measured before and after the batch and averaged: the machine's load drifts
    before = kernel_with_imports(args.reps)
    with tempfile.TemporaryDirectory() as tmp:
        # the batch writes pages into a scratch copy of the outputs' layout, not over the real site
        scratch = Path(tmp)
        for sub in ("index", "reliability", "clean"):
            os.symlink(outputs_dir() / sub, scratch / sub)
        tasks = batch.plan(codes, ["th"], scratch)
        t0 = time.perf_counter()
        m = batch.run_batch(tasks, workers=workers, force=True, progress=False, outputs=scratch)
        t_batch = time.perf_counter() - t0
    after = kernel_with_imports(args.reps)
    per_kernel = (before + after) / 2
    floor = len(codes) * per_kernel / workers
    par_floor = parallel_floor(len(codes), workers)
    per_naive = naive(codes[: args.naive])
    t_naive = per_naive * len(codes)
    print(f"workers: {workers}; pages: {len(codes)} (Thai); failed: {m['summary']['failed']}")
    print(f"kernel start + report imports: {per_kernel:5.2f} s (before {before:.2f}, after {after:.2f})"
          f"  -> floor {floor:6.1f} s")
    print(f"parallel floor (76 kernels + imports, {workers} at a time): {par_floor:6.1f} s")
    print(f"batch:                                     {t_batch:6.1f} s  ({t_batch / len(codes):.2f} s a page)")
    print(f"naive loop ({args.naive} provinces, scaled to 76):   {t_naive:6.1f} s  ({per_naive:.2f} s a page)")
    print(f"batch / floor = {t_batch / floor:.2f}  (target <= 1.3)")
    print(f"batch / parallel floor = {t_batch / par_floor:.2f}")
    print(f"naive / batch = {t_naive / t_batch:.2f}  (target >= 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
