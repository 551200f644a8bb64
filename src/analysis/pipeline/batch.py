"""Batch-run the province write-up for many provinces and languages, and publish HTML pages.

``python -m analysis batch [--provinces TH-50,TH-57] [--lang th,en] [--workers N] [--force]
[--scheduler ADDRESS]``

* Each (province, language) runs ``notebooks/10_province_report.ipynb`` with papermill in its own
  kernel, then becomes an HTML page without code (nbconvert's Python API and the site's template,
  ``report/page_template``) under ``outputs/site/provinces/``; the executed notebook is kept under
  ``outputs/notebooks/provinces/``. The pages share ``outputs/site/assets/site.css`` (the styles of
  ``report/static/site.css`` and Sarabun subset to the characters of the pages), written at the end.
* Work goes to any ``concurrent.futures``-style executor: local processes by default (one per
  core), or a Dask cluster with ``--scheduler`` (``distributed.Client(address).get_executor()``).
* A failing province does not stop the others: its partly executed notebook is kept, the error is
  summarised at the end, and the exit status is non-zero. Kernel start failures are retried.
* A manifest of input hashes lets a re-run skip what has not changed, so an interrupted run
  resumes; ``--force`` runs everything.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.core.paths import outputs_dir, project_root, sample_dir
from analysis.core.safeio import atomic_path, write_json, write_text
from analysis.pipeline.engine import ENGINES, kernel_log

NOTEBOOK = "10_province_report"
#: Errors that mean the kernel never started properly (worth retrying), not that the notebook failed.
KERNEL_START_ERRORS = ("Kernel died before replying", "Address already in use", "kernel_info",
                       "Kernel didn't respond", "Timeout waiting for kernel")
RETRIES = 3
#: Seconds to wait for a kernel to answer (papermill's default is 60). A kernel takes 1-2 s to
#: start here; one that loses a port race with a parallel kernel ("Address already in use") can
#: hang instead of exiting, and this bounds the wait before it is retried.
START_TIMEOUT = 20
#: Kernel log at ERROR: its per-start warning ("running over TCP without encryption", on a local
#: loopback connection) would otherwise be printed 152 times through the progress bar. Errors in
#: the notebook itself are in its outputs and the manifest, not in this log. No command history:
#: parallel batch kernels would otherwise contend for one IPython history database.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"]


#: The page template (an nbconvert template directory) and the site's shared stylesheet.
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "report" / "page_template"
STATIC_DIR = TEMPLATE_DIR.with_name("static")
#: Characters the font always covers, whatever the pages say: printable ASCII and the Thai block,
#: so a page rebuilt alone (or a later one) never falls back to another font mid-word.
BASE_CHARS = "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0x0E01, 0x0E5C)))
#: Sarabun's weights the site uses (headings and <strong> are bold).
FONT_WEIGHTS = {400: "Sarabun-Regular.ttf", 700: "Sarabun-Bold.ttf"}


@dataclass(frozen=True)
class Provenance:
    """Where a page's figures come from, as the page's header says it.

    Every field but ``run_date`` comes from the run's inputs (codebook, cleaning record, the
    records of the run's own steps). ``collected`` is the first and last submission date as
    ``(year, month, day)``; ``synthetic`` is true when every raw export is the bundled synthetic
    sample. ``run_date`` is the day the pages were made, in Thailand (UTC+7), or the day of
    ``SOURCE_DATE_EPOCH`` when that is set (the reproducible-builds convention), so the same inputs
    on the same day give the same page bytes; it is left out of the pages' fingerprints, so a page
    that is up to date keeps the date it was made.
    """

    round_year: int | None = None
    instrument: str = ""
    sources: tuple[str, ...] = ()
    collected: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None
    synthetic: bool = False
    run_date: tuple[int, int, int] | None = None


#: Thailand's time (no daylight saving): the run date is the date in the provinces.
THAILAND = datetime.timezone(datetime.timedelta(hours=7))


def run_date() -> tuple[int, int, int]:
    """Today in Thailand, or the date of ``SOURCE_DATE_EPOCH`` (seconds) when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = datetime.datetime.fromtimestamp(int(epoch), THAILAND) if epoch else datetime.datetime.now(THAILAND)
    return (now.year, now.month, now.day)


@dataclass(frozen=True)
class Task:
    """One province write-up in one language."""

    province: str
    lang: str
    notebook: str
    outputs: str
    ipynb: str
    html: str
    fingerprint: str
    provenance: Provenance = Provenance()

    @property
    def key(self) -> str:
        return f"{self.province}.{self.lang}"


def _sha(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def upstream_files(outputs: Path) -> list[Path]:
    """The files a province write-up reads: upstream outputs, the codebook and the reference data."""
    files = [*(outputs / "index").glob("*.parquet"), *(outputs / "reliability").glob("*.parquet"),
             outputs / "clean" / "quarantine.parquet"]
    params = project_root() / "params"
    files += [params / "questionnaire.yaml", params / "agencies.yaml", params / "provinces.csv"]
    missing = [str(f) for f in files if not f.exists()]
    if missing or not (outputs / "index" / "province_scores.parquet").exists():
        raise FileNotFoundError(f"upstream outputs missing ({missing or 'index'}); "
                                "run notebooks 01-03 first (or 'make report')")
    return files


def _imported_modules(source: str) -> set[str]:
    """The ``analysis`` modules a piece of Python source imports (``from analysis.x import y`` may
    name a module ``analysis.x.y`` or an object of ``analysis.x``: both are returned if they exist)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("analysis"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def page_code(notebook: Path) -> list[Path]:
    """The package files a page depends on: every ``analysis`` module its notebook imports, and
    recursively what those import, with the ``__init__`` of each package on the way.

    So an edit to, say, the synthetic sample's generator leaves the 152 pages up to date, while an
    edit to anything a page runs makes them stale.
    """
    src = Path(__file__).resolve().parents[1]  # src/analysis
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    todo, seen = sorted(_imported_modules(code)), set()
    files: set[Path] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")[1:]
        for k in range(len(parts) + 1):  # the package's __init__ files on the way down
            init = src.joinpath(*parts[:k], "__init__.py")
            if init.exists():
                files.add(init)
        module = src.joinpath(*parts).with_suffix(".py") if parts else src / "__init__.py"
        if module.exists():
            files.add(module)
            todo.extend(sorted(_imported_modules(module.read_text(encoding="utf-8")) - seen))
    return sorted(files)


def plan(provinces: list[str], langs: list[str], outputs: Path | None = None) -> list[Task]:
    """The tasks, each with a fingerprint of its inputs, notebook, code, page template and parameters,
    and of what its header says about the inputs (:func:`provenance`)."""
    outputs = outputs or outputs_dir()
    nb = project_root() / "notebooks" / f"{NOTEBOOK}.ipynb"
    prov = provenance(outputs)
    base = _sha([*upstream_files(outputs), nb, *page_code(nb), *page_files()])
    dated = json.dumps(dataclasses.asdict(dataclasses.replace(prov, run_date=None)), sort_keys=True)
    base = hashlib.sha256(f"{base}|{dated}".encode()).hexdigest()
    tasks = []
    for p in provinces:
        for lang in langs:
            fp = hashlib.sha256(f"{base}|{p}|{lang}".encode()).hexdigest()
            tasks.append(Task(p, lang, str(nb), str(outputs),
                              str(outputs / "notebooks" / "provinces" / f"{p}.{lang}.ipynb"),
                              str(outputs / "site" / "provinces" / f"{p}.{lang}.html"), fp, prov))
    return tasks


def _recorded_raw_paths(outputs: Path, names: tuple[str, ...]) -> list[Path]:
    """The raw exports of this run, from its own records: the parameters papermill stored in the
    executed cleaning notebook (written before the batch), else the run record of ``report``.
    A record counts only when its file names are those the cleaning log lists (the same cleaning)."""
    candidates: list[list[str]] = []
    nb = outputs / "notebooks" / "01_clean_responses.ipynb"
    if nb.exists():
        params = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
        candidates.append(list(params.get("parameters", {}).get("raw_paths") or []))
    record = outputs / "run_record.json"
    if record.exists():
        candidates.append([i["path"] for i in json.loads(record.read_text(encoding="utf-8")).get("inputs", [])])
    for paths in candidates:
        if paths and tuple(Path(p).name for p in paths) == names:
            return [Path(p) for p in paths]
    return []


def _is_sample(path: Path) -> bool:
    """True when ``path`` is a file of the bundled synthetic sample: inside its folder, or a copy."""
    sample = sample_dir().resolve()
    path = path.resolve()
    if path.is_relative_to(sample):
        return True
    if not path.is_file():
        return False
    data = path.read_bytes()
    return any(f.is_file() and f.stat().st_size == len(data) and f.read_bytes() == data for f in sample.rglob("*"))


def provenance(outputs: Path | None = None) -> Provenance:
    """What the pages say about their inputs: survey round and questionnaire version (codebook),
    the raw export files and the span of submissions (cleaning outputs), and whether those exports
    are the bundled synthetic sample."""
    from analysis.instrument.codebook import load_codebook

    outputs = outputs or outputs_dir()
    version = load_codebook().instrument.version
    year = re.match(r"((?:19|20)\d\d)\b", version)
    log = outputs / "clean" / "cleaning_log.json"
    names = tuple(f["file"] for f in json.loads(log.read_text(encoding="utf-8")).get("files", [])) \
        if log.exists() else ()
    collected = None
    clean = outputs / "clean" / "clean_responses.parquet"
    if clean.exists():
        import pandas as pd

        when = pd.to_datetime(pd.read_parquet(clean, columns=["submitted_at"])["submitted_at"]).dropna()
        if len(when):
            lo, hi = when.min(), when.max()
            collected = ((lo.year, lo.month, lo.day), (hi.year, hi.month, hi.day))
    if year is None and collected is not None:
        round_year: int | None = collected[1][0]
    else:
        round_year = int(year.group(1)) if year else None
    raw = _recorded_raw_paths(outputs, names)
    return Provenance(round_year=round_year, instrument=version, sources=names, collected=collected,
                      synthetic=bool(raw) and all(_is_sample(p) for p in raw), run_date=run_date())


@dataclass(frozen=True)
class Page:
    """What the page template needs besides the notebook: language, names, links, provenance.

    ``root`` is the relative path from the page to the site's root (``"../"`` from
    ``provinces/``); ``alternate`` the relative link to the same page in the other language.
    """

    lang: str
    name: str | None = None
    root: str = ""
    alternate: str | None = None
    bilingual: bool = False
    provenance: Provenance = Provenance()

    def context(self) -> dict[str, Any]:
        """The page as plain values for the template (``resources.page``)."""
        return dataclasses.asdict(self)


def province_page(province: str, lang: str, prov: Provenance | None = None) -> Page:
    """The page of one province in one language (``provinces/TH-50.th.html`` and its twin)."""
    from analysis.instrument.reference import load_provinces

    names = load_provinces().set_index("iso_code")
    if province in names.index:
        row = names.loc[province]
        name = f"จังหวัด{row['name_th']}" if lang == "th" else str(row["name_en"])
    else:
        name = province
    other = "en" if lang == "th" else "th"
    return Page(lang=lang, name=name, root="../", alternate=f"{province}.{other}.html",
                provenance=prov or Provenance())


def overview_page(prov: Provenance | None = None) -> Page:
    """The national overview (``index.html``), which says everything in Thai and English."""
    return Page(lang="th", bilingual=True, provenance=prov or Provenance())


_local = threading.local()


def _exporter() -> Any:
    """One HTML exporter per thread: building it compiles the Jinja templates (~0.2 s), so it is
    built once; one per thread because each conversion registers filters on it (a Dask worker may
    run several tasks in threads). The template is the site's own (``report/page_template``)."""
    if not hasattr(_local, "exporter"):
        from nbconvert import HTMLExporter

        _local.exporter = HTMLExporter(template_name=TEMPLATE_DIR.name,
                                       extra_template_basedirs=[str(TEMPLATE_DIR.parent)],
                                       exclude_input=True, exclude_input_prompt=True,
                                       exclude_output_prompt=True, exclude_anchor_links=True)
    return _local.exporter


def to_html(nb: Any, page: Page) -> str:
    """An executed notebook as a page of the site: no code, prompts, scripts from elsewhere or
    inlined styles; a header with the way back to the overview, the other language and the
    provenance; ``<html lang>`` and ``<title>`` of the page.

    Cell ids are renumbered first: papermill gives its injected-parameters cell a random id, and
    a page must not carry it if the template ever writes ids (same inputs, same bytes).
    """
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": page.name or "DGR"},
                                                            "page": page.context()})
    return body


def page_files() -> list[Path]:
    """The files that shape every page besides its notebook: the template and the stylesheet."""
    return sorted(p for d in (TEMPLATE_DIR, STATIC_DIR) for p in d.rglob("*") if p.is_file())


def _font_face(weight: int, text: str) -> str:
    """An ``@font-face`` rule with Sarabun of one weight subset to ``text``, as a data URI.

    WOFF2 when ``brotli`` is installed, else WOFF (zlib). The font sits inside site.css rather
    than beside it: a browser reads a stylesheet from any folder of a file:// site, but Firefox
    refuses a font file outside the page's own folder (provinces/ -> ../assets/).
    """
    import base64
    import importlib.util
    import io

    import fontpkg_sarabun
    from fontTools import subset

    flavor = "woff2" if importlib.util.find_spec("brotli") else "woff"
    opts = subset.Options()
    opts.flavor = flavor
    font = subset.load_font(str(Path(fontpkg_sarabun.ROOT) / "files" / FONT_WEIGHTS[weight]), opts)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, opts)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"@font-face {{ font-family: \"Sarabun\"; font-style: normal; font-weight: {weight}; font-display: swap; "
            f"src: url(data:font/{flavor};base64,{data}) format(\"{flavor}\"); }}\n")


def site_characters(site: Path) -> str:
    """Every character the site's pages use, with :data:`BASE_CHARS`, sorted."""
    chars = set(BASE_CHARS)
    for page in sorted(site.rglob("*.html")):
        chars.update(page.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if c.isprintable()))


def write_site_assets(site: Path | None = None) -> Path:
    """Write ``<site>/assets/site.css``: the shared stylesheet, with Sarabun (regular and bold)
    subset to the characters of the site's pages. Same pages, same bytes."""
    site = site or outputs_dir() / "site"
    text = site_characters(site)
    css = "".join(_font_face(w, text) for w in FONT_WEIGHTS) + (STATIC_DIR / "site.css").read_text(encoding="utf-8")
    return write_text(css, site / "assets" / "site.css")


class _NothingWritten(Exception):
    """Papermill failed before writing the output notebook (so there is no partial record to keep)."""


def run_task(task: Task, engine: str = "warm") -> dict[str, Any]:
    """Execute one write-up with the papermill ``engine`` (a key of ``engine.ENGINES``) and publish its
    page; never raises (the result says what happened, with what the warm kernels did)."""
    import papermill as pm

    t0 = time.perf_counter()
    params = {"province": task.province, "lang": task.lang, "outputs": task.outputs}
    error, attempts = None, 0
    Path(task.ipynb).parent.mkdir(parents=True, exist_ok=True)
    while attempts < RETRIES:
        attempts += 1
        error, kept = None, True
        try:
            with atomic_path(task.ipynb) as tmp:
                try:
                    # the warm engine writes a crashed notebook itself, so papermill's save after
                    # every cell is only needed with papermill's own engine
                    warm = {"partial_output_path": str(tmp)} if engine == "warm" else {}
                    folder = str(Path(task.notebook).parent)  # the kernel's, also when tasks run in threads
                    nb = pm.execute_notebook(task.notebook, str(tmp), parameters=params, kernel_name="python3",
                                             engine_name=ENGINES[engine], cwd=folder,
                                             resources={"metadata": {"path": folder}},
                                             progress_bar=False, log_output=False, shutdown_kernel="immediate",
                                             request_save_on_cell_execute=engine == "cold", extra_arguments=KERNEL_ARGS,
                                             start_timeout=START_TIMEOUT, **warm)
                except Exception as e:  # noqa: BLE001 - every failure is reported in the manifest
                    error = f"{type(e).__name__}: {e}"
                    if tmp.stat().st_size == 0:  # papermill stopped before writing anything: keep no file
                        raise _NothingWritten from e
                # otherwise the executed notebook is kept either way: on failure it records where it stopped
        except _NothingWritten:
            kept = False
            Path(task.ipynb).unlink(missing_ok=True)  # an earlier attempt's or run's notebook is not this run's record
        if error is not None and any(s in error for s in KERNEL_START_ERRORS) and attempts < RETRIES:
            time.sleep(0.5 * attempts)
            continue
        break
    if error is None:
        write_text(to_html(nb, province_page(task.province, task.lang, task.provenance)), task.html)
    return {"key": task.key, "province": task.province, "lang": task.lang,
            "status": "ok" if error is None else "failed", "error": error, "attempts": attempts,
            "duration_s": round(time.perf_counter() - t0, 3), "fingerprint": task.fingerprint,
            "notebook": task.ipynb if kept else None, "html": task.html if error is None else None,
            "engine": engine, "kernels": kernel_log(clear=True)}


def manifest_path(outputs: Path | None = None) -> Path:
    """Where the run manifest lives."""
    return (outputs or outputs_dir()) / "notebooks" / "provinces" / "manifest.json"


def load_manifest(outputs: Path | None = None) -> dict[str, Any]:
    """The previous run's manifest (empty if none)."""
    p = manifest_path(outputs)
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {"tasks": {}}


def up_to_date(task: Task, previous: dict[str, Any]) -> bool:
    """True when the task ran successfully with the same fingerprint and its page still exists."""
    prev = previous.get("tasks", {}).get(task.key)
    return bool(prev and prev["status"] == "ok" and prev["fingerprint"] == task.fingerprint
                and Path(task.html).exists())


def run_batch(tasks: list[Task], executor: Executor | None = None, workers: int | None = None,
              force: bool = False, progress: bool = True, outputs: Path | None = None,
              engine: str = "warm") -> dict[str, Any]:
    """Run the tasks that are not up to date with the papermill ``engine`` (``warm`` or ``cold``,
    see ``engine.ENGINES``); return (and write) the run manifest."""
    from tqdm.auto import tqdm

    previous = load_manifest(outputs)
    manifest: dict[str, Any] = {"tasks": dict(previous.get("tasks", {})), "engine": engine,
                                "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    todo = [t for t in tasks if force or not up_to_date(t, previous)]
    for t in tasks:
        if t not in todo:
            manifest["tasks"][t.key] = {**previous["tasks"][t.key], "skipped": True}
    own = executor is None
    executor = executor or ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    failed = done = 0
    t0 = time.perf_counter()
    try:
        futures: dict[Future, Task] = {executor.submit(run_task, t, engine): t for t in todo}
        bar = tqdm(total=len(todo), desc="provinces", unit="page", disable=not progress)
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                res = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker crash is this task's failure, not the batch's
                res = {"key": task.key, "province": task.province, "lang": task.lang, "status": "failed",
                       "error": f"{type(e).__name__}: {e}", "fingerprint": task.fingerprint, "duration_s": None}
            res["skipped"] = False
            failed += res["status"] != "ok"
            done += res["status"] == "ok"
            manifest["tasks"][task.key] = res
            write_json(manifest, manifest_path(outputs))  # after every task, so an interruption resumes
            bar.update(1)
            bar.set_postfix(done=done, failed=failed)
        bar.close()
    finally:
        if own:
            executor.shutdown()
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    manifest["wall_s"] = round(time.perf_counter() - t0, 3)
    manifest["summary"] = {"tasks": len(tasks), "ran": len(todo), "skipped": len(tasks) - len(todo),
                           "failed": failed}
    write_json(manifest, manifest_path(outputs))
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line of the batch runner."""
    from analysis.instrument.reference import load_provinces

    ap = argparse.ArgumentParser(prog="python -m analysis batch", description=__doc__.split("\n\n")[0])
    ap.add_argument("--provinces", default="all", help="comma-separated ISO codes (default: all 76)")
    ap.add_argument("--lang", default="th,en", help="comma-separated languages: th, en (default both)")
    ap.add_argument("--workers", type=int, default=None, help="parallel kernels (default: number of cores)")
    ap.add_argument("--force", action="store_true", help="run everything, even what is up to date")
    ap.add_argument("--scheduler", default=None, help="address of a Dask distributed scheduler to submit to")
    ap.add_argument("--outputs", default=None, help="outputs folder (default outputs/)")
    ap.add_argument("--engine", choices=sorted(ENGINES), default="warm",
                    help="warm: reuse one reset kernel per worker (default); cold: a new kernel per page")
    args = ap.parse_args(argv)
    outputs = Path(args.outputs) if args.outputs else outputs_dir()
    surveyed = load_provinces(in_survey_only=True)["iso_code"].tolist()
    provinces = surveyed if args.provinces == "all" else [p.strip() for p in args.provinces.split(",") if p.strip()]
    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    tasks = plan(provinces, langs, outputs)
    executor = None
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
        executor = client.get_executor(pure=False)
    try:
        m = run_batch(tasks, executor=executor, workers=args.workers, force=args.force, outputs=outputs,
                      engine=args.engine)
    finally:
        if client is not None:
            client.close()
    if any(r["status"] == "ok" for r in m["tasks"].values()):
        from analysis.pipeline.sitepages import write_glossary  # it uses this module's page export

        write_glossary(outputs / "site", tasks[0].provenance if tasks else provenance(outputs))
        write_site_assets(outputs / "site")  # after every page: the font is cut to their characters
    s = m["summary"]
    print(f"{s['tasks']} pages: {s['ran']} ran, {s['skipped']} up to date, {s['failed']} failed "
          f"({m['wall_s']:.1f} s); manifest {manifest_path(outputs)}")
    for key, r in sorted(m["tasks"].items()):
        if r["status"] != "ok":
            print(f"  FAILED {key}: {(r.get('error') or '')[:300]}")
    return 1 if s["failed"] else 0

