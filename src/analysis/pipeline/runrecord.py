"""The run record: what produced a set of outputs, so that a published figure can be traced.

``outputs/run_record.json`` holds the command, the modelling choices and seeds (from the steps'
own settings files), a SHA-256 of every input export and configuration file, the versions of every
installed package, the platform (Python, OS, CPU, and the BLAS library and kernel numpy uses) and
the git commit of the code, with each step's time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from analysis.core.paths import params_dir, project_root
from analysis.core.safeio import write_json


def file_hash(path: Path) -> dict[str, Any]:
    """SHA-256 and size of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"path": str(path), "sha256": h.hexdigest(), "bytes": path.stat().st_size}


def package_versions() -> dict[str, str]:
    """Every installed distribution and its version, sorted by name."""
    versions = {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()
                if d.metadata["Name"]}
    return dict(sorted(versions.items()))


def platform_info() -> dict[str, Any]:
    """Python, OS and CPU, and the BLAS that numpy loaded with the kernel it chose for this CPU."""
    from numpy._core._multiarray_umath import __cpu_features__ as features
    from threadpoolctl import threadpool_info
    blas = [{k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer")}
            for lib in threadpool_info()]
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "system": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "numpy_simd": sorted(k for k, on in features.items() if on), "blas": blas}


def git_commit() -> str | None:
    """The commit of the code (with ``+dirty`` for uncommitted changes), or ``None`` outside git."""
    try:
        root = str(project_root())
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def _settings(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_run_record(outputs: Path, inputs: list[Path], argv: list[str], timings: dict[str, float]) -> Path:
    """Write ``<outputs>/run_record.json`` for a run over the export files ``inputs``."""
    config = sorted(p for p in params_dir().iterdir() if p.is_file())
    record = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": ["python", "-m", "analysis", *argv],
        "code_commit": git_commit(),
        "inputs": [file_hash(p) for p in inputs],
        "configuration": [file_hash(p) for p in config],
        "index": _settings(outputs / "index" / "index_settings.json"),
        "reliability": _settings(outputs / "reliability" / "settings.json"),
        "step_seconds": timings,
        "platform": platform_info(),
        "packages": package_versions(),
    }
    path = outputs / "run_record.json"
    write_json(record, path)
    return path
