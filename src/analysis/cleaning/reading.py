"""Read raw survey exports as they come: any platform's layout, CSV or Excel, one or several sheets.

:mod:`analysis.cleaning.grids` turns a file into grids of text cells (every sheet of a workbook);
this module finds each grid's header row (below any title rows), maps its columns to the
questionnaire (:mod:`analysis.cleaning.columns`), and builds one table in the project's layout:
the fields, one column per item, ``comments``, and where each row came from. Every cell stays
text, exactly as typed; normalising is :mod:`analysis.cleaning.normalise`'s job.

Every row of every sheet is accounted for in :class:`ExportInfo` (header, title rows above it,
data rows, or why a sheet holds no survey table). A file that cannot be a survey export raises
:class:`~analysis.cleaning.errors.ExportError` naming the file, and the row and column where that
applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.cleaning.columns import HEADER_SEARCH_ROWS, ColumnMap, header_score, load_mapping_file, map_columns
from analysis.cleaning.errors import ExportError
from analysis.cleaning.grids import FileRead, Grid, read_grids
from analysis.cleaning.normalise import chosen_options, clean_text
from analysis.instrument.codebook import Codebook

#: The fields of the raw table, in order (items and ``comments`` follow).
META = ["submission_id", "submitted_at", "province", "agency", "respondent_name", "respondent_position",
        "respondent_phone", "respondent_email"]
OPTIONAL = ["comments"]
#: Per-option cells of a multi-select item (KoboToolbox 1/0, LimeSurvey Yes/No, ODK true/false).
_CHOSEN = {"1", "yes", "y", "true", "x", "✓", "✔", "selected", "เลือก", "ใช่"}
_NOT_CHOSEN = {"0", "no", "n", "false", "not selected", "ไม่เลือก", "ไม่ใช่"}
_NOT_ANSWERED = {"", "n/a", "na"}  # LimeSurvey writes N/A in every option column of an unanswered question


@dataclass(frozen=True)
class SheetAccount:
    """What one grid (a CSV, or one sheet) held: ``status`` is ``data`` or ``skipped`` (with ``reason``)."""

    sheet: str | None
    status: str
    reason: str = ""
    header_row: int | None = None
    title_rows: int = 0
    blank_rows: int = 0
    data_rows: int = 0


@dataclass(frozen=True)
class ExportInfo:
    """What was found when reading a file: format, platform, the column mapping, every sheet accounted."""

    path: str
    format: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | cp874 | xlsx
    rows: int
    sheet: str | None = None
    platform: str = "unknown"
    mapping: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    missing_items: tuple[str, ...] = ()
    sheets: tuple[SheetAccount, ...] = ()
    notes: tuple[str, ...] = ()


def _find_header(grid: Grid, codebook: Codebook, overrides: dict[str, str]) -> tuple[int | None, int]:
    """Index (in ``grid.rows``) of the header row, and how many non-blank rows sit above it."""
    seen = 0
    for i, r in enumerate(grid.rows):
        if not any(c.strip() for c in r):
            continue
        if seen >= HEADER_SEARCH_ROWS:
            break
        if header_score(r, codebook, overrides=overrides)[1]:
            return i, seen
        seen += 1
    return None, seen


def _trim(header: list[str], body: list[list[str]]) -> list[str]:
    """Drop trailing columns with neither a header nor any data (Excel's phantom columns)."""
    n = len(header)
    while n and not header[n - 1].strip() and not any(len(r) >= n and r[n - 1].strip() for r in body):
        n -= 1
    return header[:n]


def _check_rows(path: Path, fr: FileRead, header: list[str], body: list[list[str]], numbers: list[int]) -> None:
    if fr.format != "csv":
        return
    for r, line in zip(body, numbers, strict=True):
        extra = [c for c in r[len(header):] if c.strip()]
        if len(r) < len(header) or extra:
            raise ExportError(path, f"has {len(r)} fields where the header has {len(header)} "
                                    "(truncated or ragged line)", row=line)


def _option_answer(item_id: str, main: str | None, cells: dict[str, str], codebook: Codebook) -> str:
    """One multi-select answer from its main column and/or its per-option columns.

    The main column is read when there is one; per-option columns are checked against it, and an
    answer whose two forms disagree keeps both in its text, so that it is flagged, not guessed.
    """
    vals = {code: clean_text(v).casefold() for code, v in cells.items()}
    if all(v in _NOT_ANSWERED for v in vals.values()):
        return main or ""
    odd = [f"{c}={cells[c]}" for c, v in vals.items() if v not in _CHOSEN | _NOT_CHOSEN | _NOT_ANSWERED]
    chosen = frozenset(c for c, v in vals.items() if v in _CHOSEN)
    if main is None or not clean_text(main):
        if odd:
            return "option columns unreadable: " + " ".join(odd)
        return "|".join(sorted(chosen)) if chosen else "none of the above"
    stated = chosen_options(codebook.item(item_id), main)
    if stated is None or (stated == chosen and not odd):
        return main
    return f"{main} ≠ option columns: {' '.join(sorted(chosen)) or 'none'}"


def _frame(header: list[str], body: list[list[str]], cm: ColumnMap, codebook: Codebook) -> pd.DataFrame:
    """The grid's data rows in the project's layout (absent fields and items blank)."""
    width = len(header)
    rows = [r[:width] + [""] * (width - len(r)) for r in body]
    out: dict[str, list[str]] = {}
    for name in [*META, *codebook.item_ids, *OPTIONAL]:
        pos = cm.source_of(name)
        out[name] = [r[pos] for r in rows] if pos is not None else [""] * len(rows)
    for it in codebook.items:
        opts = cm.option_columns(it.id)
        if opts:
            main_pos = cm.source_of(it.id)
            out[it.id] = [_option_answer(it.id, r[main_pos] if main_pos is not None else None,
                                         {c: r[p] for c, p in opts.items()}, codebook) for r in rows]
    return pd.DataFrame(out, dtype=object)


def _read_grid(path: Path, fr: FileRead, grid: Grid, codebook: Codebook, overrides: dict[str, str]
               ) -> tuple[pd.DataFrame | None, SheetAccount, ColumnMap | None]:
    blank = sum(not any(c.strip() for c in r) for r in grid.rows)
    if blank == len(grid.rows):
        return None, SheetAccount(grid.sheet, "skipped", "empty", blank_rows=blank), None
    h, titles = _find_header(grid, codebook, overrides)
    if h is None:
        reason = (f"no header row with province, agency and questionnaire items in its first {HEADER_SEARCH_ROWS} "
                  "non-blank rows")
        return None, SheetAccount(grid.sheet, "skipped", reason, title_rows=titles, blank_rows=blank), None
    keep = [(r, n) for r, n in zip(grid.rows[h + 1:], grid.numbers[h + 1:], strict=True) if any(c.strip() for c in r)]
    body, numbers = [r for r, _ in keep], [n for _, n in keep]
    header = _trim(grid.rows[h], body)
    _check_duplicates(path, header, grid.numbers[h])
    cm = map_columns(header, codebook, path=path, row=grid.numbers[h], overrides=overrides)
    account = SheetAccount(grid.sheet, "data" if body else "skipped", "" if body else "a header but no rows",
                           grid.numbers[h], titles, blank, len(body))
    if not body:
        return None, account, cm
    _check_rows(path, fr, header, body, numbers)
    df = _frame(header, body, cm, codebook)
    df.insert(0, "time_zone", "UTC" if cm.utc_time else "")
    df.insert(0, "source_row", numbers)
    return df, account, cm


def _check_duplicates(path: Path, header: list[str], row: int) -> None:
    seen: set[str] = set()
    for h in header:
        key = clean_text(h)
        if key and key in seen:
            raise ExportError(path, "column appears twice in the header", row=row, column=key)
        seen.add(key)


def _no_table(path: Path, fr: FileRead, accounts: list[SheetAccount], codebook: Codebook,
              overrides: dict[str, str]) -> ExportError:
    """The error for a file in which no grid holds survey rows: the most specific one found."""
    if any(a.reason == "a header but no rows" for a in accounts):
        sheet = next(a.sheet for a in accounts if a.reason == "a header but no rows")
        return ExportError(path, f"sheet '{sheet}' has a header but no rows" if sheet else "has a header but no rows")
    if any(a.reason != "empty" for a in accounts):
        grid, row = next((g, r) for g in fr.grids for r in g.rows if any(c.strip() for c in r))
        if fr.format == "csv" and len(row) == 1:
            return ExportError(path, "is not a survey table: the first line has a single column", row=1)
        if fr.format == "csv" or len(fr.grids) == 1:
            # the first non-blank row as the header, to say what is missing from it
            map_columns(row, codebook, path=path, row=grid.numbers[grid.rows.index(row)], overrides=overrides)
        sheets = [a.sheet for a in accounts]
        return ExportError(path, f"no sheet holds the survey table (a header row with province, agency and "
                                 f"questionnaire items); sheets: {sheets}")
    return ExportError(path, "is empty (no header, no rows)")


def read_export(path: str | Path, codebook: Codebook, *, column_map: str | Path | None = None
                ) -> tuple[pd.DataFrame, ExportInfo]:
    """Read one raw export as text cells in the project's layout, whatever platform wrote it.

    Adds ``source_file`` (the file name, with the sheet when a workbook has several data sheets),
    ``source_row`` (the line or row a person sees, header = its own row) and ``time_zone`` (``UTC``
    when the platform's time column is in UTC without saying so, as KoboToolbox's
    ``_submission_time``). ``column_map`` is the mapping file (default ``params/column_map.yaml``,
    if present; :func:`analysis.cleaning.columns.load_mapping_file`).
    """
    path = Path(path)
    overrides = load_mapping_file(column_map)
    fr = read_grids(path)
    frames, accounts, maps = [], [], []
    for grid in fr.grids:
        df, account, cm = _read_grid(path, fr, grid, codebook, overrides)
        accounts.append(account)
        if df is not None and cm is not None:
            frames.append((grid.sheet, df))
            maps.append((grid.sheet, cm))
    if not frames:
        raise _no_table(path, fr, accounts, codebook, overrides)
    for sheet, df in frames:
        df.insert(0, "source_file", f"{path.name} [{sheet}]" if len(frames) > 1 else path.name)
    table = pd.concat([df for _, df in frames], ignore_index=True)
    mapping = pd.concat([cm.table.assign(sheet=sheet or "") for sheet, cm in maps], ignore_index=True)
    data_sheets = [s for s, _ in frames if s]
    info = ExportInfo(str(path), fr.format, fr.encoding, len(table), sheet=", ".join(data_sheets) or None,
                      platform=maps[0][1].platform, mapping=mapping,
                      missing_items=tuple(sorted({i for _, cm in maps for i in cm.missing_items})),
                      sheets=tuple(accounts), notes=tuple(fr.notes))
    return table, info


def read_exports(paths: list[str | Path], codebook: Codebook, *, column_map: str | Path | None = None
                 ) -> tuple[pd.DataFrame, list[ExportInfo]]:
    """Read and stack several exports (in the order given: later files count as later versions);
    every file is checked before any is used."""
    frames, infos = [], []
    for p in paths:
        df, info = read_export(p, codebook, column_map=column_map)
        frames.append(df)
        infos.append(info)
    if not frames:
        raise ValueError("no raw export given (raw_paths is empty)")
    return pd.concat(frames, ignore_index=True), infos
