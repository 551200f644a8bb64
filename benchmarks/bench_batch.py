"""Benchmark: the 76-province batch against its floor and against a naive command loop.

* floor: 76 x (a bare kernel start plus the report notebook's imports) / workers, with the kernel
  start timed one at a time;
* parallel floor: the same kernel starts and imports actually run through a pool of ``workers``
  processes, i.e. the batch with empty notebooks. The plain floor assumes that two kernels on two
  cores each run as fast as one alone; this one measures what the machine really gives;
* batch: ``run_batch`` over the 76 provinces (Thai pages), forced, with one worker per core;
* naive: a sequential loop of the ``papermill`` and ``jupyter nbconvert`` commands over a few
  provinces, scaled to 76.

The machine is shared and its speed drifts by 10-20 % within minutes, so the 76 provinces are run
in rounds, each round timing its share of the floor, the parallel floor and the batch back to back
(in alternating order); the sums are compared. Prints batch / floor (target <= 1.3) and naive /
batch (target >= 3). Needs the upstream outputs (run ``make report`` first).
Run: ``.venv/bin/python benchmarks/bench_batch.py [--naive N] [--rounds R]``
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

from analysis.core.paths import outputs_dir, project_root
from analysis.instrument.reference import load_provinces
from analysis.pipeline import batch

IMPORTS = ("from IPython.display import HTML, Markdown, display\n"
           "from analysis import html_charts\nfrom analysis import province_report as pr\n"
           "from analysis.core.paths import resolve\n")


def kernel_with_imports(reps: int) -> float:
    """Mean seconds to start a kernel, run the report notebook's imports, and shut it down.

    A start that loses a port race with a parallel kernel is retried, as the batch does.
    """
    times = []
    for _ in range(reps):
        for attempt in range(3):
            t0 = time.perf_counter()
            try:
                km, kc = start_new_kernel(kernel_name="python3", startup_timeout=batch.START_TIMEOUT)
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            kc.execute_interactive(IMPORTS, timeout=120, output_hook=lambda _msg: None)
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            times.append(time.perf_counter() - t0)
            break
    return sum(times) / len(times)


def parallel_floor(n: int, pool: ProcessPoolExecutor) -> float:
    """Seconds to start n kernels and run the report imports in each, through the pool's workers."""
    t0 = time.perf_counter()
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
    ap.add_argument("--rounds", type=int, default=4, help="rounds the 76 provinces are split into")
    args = ap.parse_args()
    codes = load_provinces(in_survey_only=True)["iso_code"].tolist()
    workers = args.workers
    t_floor = t_par = t_batch = 0.0
    failed = 0
    # one pool for each kind of work across the rounds, as one batch run has: worker start-up is paid once
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(workers) as floor_pool, \
            ProcessPoolExecutor(workers) as batch_pool:
        # the batch writes pages into a scratch copy of the outputs' layout, not over the real site
        scratch = Path(tmp)
        for sub in ("index", "reliability", "clean"):
            os.symlink(outputs_dir() / sub, scratch / sub)
        tasks = batch.plan(codes, ["th"], scratch)
        for r in range(args.rounds):
            share = tasks[r::args.rounds]

            def run_batch(share=share) -> float:
                t0 = time.perf_counter()
                m = batch.run_batch(share, executor=batch_pool, force=True, progress=False, outputs=scratch)
                nonlocal failed
                failed += m["summary"]["failed"]
                return time.perf_counter() - t0

            steps = [("floor", lambda share=share: len(share) * kernel_with_imports(3) / workers),
                     ("par", lambda share=share: parallel_floor(len(share), floor_pool)), ("batch", run_batch)]
            for name, step in steps if r % 2 == 0 else steps[::-1]:
                took = step()
                if name == "floor":
                    t_floor += took
                elif name == "par":
                    t_par += took
                else:
                    t_batch += took
    per_naive = naive(codes[: args.naive])
    t_naive = per_naive * len(codes)
    print(f"workers: {workers}; pages: {len(codes)} (Thai) in {args.rounds} rounds; failed: {failed}")
    print(f"floor (kernel start + report imports timed alone, x 76 / {workers}): {t_floor:6.1f} s")
    print(f"parallel floor (76 kernels + imports, {workers} at a time):        {t_par:6.1f} s")
    print(f"batch:                                                 {t_batch:6.1f} s  "
          f"({t_batch / len(codes):.2f} s a page)")
    print(f"naive loop ({args.naive} provinces, scaled to 76):                  {t_naive:6.1f} s  "
          f"({per_naive:.2f} s a page)")
    print(f"batch / floor = {t_batch / t_floor:.2f}  (target <= 1.3)")
    print(f"batch / parallel floor = {t_batch / t_par:.2f}")
    print(f"naive / batch = {t_naive / t_batch:.2f}  (target >= 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
