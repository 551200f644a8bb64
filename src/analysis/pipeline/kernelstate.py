"""Inside a warm kernel: clean it between notebooks, and tell whether a notebook left state behind.

The warm papermill engine (:mod:`analysis.pipeline.engine`) runs many notebooks, one after
another, in one IPython kernel. This module is what it calls inside that kernel:

* :func:`preload` runs a notebook's import statements before the notebook itself, so the modules
  are imported once per kernel, and records a fingerprint of every ``analysis`` module that was
  not loaded before (its state at import, before any notebook touched it);
* :func:`changes` names what differs from those fingerprints: a module-level name of ``analysis``
  rebound or its value mutated (class attributes included), or process-wide settings that a
  notebook can change and a fresh kernel would not have (pandas options, warnings filters, NumPy's
  floating-point error handling, ``sys.path``, the working folder, the environment). The engine
  restarts the kernel when anything changed;
* :func:`reset` gives the next notebook what a fresh kernel gives it: an empty user namespace
  with execution counts from 1 (IPython's ``reset(new_session=True)``), no open figures and
  Matplotlib's settings as they were after the imports, and empty ``functools`` caches in
  ``analysis`` (so a cached value that a notebook mutated cannot reach the next one), except
  the caches of immutable values a module lists in :data:`KEEP`.

What the imports created is frozen out of the garbage collector's generations (``gc.freeze``), as
servers do before forking, so the reset's full collection costs milliseconds, not a tenth of a second.

No library offers this: papermill and nbclient start a kernel per notebook, and ploomber-engine
runs notebooks in the calling process without any reset (papermill #326 and #616, nbconvert #597).

A value is fingerprinted by its pickle (a SHA-256 of ``pickle.dumps``); functions, classes and
modules, and values that cannot be pickled (locks, thread-locals), by identity: rebinding them is
a change, their contents are not followed. A module first imported by a notebook itself (not by a
static import statement that :func:`preload` saw) is fingerprinted after that notebook ran.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import sys
import types
import warnings
from typing import Any, cast

PACKAGE = "analysis"

#: A module's tuple of the names of its globals that are caches of immutable values (a
#: ``functools`` cache whose function returns new copies, a store of bytes): they are kept between
#: notebooks and left out of the fingerprints. Every other cache of the package is emptied.
KEEP = "__warm_kernel_keeps__"
#: Fingerprints taken when each ``analysis`` module and the process settings were first seen.
_baseline: dict[str, str] = {}
#: Matplotlib's settings after the imports (restored before every notebook), once pyplot is loaded.
_rc: dict[str, Any] | None = None

_BY_IDENTITY = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
                functools.partial, functools._lru_cache_wrapper)


def _fingerprint(value: Any) -> str:
    """A string that changes when ``value`` is rebound or (if it pickles) mutated."""
    if isinstance(value, _BY_IDENTITY):
        return f"id:{id(value)}"
    try:
        return hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()
    except Exception:  # noqa: BLE001 - locks, thread-locals, generators: identity is all there is
        return f"id:{type(value).__qualname__}:{id(value)}"


def _is_own(name: str) -> bool:
    return (name == PACKAGE or name.startswith(PACKAGE + ".")) and name != __name__


def _module_state(name: str, module: types.ModuleType) -> dict[str, str]:
    """Fingerprints of a module's globals and of the data attributes of the classes it defines."""
    out: dict[str, str] = {}
    keep = set(getattr(module, KEEP, ()))
    for key, value in list(vars(module).items()):
        if (key.startswith("__") and key.endswith("__") and key not in ("__all__", KEEP)) or key in keep:
            continue
        out[f"{name}:{key}"] = _fingerprint(value)
        if isinstance(value, type) and value.__module__ == name:
            for attr, member in list(vars(value).items()):
                if attr.startswith("__") or callable(member) or hasattr(member, "__get__"):
                    continue  # methods, properties and slots: code, not state
                out[f"{name}:{key}.{attr}"] = _fingerprint(member)
    return out


def _process_state() -> dict[str, str]:
    """Fingerprints of process-wide settings a notebook can change."""
    out = {"sys.path": _fingerprint(list(sys.path)), "cwd": _fingerprint(os.getcwd()),
           "os.environ": _fingerprint(dict(os.environ)),
           "warnings.filters": _fingerprint([repr(f) for f in warnings.filters])}
    if "numpy" in sys.modules:
        out["numpy.seterr"] = _fingerprint(sys.modules["numpy"].geterr())
    if "pandas" in sys.modules:
        from pandas._config import config  # the options registry; pandas has no public snapshot of it

        out["pandas.options"] = _fingerprint(config._global_config)
    return out


def state() -> dict[str, str]:
    """Fingerprints of every loaded ``analysis`` module and of the process settings."""
    out = _process_state()
    for name, module in sorted(sys.modules.items()):
        if _is_own(name) and isinstance(module, types.ModuleType):
            out.update(_module_state(name, module))
    return out


def _record_new() -> None:
    """Add the fingerprints of what was not seen before (newly imported modules, new settings)."""
    global _rc
    for key, value in state().items():
        _baseline.setdefault(key, value)
    if _rc is None and "matplotlib.pyplot" in sys.modules:
        import matplotlib

        _rc = {key: matplotlib.rcParams[key] for key in matplotlib.rcParams}


def preload(source: str) -> None:
    """Run ``source`` (a notebook's import statements) in a namespace of its own, then fingerprint
    the ``analysis`` modules and settings it brought in, before any notebook can change them."""
    exec(compile(source, "<warm-kernel imports>", "exec"), {"__name__": "__warm_kernel__"})  # noqa: S102
    _record_new()
    # The imported modules live as long as the kernel: moved out of the collector's sight, the full
    # collection that every reset makes (IPython's displayhook.flush) looks only at what notebooks made.
    gc.freeze()


def changes() -> list[str]:
    """What differs from the fingerprints (sorted names), after recording what is new."""
    now = state()
    changed = sorted(k for k, v in now.items() if k in _baseline and _baseline[k] != v)
    changed += sorted(k for k in _baseline if k not in now)
    _record_new()
    return changed


def reset() -> None:
    """Make the kernel look fresh to the next notebook (see the module's description)."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        if _rc is not None:
            # as matplotlib.rc_context restores them (validated when they were set)
            dict.update(cast("dict[str, Any]", matplotlib.rcParams), _rc)
    for name, module in list(sys.modules.items()):
        if _is_own(name) and isinstance(module, types.ModuleType):
            keep = set(getattr(module, KEEP, ()))
            for key, value in list(vars(module).items()):
                if isinstance(value, functools._lru_cache_wrapper) and value.__module__ == name and key not in keep:
                    value.cache_clear()
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)
