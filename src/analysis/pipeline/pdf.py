"""The site's pages as A4 PDFs, for e-mailing to the provincial halls.

``python -m analysis pdf [--outputs DIR] [--provinces TH-50,TH-57] [--lang th,en] [--no-overview]``

Each province page (``outputs/site/provinces/<code>.<lang>.html``) and the national overview
(``outputs/site/index.html``) is opened in headless Chromium (Debian's ``chromium``, driven by
Playwright, as the site tests do) and printed with the site's print stylesheet (``@media print``
in ``report/static/site.css``: A4, a compact header with round, dates and source, no navigation)
to ``outputs/site/pdf/<code>.<lang>.pdf`` and ``outputs/site/pdf/index.pdf``. Every file is written
to a temporary name beside its target and renamed into place, so an interrupted run never leaves a
half-written PDF. Without Chromium or Playwright the command says what to install and exits with 1.
Build the pages first (``make report`` or ``python -m analysis batch``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analysis.core.paths import outputs_dir
from analysis.core.safeio import atomic_path

#: Chromium's switches for a headless run in a container (the site tests use the same).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LANGS = ("th", "en")
INSTALL_HINT = ("Printing PDFs needs Chromium and Playwright: install them with "
                "'apt-get install chromium' (Debian/Ubuntu) and '.venv/bin/pip install playwright', then run again.")


def find_chromium() -> str | None:
    """Path of the Chromium executable on ``PATH`` (``chromium`` or ``chromium-browser``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_requirement() -> str | None:
    """A message naming what is missing to print PDFs (Chromium, Playwright), or None when all is there."""
    missing = []
    if find_chromium() is None:
        missing.append("no Chromium on PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright is not installed")
    return f"Cannot print PDFs: {' and '.join(missing)}. {INSTALL_HINT}" if missing else None


def count_pdf_pages(data: bytes) -> int:
    """Number of pages of a PDF, counted from its ``/Type /Page`` objects (not ``/Pages``).

    Enough for Chromium's PDFs, whose page objects are not inside compressed object streams.
    """
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def pages_to_print(site: Path, provinces: Iterable[str], langs: Iterable[str],
                   overview: bool = True) -> list[tuple[Path, str]]:
    """The ``(html page, pdf file name)`` pairs to print; raises ``FileNotFoundError`` for a missing page."""
    out = [(site / "provinces" / f"{code}.{lang}.html", f"{code}.{lang}.pdf") for code in provinces for lang in langs]
    if overview:
        out.append((site / "index.html", "index.pdf"))
    missing = [str(p) for p, _ in out if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} page(s) missing, e.g. {missing[0]}: build the site first "
                                "('make report' or 'python -m analysis batch')")
    return out


def print_page(page: Any, html: Path, pdf: Path) -> int:
    """Print one HTML page with a Playwright ``page`` to ``pdf`` (A4, the page's own print
    stylesheet, backgrounds kept for the heatmap's shades) atomically; return its page count."""
    page.goto(html.resolve().as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    with atomic_path(pdf) as tmp:
        data = page.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=True)
    return count_pdf_pages(data)


def print_pages(pairs: list[tuple[Path, str]], out_dir: Path, chromium: str | None = None) -> dict[str, int]:
    """Print every ``(html page, pdf name)`` pair into ``out_dir``; return the page count of each PDF."""
    from playwright.sync_api import sync_playwright

    exe = chromium or find_chromium()
    counts: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for html, name in pairs:
                counts[name] = print_page(page, html, out_dir / name)
        finally:
            browser.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line: print the chosen pages to ``outputs/site/pdf/``."""
    from analysis.instrument.reference import load_provinces

    ap = argparse.ArgumentParser(prog="python -m analysis pdf", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--outputs", default=None, help="outputs folder (default outputs/)")
    ap.add_argument("--provinces", default="all", help="comma-separated ISO codes (default: all 76)")
    ap.add_argument("--lang", default="th,en", help="comma-separated languages: th, en (default both)")
    ap.add_argument("--no-overview", action="store_true", help="print the province pages only")
    args = ap.parse_args(argv)
    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    if not langs or set(langs) - set(LANGS):
        ap.error(f"--lang takes {', '.join(LANGS)}, not {args.lang!r}")
    surveyed = load_provinces(in_survey_only=True)["iso_code"].tolist()
    provinces = surveyed if args.provinces == "all" else [p.strip() for p in args.provinces.split(",") if p.strip()]
    unknown = sorted(set(provinces) - set(surveyed))
    if unknown:
        ap.error(f"not surveyed provinces: {', '.join(unknown)}")
    problem = missing_requirement()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    site = (Path(args.outputs) if args.outputs else outputs_dir()) / "site"
    try:
        pairs = pages_to_print(site, provinces, langs, overview=not args.no_overview)
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 1
    counts = print_pages(pairs, site / "pdf")
    over = {k: v for k, v in counts.items() if k != "index.pdf" and v > 2}
    print(f"{len(counts)} PDFs in {site / 'pdf'}; A4 pages per province: at most "
          f"{max((v for k, v in counts.items() if k != 'index.pdf'), default=0)}")
    for name, n in sorted(over.items()):
        print(f"  {name}: {n} pages (more than 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
