"""Atomic, spreadsheet-safe writing of tables and documents.

Every writer goes to a temporary file in the target folder and renames it into place, so a
crash never leaves a half-written output. CSV and Excel writers neutralise text cells that a
spreadsheet would run as a formula (OWASP "CSV injection": cells starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return get a leading apostrophe).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def neutralise_cell(value: Any) -> Any:
    """Prefix ``'`` to a string that a spreadsheet would treat as a formula; leave others alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` whose text cells cannot start a formula."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    return out


def _write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | Path, *, bom: bool = True) -> Path:
    """Write ``df`` as CSV (UTF-8 with BOM so Excel reads Thai), formula-safe, atomically."""
    safe = neutralise_formulas(df)
    enc = "utf-8-sig" if bom else "utf-8"
    return _write(path, lambda p: safe.to_csv(p, index=False, encoding=enc, lineterminator="\n"))


def write_excel(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one or more sheets to an .xlsx file, formula-safe, atomically."""

    def writer(p: Path) -> None:
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for name, df in sheets.items():
                neutralise_formulas(df).to_excel(xw, sheet_name=name, index=False)

    return _write(path, writer)


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as Parquet atomically (values kept as they are: Parquet is not a spreadsheet)."""
    return _write(path, lambda p: df.to_parquet(p, index=False))


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    return write_text(text, path)


def write_text(text: str, path: str | Path) -> Path:
    """Write text (UTF-8) atomically."""
    def writer(p: Path) -> None:
        p.write_text(text, encoding="utf-8")

    return _write(path, writer)


def write_table(df: pd.DataFrame, stem: str | Path) -> tuple[Path, Path]:
    """Write ``df`` as both ``<stem>.parquet`` and a formula-safe ``<stem>.csv``."""
    stem = Path(stem)
    return (
        write_parquet(df, stem.with_suffix(".parquet")),
        write_csv(df, stem.with_suffix(".csv")),
    )
