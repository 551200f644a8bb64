"""The whole pipeline on the bundled sample (or given exports): ``python -m analysis report``.

Steps: describe the export (00), clean (01), reliability (02), index and uncertainty (03), one
write-up per province and language (batch of 10), the national overview (20), and the site under
``outputs/site/``. Executed notebooks are kept in ``outputs/notebooks/`` as the record of the run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat

from analysis import batch
from analysis.notebooks import notebook_dir, run_papermill
from analysis.paths import outputs_dir
from analysis.safeio import write_text


def run_notebook_step(name: str, parameters: dict | None = None) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>.ipynb`` with papermill into ``outputs/notebooks/``."""
    t0 = time.perf_counter()
    dst = outputs_dir() / "notebooks" / f"{name}.ipynb"
    run_papermill(notebook_dir() / f"{name}.ipynb", dst, parameters)
    print(f"[{time.perf_counter() - t0:5.1f} s] {name} -> {dst.relative_to(outputs_dir().parent)}")
    return nbformat.read(dst, as_version=4)


def publish_national() -> None:
    """Run the national overview and publish it as ``outputs/site/index.html``."""
    nb = run_notebook_step("20_national_overview")
    write_text(batch.to_html(nb, title="Digital Government Readiness"), outputs_dir() / "site" / "index.html")


def main(argv: list[str] | None = None) -> int:
    """Run every step of the pipeline in order; non-zero exit if any province failed."""
    ap = argparse.ArgumentParser(prog="python -m analysis report", description=main.__doc__)
    ap.add_argument("--workers", type=int, default=None, help="parallel kernels for the province batch")
    ap.add_argument("--force", action="store_true", help="re-run every province write-up")
    ap.add_argument("--raw", nargs="+", default=None, metavar="EXPORT",
                    help="raw survey exports (CSV/XLSX) to analyse instead of the bundled sample")
    args = ap.parse_args(argv)
    raw = [str(Path(p).resolve()) for p in args.raw] if args.raw else None
    run_notebook_step("00_survey_overview", {"raw_path": raw[0]} if raw else None)
    run_notebook_step("01_clean_responses", {"raw_paths": raw} if raw else None)
    for name in ("02_reliability", "03_readiness_index"):
        run_notebook_step(name)
    batch_args = ["--force"] if args.force else []
    if args.workers:
        batch_args += ["--workers", str(args.workers)]
    status = batch.main(batch_args)
    publish_national()
    print(f"site: {outputs_dir() / 'site' / 'index.html'}")
    return status
