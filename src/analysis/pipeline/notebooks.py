"""Notebook plumbing: jupytext twins, golden (committed, executed) notebooks, papermill runs.

Each notebook's reviewed source is its ``py:percent`` twin under ``notebooks/``; the ``.ipynb``
beside it is committed executed on the sample with default parameters, so nbval compares real
outputs. ``python -m analysis golden`` regenerates them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from nbclient import NotebookClient

from analysis.core.paths import project_root
from analysis.core.safeio import atomic_path
from analysis.pipeline.engine import ENGINES

KERNEL = "python3"
#: The kernel's own log at ERROR: its warning about TCP without encryption (on loopback) would be
#: printed for every kernel start.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


def notebook_dir() -> Path:
    """The project's ``notebooks/`` folder."""
    return project_root() / "notebooks"


def twins() -> list[tuple[Path, Path]]:
    """``(text twin, notebook)`` pairs, in name order."""
    return [(py, py.with_suffix(".ipynb")) for py in sorted(notebook_dir().glob("[0-9]*.py"))]


def code_sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(cell type, source)`` of every non-empty cell, for comparing a pair."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells if c.source.strip()]


def out_of_sync(py: Path, ipynb: Path) -> str | None:
    """Why a twin pair differs (``None`` when in sync)."""
    if not ipynb.exists():
        return f"{ipynb.name} is missing; run 'make golden'"
    nb = nbformat.read(ipynb, as_version=4)
    a, b = code_sources(jupytext.read(py)), code_sources(nb)
    if a != b:
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        return f"{py.name} and {ipynb.name} differ from cell {first + 1}; run 'make golden'"
    unrun = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None]
    if unrun:
        return f"{ipynb.name}: cells {unrun} were never executed; run 'make golden'"
    if nb.metadata.get("kernelspec") != kernelspec():
        return (f"{ipynb.name}: kernelspec {nb.metadata.get('kernelspec')} is not the installed kernel's "
                f"{kernelspec()}, so JupyterLab would rewrite it; run 'make golden'")
    if py.read_text(encoding="utf-8") != twin_text(nb):
        return (f"{py.name} is not what jupytext writes for {ipynb.name} (JupyterLab would rewrite it); "
                "run 'make golden'")
    return None


def kernelspec() -> dict[str, str]:
    """The notebooks' kernelspec metadata, as the installed kernel describes itself.

    JupyterLab rewrites a notebook whose kernelspec differs from the kernel it starts (for example
    "Python 3" against ipykernel's "Python 3 (ipykernel)"), and then autosaves it and its twin.
    """
    from jupyter_client.kernelspec import get_kernel_spec

    spec = get_kernel_spec(KERNEL)
    return {"display_name": spec.display_name, "language": spec.language, "name": KERNEL}


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 1200) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel with ``cwd`` as its working folder."""
    nb.metadata["kernelspec"] = kernelspec()
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def twin_text(nb: nbformat.NotebookNode) -> str:
    """The ``py:percent`` text that jupytext writes for ``nb``: what JupyterLab's jupytext
    extension would save, so that a save leaves the committed twin byte-identical."""
    return jupytext.writes(nb, fmt="py:percent")


def make_golden(names: list[str] | None = None) -> list[Path]:
    """Rebuild each ``.ipynb`` from its twin and execute it with default parameters; rewrite the twin
    as jupytext writes it (same code, normalised header)."""
    done = []
    for py, ipynb in twins():
        if names and py.stem not in names:
            continue
        nb = execute(jupytext.read(py), cwd=py.parent)
        for i, cell in enumerate(nb.cells):  # volatile ids and timings would make every regeneration a diff
            cell.id = f"cell-{i:03d}"
            cell.metadata.pop("execution", None)
        with atomic_path(ipynb) as tmp:
            nbformat.write(nb, tmp)
        with atomic_path(py) as tmp:
            tmp.write_text(twin_text(nb), encoding="utf-8")
        done.append(ipynb)
        print(f"golden: {ipynb.relative_to(project_root())}")
    return done


def run_papermill(src: Path, dst: Path, parameters: dict[str, Any] | None = None, engine: str = "warm") -> Path:
    """Execute ``src`` with papermill into ``dst`` (atomically), working folder ``notebooks/``.

    ``engine`` ``"warm"`` runs it in this process's warm kernel (:mod:`analysis.pipeline.engine`:
    the pipeline's steps then share one kernel, reset between them); ``"cold"`` in a new kernel
    (papermill's own engine).
    """
    import papermill as pm

    with atomic_path(dst) as tmp:
        pm.execute_notebook(str(src), str(tmp), parameters=parameters or {}, kernel_name=KERNEL,
                            engine_name=ENGINES[engine], cwd=str(src.parent),
                            resources={"metadata": {"path": str(src.parent)}}, extra_arguments=KERNEL_ARGS,
                            progress_bar=False, request_save_on_cell_execute=False)
    return dst


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis golden [NAME ...]``: regenerate golden notebooks from their twins."""
    ap = argparse.ArgumentParser(prog="python -m analysis golden", description=main.__doc__)
    ap.add_argument("names", nargs="*", help="notebook stems (default: all)")
    make_golden(ap.parse_args(argv).names or None)
    return 0
