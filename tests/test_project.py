"""Project conventions: environment.yml follows the lock; notebook twins are in sync and executed."""

from __future__ import annotations

import pytest

from analysis.core.paths import project_root
from analysis.pipeline.envfiles import environment_pins, lock_pins
from analysis.pipeline.notebooks import out_of_sync, twins


def test_environment_yml_matches_lock() -> None:
    root = project_root()
    lock = lock_pins((root / "requirements.lock").read_text(encoding="utf-8"))
    env = environment_pins((root / "environment.yml").read_text(encoding="utf-8"))
    assert lock, "requirements.lock has no pins"
    missing = sorted(set(lock) - set(env))
    extra = sorted(set(env) - set(lock))
    differ = sorted(n for n in set(lock) & set(env) if lock[n] != env[n])
    assert not (missing or extra or differ), (f"environment.yml and requirements.lock disagree: missing={missing} "
                                              f"extra={extra} differ={differ}; run 'make lock'")
    assert "python=3.11" in (root / "environment.yml").read_text(encoding="utf-8")
    assert "fontpkg-sarabun" in lock


@pytest.mark.parametrize("pair", twins(), ids=lambda p: p[0].stem)
def test_notebook_twin_in_sync(pair) -> None:
    problem = out_of_sync(*pair)
    assert problem is None, problem


def test_every_notebook_has_a_twin() -> None:
    nbdir = project_root() / "notebooks"
    stems = {p.stem for p in nbdir.glob("*.ipynb")}
    assert stems == {p.stem for p, _ in twins()}
    assert "00_survey_overview" in stems
