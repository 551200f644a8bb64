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

from analysis.paths import project_root
from analysis.safeio import atomic_path

KERNEL = "python3"


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
    return None


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 1200) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel with ``cwd`` as its working folder."""
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def make_golden(names: list[str] | None = None) -> list[Path]:
    """Rebuild each ``.ipynb`` from its twin and execute it with default parameters."""
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
        done.append(ipynb)
        print(f"golden: {ipynb.relative_to(project_root())}")
    return done


def run_papermill(src: Path, dst: Path, parameters: dict[str, Any] | None = None) -> Path:
    """Execute ``src`` with papermill into ``dst`` (atomically), working folder ``notebooks/``."""
    import papermill as pm

    with atomic_path(dst) as tmp:
        pm.execute_notebook(str(src), str(tmp), parameters=parameters or {}, kernel_name=KERNEL,
                            cwd=str(src.parent), progress_bar=False, request_save_on_cell_execute=False)
    return dst


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis golden [NAME ...]``: regenerate golden notebooks from their twins."""
    ap = argparse.ArgumentParser(prog="python -m analysis golden", description=main.__doc__)
    ap.add_argument("names", nargs="*", help="notebook stems (default: all)")
    make_golden(ap.parse_args(argv).names or None)
    return 0
