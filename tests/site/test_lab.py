"""Opening the committed notebooks in JupyterLab changes no file.

JupyterLab (with jupytext pairing) rewrites a notebook whose metadata it corrects on opening, for
example a kernelspec that is not the installed kernel's, and autosaves it and its ``.py`` twin. This
test opens a copy of every notebook in a real JupyterLab in headless Chromium, lets each kernel
start, waits past an autosave (interval shortened from 120 s to 2 s through Lab's settings), and
checks the files byte for byte.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_site import _browser

from analysis.core.paths import project_root

AUTOSAVE_S = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_lab(root: Path, port: int, token: str) -> subprocess.Popen:
    settings = root / ".lab" / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosaveInterval": AUTOSAVE_S}))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={root / '.lab' / 'settings'}",
           f"--LabApp.workspaces_dir={root / '.lab' / 'workspaces'}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("JupyterLab did not start within 60 s")


def _wait_for_idle_kernel(port: int, token: str, notebook: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sessions?token={token}", timeout=5) as r:
            sessions = json.load(r)
        if any(s["path"].endswith(notebook) and s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    pytest.fail(f"the kernel of {notebook} did not become idle within {timeout:.0f} s")


def test_opening_notebooks_in_jupyterlab_rewrites_nothing(tmp_path: Path) -> None:
    exe, sync_playwright = _browser()
    root = tmp_path / "project"
    shutil.copytree(project_root() / "notebooks", root / "notebooks")
    files = sorted(p for p in (root / "notebooks").iterdir() if p.suffix in (".ipynb", ".py"))
    before = {p.name: p.read_bytes() for p in files}
    port, token = _free_port(), "dgr-test"
    lab = _start_lab(root, port, token)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            page = browser.new_page()
            for nb in sorted(p.name for p in files if p.suffix == ".ipynb"):
                page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/{nb}?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=60_000)
                _wait_for_idle_kernel(port, token, nb)  # it has started and reported its language
                page.wait_for_timeout(AUTOSAVE_S * 1000 * 3)
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    changed = [p.name for p in files if p.read_bytes() != before[p.name]]
    assert not changed, f"JupyterLab rewrote {changed}; run 'make golden' (kernelspec and twin header)"
