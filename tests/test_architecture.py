"""The package's shape: sub-packages by pipeline stage, imports only downwards, ``__all__`` kept true.

An import-linter "layers" contract written as a test (no extra tool): each module may import from
its own sub-package and from the stages before it, never from a later stage, so the tree reads
like the data flow and a change to a report cannot break the statistics.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import analysis

SRC = Path(analysis.__file__).resolve().parent
#: The stages, lowest first. ``synthetic`` (the sample's generator) may use core and instrument, and
#: cleaning's parsers, with which it re-renders the committed sample in other platforms' layouts.
LAYERS = ["core", "instrument", "cleaning", "indicators", "stats", "report", "pipeline"]
ALLOWED = {name: set(LAYERS[: i + 1]) for i, name in enumerate(LAYERS)}
ALLOWED["synthetic"] = {"core", "instrument", "cleaning", "synthetic"}
# The estimator study (pipeline/simulation.py) draws whole surveys from the sample's generator and
# reads their truth; the generator imports nothing from pipeline, so no cycle can form.
ALLOWED["pipeline"] = ALLOWED["pipeline"] | {"synthetic"}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.parent != SRC)


def _imports(path: Path) -> set[str]:
    """Sub-packages of ``analysis`` that a module imports (``from analysis.x.y import z`` -> ``x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "analysis" else [f"analysis.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found.update(n.split(".")[1] for n in names if n.startswith("analysis."))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down_the_pipeline(path: Path) -> None:
    stage = path.relative_to(SRC).parts[0]
    wrong = _imports(path) - ALLOWED[stage]
    assert not wrong, f"{path.relative_to(SRC)} ({stage}) imports from later stages {sorted(wrong)}"


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from analysis.report.province import name\nfrom analysis import stats\n")
    assert _imports(bad) - ALLOWED["indicators"] == {"report", "stats"}


def test_every_sub_package_lists_its_modules_in_all() -> None:
    packages = sorted(p.parent for p in SRC.glob("*/__init__.py"))
    assert [p.name for p in packages] == sorted([*LAYERS, "synthetic"])
    assert sorted(analysis.__all__) == sorted(p.name for p in packages)
    for pkg in packages:
        ns: dict = {}
        exec(compile((pkg / "__init__.py").read_text(encoding="utf-8"), str(pkg), "exec"), ns)  # noqa: S102
        modules = sorted(p.stem for p in pkg.glob("*.py") if p.stem != "__init__")
        assert sorted(ns["__all__"]) == modules, pkg.name


def test_no_module_is_left_at_the_top() -> None:
    assert sorted(p.name for p in SRC.glob("*.py")) == ["__init__.py", "__main__.py"]
