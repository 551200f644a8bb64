"""A papermill engine that reuses warm kernels: ``papermill --engine warm`` and ``batch --engine warm``.

papermill's own engine starts a kernel for every notebook, and the kernel then imports the
libraries again; for a 50 ms province page that start-up is nine tenths of the time. No library
reuses kernels: papermill and nbconvert leave it to a custom engine (papermill #326 and #616,
nbconvert #597), and ploomber-engine runs notebooks in the calling process with no isolation, so
this module is one.

How a notebook runs on the warm engine:

* each process keeps one kernel per kernel name, working folder and kernel arguments (a batch
  worker process is one "worker", so one kernel per worker);
* before the notebook, its import statements run in the kernel once (so the libraries and the
  ``analysis`` package are imported once per kernel), and the kernel is reset
  (:func:`analysis.pipeline.kernelstate.reset`): a fresh user namespace with execution counts
  from 1, no figures and Matplotlib's settings as after the imports, empty ``analysis`` caches;
* the notebook then runs through papermill's own client (``PapermillNotebookClient``), so
  parameters are injected and papermill's metadata written exactly as with the default engine;
* after it, :func:`analysis.pipeline.kernelstate.changes` checks that no module-level state of
  ``analysis`` and no process setting changed; if anything did, the kernel is shut down and the
  next notebook gets a new one. A kernel is also replaced after :data:`RECYCLE_AFTER` notebooks,
  after any error in a notebook, and when it died;
* kernels are shut down when the process exits (also a ``concurrent.futures`` or Dask worker).

What each kernel did is kept in :func:`kernel_log` (the batch puts it in its manifest).

References: papermill's engine API (https://papermill.readthedocs.io/en/latest/extending-entry-points.html);
nbclient's ``NotebookClient`` with a given kernel manager (https://nbclient.readthedocs.io/en/latest/client.html).
"""

from __future__ import annotations

import ast
import functools
import logging
import multiprocessing.util
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

if TYPE_CHECKING:
    import nbformat

log = logging.getLogger("papermill")

#: The papermill engines the project offers, by the name its commands take: ``warm`` (this module),
#: ``cold`` (papermill's own, a new kernel per notebook). Both give the same pages and tables.
ENGINES = {"warm": "warm", "cold": "nbclient"}
#: A kernel runs at most this many notebooks, then is replaced (bounds memory that a long batch
#: could accumulate in libraries' own caches).
RECYCLE_AFTER = 100
#: The kernel-side module (see its description), as an expression that works in any user namespace.
KERNEL_MODULE = "__import__('analysis.pipeline.kernelstate', fromlist=['reset'])"
#: Seconds allowed for the engine's own requests to a kernel (imports, check, reset).
REQUEST_TIMEOUT = 600


class KernelStateError(RuntimeError):
    """The engine's own request to a warm kernel failed (the kernel is replaced)."""


def notebook_imports(nb: nbformat.NotebookNode) -> str:
    """The top-level import statements of a notebook's code cells, as one piece of source.

    Cells are parsed with IPython magics and shell escapes removed; a cell that does not parse is
    skipped (its imports then run with the notebook, as they would in a fresh kernel).
    """
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
                  and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    return "\n".join(dict.fromkeys(lines))


@dataclass
class WarmKernel:
    """One running kernel and what it has done."""

    kernel_name: str
    cwd: str
    arguments: tuple[str, ...]
    startup_timeout: float
    km: AsyncKernelManager = field(init=False)
    client: Any = field(init=False)  # a BlockingKernelClient for the engine's own requests
    #: the notebooks' client (an AsyncKernelClient, made by nbclient for the first notebook and then
    #: kept: a new client waits ~0.2 s for its IOPub channel to connect)
    kc: Any = None
    notebooks: int = 0
    imports_seen: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        run_sync(self.km.start_kernel)(extra_arguments=list(self.arguments), cwd=self.cwd)
        self.client = self.km.blocking_client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=self.startup_timeout)
            self.call(KERNEL_MODULE)
        except Exception:
            self.shutdown()
            raise

    @property
    def pid(self) -> int | None:
        """The kernel's process id (for the log)."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def alive(self) -> bool:
        """True while the kernel process runs."""
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001 - a manager that cannot tell has lost its kernel
            return False

    def call(self, code: str, expression: str | None = None) -> Any:
        """Run ``code`` silently in the kernel (no output, no execution count); return the value
        of ``expression`` (a Python literal) when given."""
        reply = self.client.execute_interactive(code, silent=True, store_history=False,
                                                user_expressions={"r": expression} if expression else {},
                                                timeout=REQUEST_TIMEOUT, output_hook=lambda _msg: None)
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelStateError(f"{content.get('ename')}: {content.get('evalue')}")
        if expression is None:
            return None
        value = content["user_expressions"]["r"]
        if value.get("status") != "ok":
            raise KernelStateError(f"{value.get('ename')}: {value.get('evalue')}")
        return ast.literal_eval(value["data"]["text/plain"])

    def prepare(self, imports: str) -> None:
        """Import what the notebook imports (once), then reset the kernel for it."""
        if imports and imports not in self.imports_seen:
            self.call(f"{KERNEL_MODULE}.preload({imports!r})")
            self.imports_seen.add(imports)
        self.call(f"{KERNEL_MODULE}.reset()")

    def changes(self) -> list[str]:
        """What the last notebook changed of the state that must not change (empty if nothing)."""
        return list(self.call("", f"{KERNEL_MODULE}.changes()"))

    def shutdown(self) -> None:
        """Stop the kernel (quietly if it is already gone)."""
        for client in (self.client, self.kc):
            try:
                if client is not None:
                    client.stop_channels()
            except Exception:  # noqa: BLE001, S110 - a client may never have started
                pass
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception as e:  # noqa: BLE001 - a dead kernel has nothing left to stop
            log.debug("warm kernel shutdown: %s", e)


class KernelPool:
    """The warm kernels of this process, by (kernel name, working folder, kernel arguments)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.kernels: dict[tuple[str, str, tuple[str, ...]], WarmKernel] = {}
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        multiprocessing.util.Finalize(self, KernelPool.shutdown_all, args=(self.kernels,), exitpriority=10)

    def _event(self, kernel: WarmKernel, what: str, **details: Any) -> None:
        self.events.append({"event": what, "pid": kernel.pid, "notebooks": kernel.notebooks, **details})

    def acquire(self, kernel_name: str, cwd: str, arguments: tuple[str, ...], startup_timeout: float,
                imports: str) -> WarmKernel:
        """A clean kernel for the next notebook: the pooled one when it can serve, else a new one."""
        key = (kernel_name, cwd, arguments)
        kernel = self.kernels.pop(key, None)
        if kernel is not None and not kernel.alive():
            self._event(kernel, "replaced", reason="the kernel died")
            kernel.shutdown()
            kernel = None
        if kernel is None:
            kernel = WarmKernel(kernel_name, cwd, arguments, startup_timeout)
            self._event(kernel, "started")
        try:
            kernel.prepare(imports)
        except Exception:
            self._event(kernel, "replaced", reason="the reset before the notebook failed")
            kernel.shutdown()
            raise
        self.kernels[key] = kernel
        return kernel

    def release(self, kernel: WarmKernel, failed: bool) -> None:
        """After a notebook: keep the kernel for the next one, or replace it (error, leak, age)."""
        kernel.notebooks += 1
        reason = None
        if failed:
            reason = "the notebook failed"
        elif not kernel.alive():
            reason = "the kernel died"
        else:
            try:
                leaked = kernel.changes()
            except Exception as e:  # noqa: BLE001 - a kernel that cannot answer is not reused
                leaked, reason = [], f"the state check failed ({e})"
            if leaked:
                reason = "state changed: " + ", ".join(leaked[:10]) + (" ..." if len(leaked) > 10 else "")
            elif reason is None and kernel.notebooks >= RECYCLE_AFTER:
                reason = f"recycled after {kernel.notebooks} notebooks"
        if reason is not None:
            self._event(kernel, "replaced", reason=reason)
            for key, k in list(self.kernels.items()):
                if k is kernel:
                    del self.kernels[key]
            kernel.shutdown()

    @staticmethod
    def shutdown_all(kernels: dict[tuple[str, str, tuple[str, ...]], WarmKernel]) -> None:
        """Stop every kernel of the pool (at process exit)."""
        for kernel in list(kernels.values()):
            kernel.shutdown()
        kernels.clear()


_pool: KernelPool | None = None


def pool() -> KernelPool:
    """This process's kernel pool (created on first use).

    A process forked from one that has warm kernels (a batch worker forked by ``python -m
    analysis report``) starts a pool of its own: the parent's kernels, and their sockets, are the
    parent's to use and stop.
    """
    global _pool
    if _pool is None or _pool.pid != os.getpid():
        _pool = KernelPool()
    return _pool


def kernel_log(clear: bool = False) -> list[dict[str, Any]]:
    """What this process's warm kernels did: ``started`` and ``replaced`` (with the reason) events,
    each with the kernel's process id and the number of notebooks it had run."""
    events = list(pool().events)
    if clear:
        pool().events.clear()
    return events


def shutdown_kernels() -> None:
    """Stop this process's warm kernels now (they are otherwise stopped at exit)."""
    KernelPool.shutdown_all(pool().kernels)


def execute_managed_notebook(nb_man: Any, kernel_name: str, log_output: bool = False, stdout_file: Any = None,
                             stderr_file: Any = None, start_timeout: float = 60, execution_timeout: float | None = None,
                             **kwargs: Any) -> Any:
    """Run the notebook of papermill's ``nb_man`` in a warm kernel (the ``warm`` engine's work).

    papermill's arguments as for its own engine (``resources={"metadata": {"path": folder}}``
    sets the kernel's working folder, as for nbclient), and ``partial_output_path``: where to write the
    notebook as far as it ran when the kernel dies or a cell times out (papermill itself writes a
    notebook whose cell raised). With it, papermill's save after every cell
    (``request_save_on_cell_execute``), 30 ms a page here, can be turned off without losing the
    record of a crash.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.utils import merge_kwargs, remove_args

    partial = kwargs.pop("partial_output_path", None)
    kwargs = remove_args(["input_path", "shutdown_kernel"], **kwargs)
    arguments = list(kwargs.pop("extra_arguments", None) or [])
    if not any(a.startswith("--HistoryManager.hist_file") for a in arguments):
        arguments.append("--HistoryManager.hist_file=:memory:")  # as nbclient starts kernels
    safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
    # the kernel's working folder: nbclient's resources["metadata"]["path"] when given (as nbclient
    # starts its kernels there), else the folder papermill changed to for its ``cwd``. Callers
    # running notebooks in threads should give the former: a chdir is process-wide, and another
    # thread's papermill may have changed the folder back already.
    cwd = str((kwargs.get("resources") or {}).get("metadata", {}).get("path") or os.getcwd())
    with pool().lock:  # one notebook at a time per process: a kernel is not shared by threads
        kernel = pool().acquire(kernel_name, cwd, tuple(arguments), start_timeout, notebook_imports(nb_man.nb))
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=log,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
        client.kc = kernel.kc
        failed = True
        try:
            nb = client.execute()
            failed = bool(nb_man.nb.metadata.get("papermill", {}).get("exception"))
            return nb
        except BaseException:
            if partial:  # the kernel died or timed out: keep the notebook as far as it ran
                from papermill.iorw import write_ipynb

                write_ipynb(nb_man.nb, partial)
            raise
        finally:
            kernel.kc = client.kc
            pool().release(kernel, failed)


@functools.cache
def _warm_engine() -> type:
    """The ``warm`` engine class, a subclass of papermill's ``Engine``.

    Built on first use rather than at import: papermill imports its entry points (this module
    among them) while ``papermill.engines`` is itself being imported, so importing papermill at
    the top of this module would be circular whenever this module is imported first.
    """
    from papermill.engines import Engine

    class WarmEngine(Engine):
        """papermill engine ``warm``: notebooks run in reused, reset kernels (see
        :mod:`analysis.pipeline.engine`)."""

        execute_managed_notebook = classmethod(lambda cls, nb_man, kernel_name, **kw:
                                               execute_managed_notebook(nb_man, kernel_name, **kw))

    WarmEngine.__module__ = __name__
    return WarmEngine


def __getattr__(name: str) -> Any:
    """``WarmEngine``, the entry point papermill loads (``papermill.engine`` group)."""
    if name == "WarmEngine":
        return _warm_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
