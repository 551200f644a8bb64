"""The whole pipeline on the bundled sample (or given exports): ``python -m analysis report``.

Steps, in the order their inputs require: describe the export (00), clean (01), the readiness
index with its uncertainty (02), reliability of that index (03: it reads 02's agency scores, so it
always describes the published index), the national overview (20), one write-up per province and
language (batch of 10), and the site under ``outputs/site/``. With the default ``--engine warm``
the steps share one kernel, reset between them, and each batch worker one kernel for its pages
(:mod:`analysis.pipeline.engine`); the time of each step is printed at the end. Executed notebooks are kept in
``outputs/notebooks/`` as the record of the run, and ``outputs/run_record.json`` records what
produced the outputs (choices, seeds, input hashes, package versions, platform).

Modelling choices of the index (``params/index.yaml``) are overridden with ``--choice
name=value`` (repeatable), e.g. ``--choice aggregation=geometric``; they reach every step that
uses them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import nbformat

from analysis.core.paths import outputs_dir, sample_dir
from analysis.core.safeio import write_text
from analysis.indicators.choices import Choices, load_choices
from analysis.pipeline import batch
from analysis.pipeline.engine import ENGINES, shutdown_kernels
from analysis.pipeline.notebooks import notebook_dir, run_papermill
from analysis.pipeline.runrecord import write_run_record


def parse_choices(pairs: list[str]) -> dict[str, Any]:
    """``["aggregation=geometric", ...]`` as validated index choices (raises ``ValueError``).

    Names are the fields of :class:`~analysis.indicators.choices.Choices`; values are checked by it, numbers
    converted. The message of an unknown name lists the known ones.
    """
    fields = Choices.__dataclass_fields__
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise ValueError(f"--choice {pair!r}: write it as name=value, e.g. aggregation=geometric")
        if name not in fields:
            raise ValueError(f"--choice {pair!r}: unknown choice {name!r}; choices are {', '.join(fields)}")
        if fields[name].type in ("float", float):
            try:
                out[name] = float(value)
            except ValueError:
                raise ValueError(f"--choice {pair!r}: {name} must be a number") from None
        else:
            out[name] = value
    load_choices(**out)  # validates the values (the message names the allowed ones)
    return out


class Steps:
    """Runs the notebook steps into one outputs folder and keeps their timings."""

    def __init__(self, outputs: Path, engine: str = "warm") -> None:
        self.outputs = outputs
        self.engine = engine
        self.timings: dict[str, float] = {}

    def run(self, name: str, parameters: dict[str, Any] | None = None) -> nbformat.NotebookNode:
        """Execute ``notebooks/<name>.ipynb`` with papermill into ``<outputs>/notebooks/``."""
        t0 = time.perf_counter()
        dst = self.outputs / "notebooks" / f"{name}.ipynb"
        run_papermill(notebook_dir() / f"{name}.ipynb", dst, parameters, engine=self.engine)
        self.timings[name] = round(time.perf_counter() - t0, 3)
        print(f"[{self.timings[name]:5.1f} s] {name} -> {dst}", flush=True)
        return nbformat.read(dst, as_version=4)


def main(argv: list[str] | None = None) -> int:
    """Run every step of the pipeline in order; non-zero exit if any province page failed."""
    ap = argparse.ArgumentParser(prog="python -m analysis report", description=main.__doc__)
    ap.add_argument("--raw", nargs="+", default=None, metavar="EXPORT",
                    help="raw survey exports (CSV/XLSX, any platform's layout; later files are later versions) "
                         "to analyse instead of the bundled sample")
    ap.add_argument("--column-map", default=None, metavar="YAML",
                    help="mapping of source headers to items (default params/column_map.yaml)")
    ap.add_argument("--choice", action="append", default=[], metavar="NAME=VALUE",
                    help="override a modelling choice of params/index.yaml, e.g. aggregation=geometric "
                         f"(names: {', '.join(Choices.__dataclass_fields__)})")
    ap.add_argument("--outputs", default=None, help="outputs folder (default outputs/)")
    ap.add_argument("--provinces", default="all", help="province pages to build, comma-separated ISO codes")
    ap.add_argument("--lang", default="th,en", help="languages of the province pages (default th,en)")
    ap.add_argument("--workers", type=int, default=None, help="parallel kernels for the province batch")
    ap.add_argument("--force", action="store_true", help="re-run every province write-up")
    ap.add_argument("--engine", choices=sorted(ENGINES), default="warm",
                    help="warm: steps share one reset kernel, and each batch worker one (default); "
                         "cold: a new kernel per notebook")
    args = ap.parse_args(argv)
    try:
        choices = parse_choices(args.choice)
    except ValueError as e:
        ap.error(str(e))
    raw = [Path(p).resolve() for p in args.raw] if args.raw else [sample_dir() / "survey_export.csv"]
    missing = [str(p) for p in raw if not p.is_file()]
    if missing:
        ap.error(f"export not found: {', '.join(missing)}")
    outputs = Path(args.outputs).resolve() if args.outputs else outputs_dir()
    t0 = time.perf_counter()
    steps = Steps(outputs, args.engine)
    column_map = str(Path(args.column_map).resolve()) if args.column_map else None
    steps.run("00_survey_overview", {"raw_paths": [str(p) for p in raw], "column_map": column_map})
    steps.run("01_clean_responses", {"raw_paths": [str(p) for p in raw], "out_dir": str(outputs / "clean"),
                                     "column_map": column_map})
    steps.run("02_readiness_index", {"clean_dir": str(outputs / "clean"), "out_dir": str(outputs / "index"),
                                     **choices})
    steps.run("03_reliability", {"clean_dir": str(outputs / "clean"), "index_dir": str(outputs / "index"),
                                 "out_dir": str(outputs / "reliability")})
    # the overview reads only the index and reliability outputs, so it runs before the batch, in
    # the steps' warm kernel, which is then stopped: batch workers are forked from this process
    nb = steps.run("20_national_overview", {"outputs": str(outputs)})
    prov = batch.provenance(outputs)
    write_text(batch.to_html(nb, batch.overview_page(prov)), outputs / "site" / "index.html")
    shutdown_kernels()
    batch_args = ["--outputs", str(outputs), "--provinces", args.provinces, "--lang", args.lang,
                  "--engine", args.engine]
    batch_args += ["--force"] if args.force else []
    batch_args += ["--workers", str(args.workers)] if args.workers else []
    b0 = time.perf_counter()
    status = batch.main(batch_args)
    steps.timings["10_province_report (batch)"] = round(time.perf_counter() - b0, 3)
    a0 = time.perf_counter()
    batch.write_site_assets(outputs / "site")  # the shared stylesheet and font, for every page's text
    steps.timings["site assets"] = round(time.perf_counter() - a0, 3)
    steps.timings["total"] = round(time.perf_counter() - t0, 3)
    record = write_run_record(outputs, raw, argv=["report", *(sys.argv[1:] if argv is None else argv)],
                              timings=steps.timings)
    width = max(map(len, steps.timings))
    print("step times:\n" + "\n".join(f"  {k:<{width}} {v:6.1f} s" for k, v in steps.timings.items()))
    print(f"site: {outputs / 'site' / 'index.html'}\nrun record: {record}")
    return status
