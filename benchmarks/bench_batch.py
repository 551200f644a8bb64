"""Benchmark: the province batch with fresh kernels (cold), with warm kernels, and its in-process floor.

In each run, one after another in the same process (the order alternates between runs: the
machine is shared and drifts by 10-20 % within minutes):

* cold: ``run_batch`` with papermill's own engine, a new kernel for every page;
* warm: ``run_batch`` with the warm engine (:mod:`analysis.pipeline.engine`), one kernel per worker,
  started within the timed run;
* floor: the same pages made by running the notebook's code in this machine's worker processes
  without any kernel (IPython's shell in-process, outputs captured, the same nbconvert export),
  with the same number of workers: what the pages cost with no kernel, ZeroMQ or papermill at all.

Every page of the three is compared byte for byte (the floor must make the same pages, or its
time is not a floor of this work). Prints each run's times, the ratios cold / warm and
warm / floor, and the median over runs. Needs the upstream outputs (run ``make report`` first);
pages go to a scratch folder, not over ``outputs/site``.
Run: ``.venv/bin/python benchmarks/bench_batch.py [--runs 3] [--provinces N] [--workers W]``
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat

from analysis.core.paths import outputs_dir
from analysis.core.safeio import write_text
from analysis.instrument.reference import load_provinces
from analysis.pipeline import batch

_shell: Any = None


def _render_in_process(tasks: list[batch.Task]) -> int:
    """Make the pages of ``tasks`` in this process: the notebook's cells run in an in-process
    IPython shell (reset before each page, as the warm engine resets its kernel), their displays
    captured into the notebook, then the site's HTML export. Returns the number of pages."""
    global _shell
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    template = nbformat.read(tasks[0].notebook, as_version=4)
    if _shell is None:
        os.chdir(Path(tasks[0].notebook).parent)
        _shell = InteractiveShell.instance()
        _shell.run_cell("\n".join(c.source for c in template.cells if "parameters" in c.metadata.get("tags", [])))
        _shell.run_cell("from analysis.report import html_charts, province, text")  # the imports, once
        gc.freeze()  # as the warm kernel does after its imports
    for task in tasks:
        nb = copy.deepcopy(template)
        _shell.reset(new_session=True)
        _shell.user_ns.update(province=task.province, lang=task.lang, outputs=task.outputs)
        for cell in nb.cells:
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            with capture_output(display=True) as captured:
                _shell.run_cell(cell.source, store_history=False).raise_error()
            cell.outputs = [nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata)
                            for o in captured.outputs]
        write_text(batch.to_html(nb, batch.province_page(task.province, task.lang, task.provenance)), task.html)
    return len(tasks)


def floor(tasks: list[batch.Task], workers: int) -> float:
    """Seconds to make the pages in-process, the tasks dealt to ``workers`` fresh processes."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        done = sum(pool.map(_render_in_process, [tasks[i::workers] for i in range(workers)]))
    assert done == len(tasks)
    return time.perf_counter() - t0


def batch_time(tasks: list[batch.Task], scratch: Path, engine: str, workers: int) -> float:
    """Seconds for ``run_batch`` over ``tasks`` with ``engine`` (workers and kernels started within)."""
    t0 = time.perf_counter()
    m = batch.run_batch(tasks, workers=workers, force=True, progress=False, outputs=scratch, engine=engine)
    took = time.perf_counter() - t0
    failed = [k for k, t in m["tasks"].items() if t["status"] != "ok"]
    assert not failed, f"{engine}: {failed[:3]} failed"
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--provinces", type=int, default=None, help="first N provinces only (default all 76)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    codes = load_provinces(in_survey_only=True)["iso_code"].tolist()[: args.provinces]
    results: dict[str, list[float]] = {"cold": [], "warm": [], "floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for sub in ("index", "reliability", "clean"):
            os.symlink(outputs_dir() / sub, scratch / sub)
        tasks = batch.plan(codes, ["th", "en"], scratch)
        pages: dict[str, dict[str, bytes]] = {}

        def keep(name: str) -> None:
            pages[name] = {t.key: Path(t.html).read_bytes() for t in tasks}

        steps = {"cold": lambda: batch_time(tasks, scratch, "cold", args.workers),
                 "warm": lambda: batch_time(tasks, scratch, "warm", args.workers),
                 "floor": lambda: floor(tasks, args.workers)}
        print(f"{len(tasks)} pages ({len(codes)} provinces x th, en), {args.workers} workers, {args.runs} runs")
        for run in range(args.runs):
            order = ["cold", "warm", "floor"] if run % 2 == 0 else ["floor", "warm", "cold"]
            for name in order:
                results[name].append(steps[name]())
                keep(name)
            differ = [k for k in pages["cold"] if not (pages["cold"][k] == pages["warm"][k] == pages["floor"][k])]
            assert not differ, f"pages differ between cold, warm and floor: {differ[:5]}"
            c, w, f = (results[k][-1] for k in ("cold", "warm", "floor"))
            print(f"run {run + 1}: cold {c:6.1f} s   warm {w:5.1f} s   floor {f:5.1f} s   "
                  f"cold/warm {c / w:4.1f}x   warm/floor {w / f:4.2f}x   (pages identical)")
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"median: cold {med['cold']:6.1f} s   warm {med['warm']:5.1f} s   floor {med['floor']:5.1f} s   "
          f"cold/warm {med['cold'] / med['warm']:4.1f}x   warm/floor {med['warm'] / med['floor']:4.2f}x")
    print(f"warm: {med['warm'] / len(tasks) * 1000:.0f} ms a page; target: {len(tasks)} pages <= 15 s "
          f"(at least 5x the cold batch)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
