"""The province batch: pages in both languages, failures isolated, resume, manifest, Dask, safety."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline import batch
from analysis.synthetic.sample import TEST_NAMES


@pytest.fixture(scope="module")
def two_pages(outputs) -> dict:
    tasks = batch.plan(["TH-50"], ["th", "en"], outputs)
    return {t.lang: batch.run_task(t) for t in tasks}


def test_province_page_in_each_language(two_pages) -> None:
    th, en = two_pages["th"], two_pages["en"]
    assert th["status"] == en["status"] == "ok", (th["error"], en["error"])
    th_html = Path(th["html"]).read_text(encoding="utf-8")
    en_html = Path(en["html"]).read_text(encoding="utf-8")
    assert "จังหวัดเชียงใหม่" in th_html and "ดัชนีความพร้อมรัฐบาลดิจิทัล" in th_html
    assert "Chiang Mai" in en_html and "readiness index" in en_html
    for page in (th_html, en_html):
        assert "from analysis" not in page, "code must not show on the page"
        assert "<img" not in page, "charts are HTML: text a screen reader can read, nothing to render per page"
        chart = page[page.index('<table class="dgr-pillars"'):]
        chart = chart[:chart.index("</table>")]
        assert chart.count('<th scope="row"') == 6, "one row per pillar"
        assert len(re.findall(r"\d+\.\d \(\d+\.\d–\d+\.\d\)", chart)) == 6, "each pillar's value with its interval"
        table = page[page.index('<table class="dgr-heatmap"'):]
        table = table[:table.index("</table>")]
        assert table.count('<th scope="row"') == 19, "the heatmap lists all 19 agencies"
        assert table.count("<td") == 19 * 6, "one cell per agency and pillar"
        assert "../index.html" in page
        assert 'href="../assets/site.css"' in page, "the shared stylesheet, with the Sarabun subset for Thai"
        assert "font/" not in page and "<script" not in page, "no font or script inlined in the page"
    assert Path(th["notebook"]).exists()


def test_few_responding_agencies(outputs, tmp_path) -> None:
    few = tmp_path / "outputs"
    shutil.copytree(outputs, few)
    agencies = pd.read_parquet(few / "index" / "agency_scores.parquet")
    keep = agencies[agencies["province"] == "TH-58"].head(5).index
    agencies = agencies[(agencies["province"] != "TH-58") | agencies.index.isin(keep)]
    agencies.to_parquet(few / "index" / "agency_scores.parquet")
    prov = pd.read_parquet(few / "index" / "province_scores.parquet")
    prov.loc[prov["province"] == "TH-58", "n_agencies"] = 5
    prov.to_parquet(few / "index" / "province_scores.parquet")
    (task,) = batch.plan(["TH-58"], ["en"], few)
    res = batch.run_task(task)
    assert res["status"] == "ok", res["error"]
    page = Path(res["html"]).read_text(encoding="utf-8")
    assert "5 of the 19 agencies" in page
    assert "read with care" in page
    assert page.count("no response</td>") == 14 * 6, "the heatmap marks the 14 silent agencies"


def test_failure_is_isolated_and_resume_skips(outputs) -> None:
    tasks = batch.plan(["TH-57", "TH-99"], ["en"], outputs)
    m = batch.run_batch(tasks, workers=2, progress=False, outputs=outputs)
    res = m["tasks"]
    assert res["TH-57.en"]["status"] == "ok"
    assert res["TH-99.en"]["status"] == "failed"
    assert "not one of the 76 surveyed provinces" in res["TH-99.en"]["error"]
    assert Path(res["TH-99.en"]["notebook"]).exists(), "the partly executed notebook is kept"
    assert m["summary"] == {"tasks": 2, "ran": 2, "skipped": 0, "failed": 1}
    on_disk = json.loads(batch.manifest_path(outputs).read_text(encoding="utf-8"))
    for key in ("status", "duration_s", "error", "fingerprint"):
        assert key in on_disk["tasks"]["TH-57.en"]
    # a re-run skips what is up to date and retries what failed
    again = batch.run_batch(tasks, workers=1, progress=False, outputs=outputs)
    assert again["summary"]["skipped"] == 1 and again["summary"]["ran"] == 1
    assert again["tasks"]["TH-57.en"]["skipped"] is True
    # an input change invalidates every fingerprint
    (outputs / "index" / "extra.parquet").write_bytes(b"x")
    try:
        changed = batch.plan(["TH-57"], ["en"], outputs)
        assert changed[0].fingerprint != tasks[0].fingerprint
    finally:
        (outputs / "index" / "extra.parquet").unlink()


def test_interrupted_run_resumes(outputs) -> None:
    tasks = batch.plan(["TH-80", "TH-81"], ["en"], outputs)
    batch.run_batch(tasks[:1], workers=1, progress=False, outputs=outputs)  # "interrupted" after one
    m = batch.run_batch(tasks, workers=1, progress=False, outputs=outputs)
    assert m["summary"]["skipped"] == 1 and m["summary"]["ran"] == 1
    forced = batch.run_batch(tasks[:1], workers=1, force=True, progress=False, outputs=outputs)
    assert forced["summary"]["ran"] == 1


@pytest.mark.parametrize("engine", ["warm", "cold"])
def test_dask_local_cluster_executor(outputs, engine) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        tasks = batch.plan(["TH-90", "TH-91"], ["th"], outputs)
        m = batch.run_batch(tasks, executor=client.get_executor(pure=False), force=True, progress=False,
                            outputs=outputs, engine=engine)
    for key in ("TH-90.th", "TH-91.th"):
        assert m["tasks"][key]["status"] == "ok", m["tasks"][key]["error"]
        assert m["tasks"][key]["engine"] == engine
    started = [e for key in ("TH-90.th", "TH-91.th") for e in m["tasks"][key]["kernels"] if e["event"] == "started"]
    assert len(started) == (1 if engine == "warm" else 0), "one warm kernel for the worker's two threads"


def test_pages_hold_no_personal_data_or_raw_comments(two_pages, outputs, export) -> None:
    raw = export.raw
    real = ~raw["respondent_name"].isin(TEST_NAMES)
    needles = set(raw.loc[real, "respondent_name"]) | set(raw["respondent_email"]) | set(raw["respondent_phone"])
    comments = {c for c in raw["comments"] if re.search(r"[<>&]", c)}
    pages = [p for p in (outputs / "site").rglob("*.html")]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for n in needles:
            assert n not in text, f"{page.name}: personal data {n!r}"
        for c in comments:
            assert c not in text, f"{page.name}: unescaped comment {c!r}"


def _fake_papermill(monkeypatch, outcomes: list[str]) -> list[str]:
    """Replace papermill's execution by scripted outcomes: 'ok', 'start' (kernel start failure
    after the notebook was written), 'early' (failure before anything was written), 'cell' (a
    cell error, notebook written)."""
    import nbformat
    import papermill

    calls: list[str] = []

    def execute_notebook(src, out, **kwargs):
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("ok")])
        if outcome != "early":
            nbformat.write(nb, out)
        if outcome == "start":
            raise RuntimeError("Kernel died before replying to kernel_info")
        if outcome in ("early", "cell"):
            raise ValueError("bad parameter")
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    monkeypatch.setattr(batch.time, "sleep", lambda s: None)
    return calls


def test_kernel_start_failures_are_retried(outputs, monkeypatch) -> None:
    calls = _fake_papermill(monkeypatch, ["start", "start", "ok"])
    (task,) = batch.plan(["TH-52"], ["en"], outputs)
    res = batch.run_task(task)
    assert calls == ["start", "start", "ok"]
    assert res["status"] == "ok" and res["attempts"] == 3 and Path(res["html"]).exists()


def test_failure_before_writing_leaves_no_stale_notebook(outputs, monkeypatch) -> None:
    (task,) = batch.plan(["TH-53"], ["en"], outputs)
    Path(task.ipynb).parent.mkdir(parents=True, exist_ok=True)
    Path(task.ipynb).write_text("{}", encoding="utf-8")  # a previous run's notebook
    calls = _fake_papermill(monkeypatch, ["start", "early"])
    res = batch.run_task(task)
    assert calls == ["start", "early"], "a kernel start failure is retried; a parameter error is not"
    assert res["status"] == "failed" and "bad parameter" in res["error"]
    assert res["notebook"] is None and not Path(task.ipynb).exists()
    assert res["html"] is None


def test_cell_error_keeps_the_notebook(outputs, monkeypatch) -> None:
    calls = _fake_papermill(monkeypatch, ["cell"])
    (task,) = batch.plan(["TH-54"], ["en"], outputs)
    res = batch.run_task(task)
    assert calls == ["cell"] and res["status"] == "failed" and res["attempts"] == 1
    assert res["notebook"] == task.ipynb and Path(task.ipynb).exists()


def test_same_inputs_give_the_same_page_bytes(outputs, tmp_path) -> None:
    """papermill's injected cell gets a random id; the published page must not carry it."""
    pages = []
    for run in ("a", "b"):
        (task,) = batch.plan(["TH-50"], ["en"], outputs)
        task = batch.Task(**{**task.__dict__, "html": str(tmp_path / run / "TH-50.en.html"),
                             "ipynb": str(tmp_path / run / "TH-50.en.ipynb")})
        res = batch.run_task(task)
        assert res["status"] == "ok", res["error"]
        pages.append(Path(res["html"]).read_bytes())
    assert pages[0] == pages[1]


def test_pages_depend_only_on_the_code_they_run() -> None:
    """An edit to the sample's generator (or the statistics) leaves the 152 pages up to date."""
    from analysis.core.paths import project_root

    files = {p.relative_to(project_root() / "src" / "analysis").as_posix()
             for p in batch.page_code(project_root() / "notebooks" / "10_province_report.ipynb")}
    assert {"report/province.py", "report/text.py", "report/html_charts.py", "core/paths.py"} <= files
    assert "synthetic/sample.py" not in files and "stats/structure.py" not in files
    assert "pipeline/batch.py" not in files
