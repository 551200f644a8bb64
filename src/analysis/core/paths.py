"""Where the project's inputs and outputs live.

Paths resolve against the project root (the folder holding ``pyproject.toml``), so notebooks
run from ``notebooks/`` and scripts run from the root find the same files.
"""

from __future__ import annotations

import functools
import os
import pickle
from pathlib import Path
from typing import Any

import yaml


def project_root() -> Path:
    """Return the project root: ``$DGR_PROJECT_ROOT`` if set, else the nearest parent with ``params/``."""
    env = os.environ.get("DGR_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    for base in (Path.cwd(), Path(__file__).resolve()):
        for parent in (base, *base.parents):
            if (parent / "params" / "questionnaire.yaml").is_file() and (parent / "pyproject.toml").is_file():
                return parent
    raise FileNotFoundError(
        "cannot find the project root (a folder with params/questionnaire.yaml); "
        "set DGR_PROJECT_ROOT"
    )


def params_dir() -> Path:
    """The folder of configuration files (codebook, reference data, thresholds)."""
    return project_root() / "params"


def outputs_dir() -> Path:
    """The folder of generated results."""
    return project_root() / "outputs"


def sample_dir() -> Path:
    """The folder of the bundled sample export."""
    return project_root() / "data" / "sample"


def resolve(path: str | os.PathLike[str]) -> Path:
    """Resolve a path given relative to the project root (absolute paths pass through)."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p


#: Module state a warm kernel keeps between notebooks (analysis.pipeline.kernelstate empties every
#: other cache of the package): each call of read_yaml gets its own copy of the parse.
__warm_kernel_keeps__ = ("_parsed_yaml",)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file with the safe loader, in libyaml's C version when PyYAML was built with it.

    The C loader accepts the same documents and builds the same objects (its error messages quote
    less of the offending line); it parses the 70-item codebook ~10x faster, which matters because
    every one of the 152 province pages reads it. A file read before, unchanged since (same
    modification time and size), is not parsed again: its parse is kept pickled and every call
    returns a new copy, so a caller that changes what it got changes nothing for the next caller.
    """
    p = Path(path).resolve()
    stat = p.stat()
    return pickle.loads(_parsed_yaml(str(p), stat.st_mtime_ns, stat.st_size))  # noqa: S301 - our own bytes


@functools.lru_cache(maxsize=64)
def _parsed_yaml(path: str, mtime_ns: int, size: int) -> bytes:
    """A YAML file's parse, pickled (keyed by the file's modification time and size as well)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    return pickle.dumps(data, protocol=5)

