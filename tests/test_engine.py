"""The warm papermill engine: same results as fresh kernels, a reset between notebooks, and a new
kernel whenever one could carry something over (a leak, an error, a crash, age)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.pipeline import engine


def _notebook(path: Path, *cells: str, parameters: str | None = None) -> Path:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.insert(0, cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(src: Path, tmp_path: Path, name: str = "out", **kw) -> nbformat.NotebookNode:
    return pm.execute_notebook(str(src), str(tmp_path / f"{name}.out.ipynb"), kernel_name="python3", engine_name="warm",
                               progress_bar=False, cwd=str(tmp_path), **kw)


def _text(nb: nbformat.NotebookNode, cell: int) -> str:
    return "".join(o.get("text", "") for o in nb.cells[cell].outputs)


@pytest.fixture(autouse=True)
def fresh_pool():
    engine.shutdown_kernels()
    engine.kernel_log(clear=True)
    yield
    engine.shutdown_kernels()


def test_registered_as_papermill_entry_point() -> None:
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine("warm") is engine.WarmEngine


def test_one_kernel_reset_between_notebooks(tmp_path) -> None:
    first = _notebook(tmp_path / "a.ipynb", "x = 41\nimport matplotlib.pyplot as plt\n"
                      "plt.rcParams['lines.linewidth'] = 9\nfig = plt.figure()\nimport os\nos.getpid()",
                      parameters="p = 1")
    second = _notebook(tmp_path / "b.ipynb", "import os, matplotlib.pyplot as plt\n"
                       "print('x' in globals(), plt.rcParams['lines.linewidth'], len(plt.get_fignums()), os.getpid())")
    nb1 = _run(first, tmp_path, "a", parameters={"p": 2})
    nb2 = _run(second, tmp_path, "b")
    pid = nb1.cells[-1].outputs[0]["data"]["text/plain"]
    seen, width, figures, pid2 = _text(nb2, 0).split()
    assert pid2 == pid, "the second notebook ran in the same kernel"
    assert seen == "False", "a fresh user namespace"
    assert width == "1.5" and figures == "0", "Matplotlib's settings restored and its figures closed"
    assert [c.execution_count for c in nb2.cells] == [1], "execution counts start at 1 again"
    # papermill's own parameter injection and metadata
    assert nb1.cells[1].metadata["tags"] == ["injected-parameters"] and "p = 2" in nb1.cells[1].source
    assert nb1.metadata.papermill["parameters"] == {"p": 2}
    assert [e["event"] for e in engine.kernel_log()] == ["started"]


def test_changed_package_state_restarts_the_kernel(tmp_path) -> None:
    leak = _notebook(tmp_path / "leak.ipynb",
                     "import analysis.report.labels as L\nL.LANGS = ('xx',)\nimport os\nprint(os.getpid())")
    mutate = _notebook(tmp_path / "mutate.ipynb", "import analysis.pipeline.batch as b\nb.BASE_CHARS += 'x'")
    check = _notebook(tmp_path / "check.ipynb", "import analysis.report.labels as L, os\nprint(L.LANGS, os.getpid())")
    first = _text(_run(leak, tmp_path, "leak"), 0).strip()
    langs = _text(_run(check, tmp_path, "check"), 0)
    assert "xx" not in langs and not langs.strip().endswith(first), "a new kernel, with the package as imported"
    events = engine.kernel_log(clear=True)
    assert events[1]["event"] == "replaced" and "analysis.report.labels:LANGS" in events[1]["reason"]
    _run(mutate, tmp_path, "mutate")  # a mutated value (not a rebinding) is seen too
    assert any("analysis.pipeline.batch:BASE_CHARS" in e.get("reason", "") for e in engine.kernel_log())


def test_library_settings_changes_restart_the_kernel(tmp_path) -> None:
    nb = _notebook(tmp_path / "opt.ipynb", "import pandas as pd\npd.set_option('display.max_rows', 3)")
    _run(nb, tmp_path)
    assert any("pandas.options" in e.get("reason", "") for e in engine.kernel_log())


def test_error_and_crash_isolated(tmp_path) -> None:
    bad = _notebook(tmp_path / "bad.ipynb", "import os\nprint(os.getpid())", "raise ValueError('province missing')")
    crash = _notebook(tmp_path / "crash.ipynb", "print('before')", "import os\nos._exit(3)", "print('after')")
    good = _notebook(tmp_path / "good.ipynb", "print(1 + 1)")
    with pytest.raises(pm.PapermillExecutionError, match="province missing"):
        _run(bad, tmp_path, "bad")
    kept = nbformat.read(tmp_path / "bad.out.ipynb", as_version=4)
    errors = [o["ename"] for c in kept.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == ["ValueError"], "the failed notebook is written as far as it ran"
    assert _text(_run(good, tmp_path, "good"), 0) == "2\n"
    partial = tmp_path / "crash-partial.ipynb"
    with pytest.raises(Exception, match="(?i)kernel died"):
        _run(crash, tmp_path, "crash", request_save_on_cell_execute=False, partial_output_path=str(partial))
    assert _text(nbformat.read(partial, as_version=4), 0) == "before\n", "the crashed notebook is kept"
    assert _text(_run(good, tmp_path, "good2"), 0) == "2\n"
    reasons = [e.get("reason") for e in engine.kernel_log() if e["event"] == "replaced"]
    assert reasons[0] == "the notebook failed" and len(reasons) == 2, reasons


def test_recycled_after_bounded_use(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "RECYCLE_AFTER", 2)
    nb = _notebook(tmp_path / "n.ipynb", "1")
    for i in range(3):
        _run(nb, tmp_path, f"n{i}")
    events = [e["event"] for e in engine.kernel_log()]
    assert events == ["started", "replaced", "started"]
    assert engine.kernel_log()[1]["reason"] == "recycled after 2 notebooks"


def test_papermill_command_line(tmp_path) -> None:
    src = _notebook(tmp_path / "cli.ipynb", "print(n * 2)", parameters="n = 1")
    out = tmp_path / "cli.out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(src), str(out), "-p", "n", "21", "--engine", "warm",
                    "-k", "python3", "--no-progress-bar"], check=True, capture_output=True, timeout=300)
    nb = json.loads(out.read_text(encoding="utf-8"))
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "42\n"
    assert nb["metadata"]["papermill"]["parameters"] == {"n": 21}


def test_imports_found_in_cells() -> None:
    nb = new_notebook(cells=[new_code_cell("%matplotlib inline\nimport os\nfrom a.b import c as d\nx = 1"),
                             new_code_cell("def f(:"), new_code_cell("from __future__ import annotations\nimport os")])
    assert engine.notebook_imports(nb) == "import os\nfrom a.b import c as d"


def _untimed(nb: dict) -> dict:
    """An executed notebook without what differs from run to run: papermill's and nbclient's timings,
    and the name of the temporary file papermill wrote (renamed into place afterwards)."""
    nb = json.loads(json.dumps(nb))
    nb["metadata"]["papermill"].pop("output_path")
    for meta in [nb["metadata"].get("papermill", {})] + [c["metadata"].get("papermill", {}) for c in nb["cells"]]:
        for key in ("start_time", "end_time", "duration"):
            meta.pop(key, None)
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        cell.pop("id", None)  # papermill gives its injected cell a random id (pages renumber them)
    return nb


def test_warm_pages_and_notebooks_equal_cold(outputs, tmp_path) -> None:
    """A set of provinces in both languages, run with papermill's engine and with the warm one:
    the same page bytes and the same executed notebooks. One province has no usable response at
    all, and one code is not a surveyed province (a failure, whose partial notebook must match)."""
    import shutil

    import pandas as pd

    from analysis.pipeline import batch

    out = tmp_path / "outputs"
    shutil.copytree(outputs, out)
    agencies = pd.read_parquet(out / "index" / "agency_scores.parquet")
    agencies[agencies["province"] != "TH-58"].to_parquet(out / "index" / "agency_scores.parquet")
    provinces = ["TH-50", "TH-57", "TH-58", "TH-96", "TH-99"]
    tasks = batch.plan(provinces, ["th", "en"], out)
    runs = {}
    for name in ("cold", "warm", "warm again"):
        m = batch.run_batch(tasks, workers=2, force=True, progress=False, outputs=out, engine=name.split()[0])
        ran = {t.key: m["tasks"][t.key] for t in tasks}
        runs[name] = {key: (Path(t["html"]).read_bytes() if t["html"] else None,
                            _untimed(json.loads(Path(t["notebook"]).read_text(encoding="utf-8"))))
                      for key, t in ran.items()}
        status = {k: t["status"] for k, t in ran.items()}
        assert status == {f"{p}.{lang}": "failed" if p == "TH-99" else "ok" for p in provinces for lang in ("th", "en")}
    assert b"0 of the 19 agencies returned a usable response" in runs["cold"]["TH-58.en"][0]
    for key, (html, nb) in runs["cold"].items():
        for other in ("warm", "warm again"):
            assert runs[other][key][0] == html, f"{key}: the {other} page differs"
            assert runs[other][key][1] == nb, f"{key}: the {other} notebook differs"


def test_kept_caches_hold_only_copies(tmp_path) -> None:
    """What a warm kernel keeps between notebooks (``__warm_kernel_keeps__``) cannot carry a change:
    every read of a YAML file is a new copy, and an edited file is read again."""
    from analysis.core.paths import read_yaml

    f = tmp_path / "x.yaml"
    f.write_text("a: [1, 2]\n", encoding="utf-8")
    first = read_yaml(f)
    first["a"].append(3)
    assert read_yaml(f) == {"a": [1, 2]}
    f.write_text("a: [1, 2, 3, 4]\n", encoding="utf-8")
    assert read_yaml(f) == {"a": [1, 2, 3, 4]}


def test_mutated_cached_value_does_not_reach_the_next_notebook(tmp_path) -> None:
    """A notebook that changes what a package cache returned (labels) or what a kept cache returned
    (a YAML parse) leaves the next notebook the values a fresh kernel would see."""
    change = _notebook(tmp_path / "change.ipynb",
                       "from analysis.report.labels import labels\nlabels()['headings']['title']['en'] = 'CHANGED'\n"
                       "from analysis.core.paths import read_yaml, params_dir\n"
                       "read_yaml(params_dir() / 'index.yaml')['changed'] = True")
    look = _notebook(tmp_path / "look.ipynb",
                     "from analysis.report.labels import labels\n"
                     "from analysis.core.paths import read_yaml, params_dir\n"
                     "print(labels()['headings']['title']['en'], 'changed' in read_yaml(params_dir() / 'index.yaml'))")
    _run(change, tmp_path, "change")
    seen = _text(_run(look, tmp_path, "look"), 0).split()
    assert seen[-1] == "False" and "CHANGED" not in seen
    assert [e["event"] for e in engine.kernel_log()] == ["started"], "caches are reset, not a reason to restart"


def test_province_page_imports_stay_light() -> None:
    """A cold kernel pays for every import of the page notebook 152 times: importing nbformat
    (jsonschema, ~1 s) or Matplotlib from the page's modules once doubled the cold batch."""
    from analysis.core.paths import project_root
    from analysis.pipeline import batch

    nb = nbformat.read(project_root() / "notebooks" / f"{batch.NOTEBOOK}.ipynb", as_version=4)
    code = engine.notebook_imports(nb) + "\nimport sys\nprint(sorted(m for m in ('jsonschema', 'nbformat', " \
        "'matplotlib', 'scipy', 'statsmodels', 'nbconvert') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
