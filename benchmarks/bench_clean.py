"""Speed of cleaning: ``clean_responses`` at 1x, 10x and 100x the sample, and ``run_cleaning`` end to end.

The machine is shared and noisy, so every figure is also printed as a ratio against a baseline
measured in the same run: a plain ``pandas.read_csv`` of the same export plus a per-column
``.str.strip()`` over all columns. Ratios are comparable across runs; raw seconds are not.

Checks (exit 1 with a message when one fails):

* ``run_cleaning`` on the sample (read + clean + write) takes under 5 s (best of 3);
* cleaning grows no more than linearly: ``(time_100x / time_1x) / 100`` is at most 1.5
  (about 1.0 is linear; up to ~1.2 is within noise);
* the 100x clean finishes within ``--limit`` seconds (it runs in a child process that is
  stopped at the limit, so a regression cannot hang ``make bench``).

Usage: ``python benchmarks/bench_clean.py [--limit SECONDS] [--profile]``. ``--profile`` also
runs cProfile once on the 10x clean and prints the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import io
import multiprocessing as mp
import pstats
import queue
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.cleaning.clean import clean_responses, run_cleaning
from analysis.cleaning.reading import read_exports
from analysis.instrument.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "survey_export.csv"
SCALES = (1, 10, 100)
REPEATS = {1: 3, 10: 3, 100: 1}
E2E_TARGET_S = 5.0
MAX_SCALING = 1.5
DEFAULT_LIMIT_S = 300.0


def tile_export(src: Path, dst: Path, times: int) -> int:
    """Write ``times`` copies of ``src``'s rows to ``dst``, each copy's ids suffixed ``-rNNN``.

    Tiling keeps the value distributions realistic (the same typos, Thai digits, B.E. dates,
    blanks and out-of-range answers in the same proportions), while the de-duplication step sees
    100 submissions per (province, agency) at 100x instead of about one. Ids repeated within
    the sample stay repeated within each copy, so the duplicate-id rule still fires. The file
    is written as UTF-8 with BOM, like the sample. Returns the number of data rows written.
    """
    text = src.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    sid = [h.strip() for h in header].index("submission_id")
    with dst.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k in range(times):
            for r in body:
                r2 = list(r)
                r2[sid] = f"{r[sid]}-r{k:03d}"
                w.writerow(r2)
    return len(body) * times


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` timed calls (``time.perf_counter``), in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def baseline(path: Path) -> None:
    """The in-run yardstick: read every cell as text and strip every column."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in df.columns:
        df[c] = df[c].str.strip()


def _clean_child(path: str, repeats: int, out: mp.Queue) -> None:
    """Child process: warm up on the sample, then time ``clean_responses`` on ``path``."""
    try:
        cb = load_codebook()
        clean_responses(read_exports([SAMPLE], cb)[0], cb)  # warm caches (rules, reference tables)
        raw, _ = read_exports([path], cb)
        out.put(("ok", best_of(lambda: clean_responses(raw, cb), repeats), len(raw)))
    except BaseException as e:  # report, do not hang the parent
        out.put(("error", f"{type(e).__name__}: {e}", 0))


def time_clean_limited(path: Path, repeats: int, limit_s: float) -> tuple[float | None, str]:
    """Time the clean of ``path`` in a child process stopped after ``limit_s`` seconds."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_clean_child, args=(str(path), repeats, q), daemon=True)
    p.start()
    deadline = time.monotonic() + limit_s + 30  # + start-up, imports and the warm-up run
    result = None
    while result is None and time.monotonic() < deadline:
        try:
            result = q.get(timeout=1.0)
        except queue.Empty:
            if not p.is_alive():
                break
    if result is None and not p.is_alive():
        with contextlib.suppress(queue.Empty):  # it may have put its result just before exiting
            result = q.get(timeout=1.0)
    if result is None:
        timed_out = p.is_alive()
        if timed_out:
            p.terminate()
        p.join(5)
        if timed_out:
            return None, f"stopped after {limit_s:.0f} s (not finished)"
        return None, f"child process died without a result (exit code {p.exitcode})"
    p.join(5)
    status, value, _ = result
    if status != "ok":
        return None, str(value)
    if value > limit_s:
        return value, f"took {value:.0f} s, over the {limit_s:.0f} s limit"
    return value, ""


@dataclass
class _Timings:
    """What one benchmark run measured, per scale (1x, 10x, 100x)."""

    clean_s: dict[int, float | None] = field(default_factory=dict)
    base_s: dict[int, float] = field(default_factory=dict)
    rows: dict[int, int] = field(default_factory=dict)
    floor_s: dict[int, float] = field(default_factory=dict)  # a clean stopped at the limit took at least this long
    problems: list[str] = field(default_factory=list)


def _measure_scale(k: int, path: Path, raw1, cb, limit: float, m: _Timings) -> None:
    """Time the baseline and the clean at one scale (the 100x clean in a child process with a limit)."""
    m.base_s[k] = best_of(lambda p=path: baseline(p), 3)
    if k == 100:
        print(f"  cleaning 100x in a child process (limit {limit:.0f} s) ...", flush=True)
        t, msg = time_clean_limited(path, REPEATS[k], limit)
        m.rows[k] = len(raw1) * k
        m.clean_s[k] = t
        if t is None and msg.startswith("stopped"):
            m.floor_s[k] = limit
        if msg:
            m.problems.append(f"100x clean: {msg}")
    else:
        raw = raw1 if k == 1 else read_exports([path], cb)[0]
        m.rows[k] = len(raw)
        m.clean_s[k] = best_of(lambda r=raw: clean_responses(r, cb), REPEATS[k])
    shown = "-" if m.clean_s[k] is None else f"{m.clean_s[k]:.2f} s"
    print(f"  {k:>3}x: clean {shown}, baseline {m.base_s[k]:.3f} s", flush=True)


def _print_table(m: _Timings) -> None:
    print()
    print(f"{'scale':>5} {'rows':>9} {'clean s':>9} {'us/row':>8} {'base s':>8} {'clean/base':>10}")
    for k in SCALES:
        t, rows, base = m.clean_s[k], m.rows[k], m.base_s[k]
        if t is None and k in m.floor_s:
            f = m.floor_s[k]
            print(f"{k:>4}x {rows:>9,} {'>' + format(f, '.0f'):>9} {'>' + format(f / rows * 1e6, '.0f'):>8} "
                  f"{base:>8.3f} {'>' + format(f / base, '.0f'):>10}")
        elif t is None:
            print(f"{k:>4}x {rows:>9,} {'-':>9} {'-':>8} {base:>8.3f} {'-':>10}")
        else:
            print(f"{k:>4}x {rows:>9,} {t:>9.3f} {t / rows * 1e6:>8.1f} {base:>8.3f} {t / base:>10.1f}")
    print()


def _print_scaling(m: _Timings) -> dict[int, float]:
    scaling = {}
    one = m.clean_s[1]
    for k in SCALES[1:]:
        t = m.clean_s[k]
        if t is not None and one:
            scaling[k] = (t / one) / k
            print(f"scaling (time_{k}x / time_1x) / {k} = {scaling[k]:.2f}  "
                  f"(1.0 = linear; check <= {MAX_SCALING} at 100x)")
        elif k in m.floor_s and one:
            print(f"scaling (time_{k}x / time_1x) / {k} >= {m.floor_s[k] / one / k:.2f}  "
                  f"(lower bound: the {k}x clean was stopped at {m.floor_s[k]:.0f} s)")
    return scaling


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=DEFAULT_LIMIT_S,
                    help=f"stop the 100x clean after this many seconds (default {DEFAULT_LIMIT_S:.0f})")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile the 10x clean once and print the top 10 by cumulative time")
    args = ap.parse_args(argv)

    cb = load_codebook()
    raw1, _ = read_exports([SAMPLE], cb)
    clean_responses(raw1, cb)  # warm-up: rules, reference tables and imports are cached after this
    baseline(SAMPLE)
    print(f"bench_clean: sample {SAMPLE.relative_to(ROOT)} ({len(raw1):,} rows); best of "
          f"{REPEATS[1]} at 1x/10x, {REPEATS[100]} at 100x; baseline = pandas.read_csv + .str.strip() "
          f"on every column", flush=True)

    m = _Timings()
    prof = None
    with tempfile.TemporaryDirectory(prefix="bench_clean.") as tmp:
        tmpdir = Path(tmp)
        paths = {1: SAMPLE}
        for k in SCALES[1:]:
            paths[k] = tmpdir / f"survey_export_x{k}.csv"
            tile_export(SAMPLE, paths[k], k)
        for k in SCALES:
            _measure_scale(k, paths[k], raw1, cb, args.limit, m)
        e2e_base = best_of(lambda: baseline(SAMPLE), 3)
        e2e = best_of(lambda: run_cleaning([SAMPLE], tmpdir / "out"), 3)
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(clean_responses, read_exports([paths[10]], cb)[0], cb)

    _print_table(m)
    scaling = _print_scaling(m)
    print(f"run_cleaning end to end on the sample (read + clean + write): {e2e:.2f} s "
          f"(target < {E2E_TARGET_S:.0f} s; {e2e / e2e_base:.1f}x baseline)")
    if prof is not None:
        print("\ncProfile of clean_responses at 10x, top 10 by cumulative time:")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(10)

    if e2e > E2E_TARGET_S:
        m.problems.append(f"run_cleaning on the sample took {e2e:.2f} s, over the {E2E_TARGET_S:.0f} s target")
    if 100 in scaling and scaling[100] > MAX_SCALING:
        m.problems.append(f"cleaning grows faster than linearly: scaling ratio {scaling[100]:.2f} > {MAX_SCALING}")
    for problem in m.problems:
        print(f"FAIL: {problem}")
    if not m.problems:
        print("OK")
    return 1 if m.problems else 0

if __name__ == "__main__":
    sys.exit(main())
