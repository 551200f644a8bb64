"""The whole pipeline on the bundled sample (or given exports): ``python -m analysis report``.

Each step writes under ``outputs/``; the executed notebooks are kept in ``outputs/notebooks/`` as
the record of the run.
"""

from __future__ import annotations

import argparse
import time

from analysis.notebooks import notebook_dir, run_papermill
from analysis.paths import outputs_dir


def run_notebook_step(name: str, parameters: dict | None = None) -> None:
    """Execute ``notebooks/<name>.ipynb`` with papermill into ``outputs/notebooks/``."""
    t0 = time.perf_counter()
    dst = outputs_dir() / "notebooks" / f"{name}.ipynb"
    run_papermill(notebook_dir() / f"{name}.ipynb", dst, parameters)
    print(f"[{time.perf_counter() - t0:5.1f} s] {name} -> {dst.relative_to(outputs_dir().parent)}")


def main(argv: list[str] | None = None) -> int:
    """Run every step of the pipeline in order."""
    ap = argparse.ArgumentParser(prog="python -m analysis report", description=main.__doc__)
    ap.parse_args(argv)
    run_notebook_step("00_survey_overview")
    run_notebook_step("01_clean_responses")
    for name in ("02_reliability", "03_readiness_index"):
        if (notebook_dir() / f"{name}.ipynb").exists():
            run_notebook_step(name)
    return 0
