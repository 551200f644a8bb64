"""Read raw survey exports (CSV in UTF-8, UTF-8 with BOM or Windows-874/TIS-620; or XLSX).

Every cell is read as text, exactly as typed; normalising is :mod:`analysis.normalise`'s job.
A file that cannot be a survey export raises :class:`ExportError` naming the file, and the row
and column where that applies: empty, header only, another delimiter, a missing or repeated
column, a ragged row, an encoding outside the three, mixed encodings, a truncated workbook, or
no sheet holding the survey.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.codebook import Codebook

REQUIRED_META = ["submission_id", "submitted_at", "province", "agency", "respondent_name",
                 "respondent_position", "respondent_phone", "respondent_email"]
OPTIONAL = ["comments"]
# UTF-8 encodes Thai (U+0E00-U+0E7F) as E0 B8 xx or E0 B9 xx: such bytes in a file that is not
# valid UTF-8 mean part of it was saved in UTF-8 and part in another encoding.
_UTF8_THAI = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")


class ExportError(ValueError):
    """A raw export that cannot be read; the message names the file (and row/column)."""

    def __init__(self, path: str | Path, problem: str, row: int | None = None, column: str | None = None):
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.row, self.column = str(path), problem, row, column


@dataclass(frozen=True)
class ExportInfo:
    """What was found when reading a file."""

    path: str
    format: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | cp874 | xlsx
    rows: int
    sheet: str | None = None


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 with BOM, UTF-8 or Windows-874 (a superset of TIS-620)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise ExportError(path, f"starts with a UTF-8 BOM but byte {e.start} is not UTF-8 (mixed encodings?)") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if len(_UTF8_THAI.findall(data)) >= 3:
        raise ExportError(path, "mixed encodings: some rows are UTF-8 and others are not; re-export the file in one encoding")
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError as e:
        raise ExportError(path, f"not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 (byte {e.start} is 0x{data[e.start]:02x})") from None
    if "\x00" in text or not re.search("[\u0e00-\u0e7f]", text):
        raise ExportError(path, "not a text table in UTF-8, UTF-8 with BOM or Windows-874/TIS-620")
    return text, "cp874"


def _check_header(path: Path, header: list[str], codebook: Codebook) -> None:
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise ExportError(path, "column appears twice in the header", row=1, column=h)
        seen.add(h)
    required = [*REQUIRED_META, *codebook.item_ids]
    missing = [c for c in required if c not in seen]
    if missing:
        if len(header) == 1:
            for delim, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
                if delim in header[0]:
                    raise ExportError(path, f"uses the {name} as delimiter; export as comma-separated CSV", row=1)
            raise ExportError(path, "is not a survey table: the first line has a single column", row=1)
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise ExportError(path, f"required columns missing: {shown}", row=1)


def _read_csv(path: Path, data: bytes, codebook: Codebook) -> tuple[pd.DataFrame, ExportInfo]:
    text, encoding = decode(path, data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ExportError(path, "is empty (no header, no rows)")
    header = [h.strip() for h in rows[0]]
    _check_header(path, header, codebook)
    if len(rows) == 1:
        raise ExportError(path, "has a header but no rows")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise ExportError(path, f"has {len(r)} fields where the header has {len(header)} (truncated or ragged line)", row=i)
    df = pd.DataFrame(rows[1:], columns=header, dtype=object)
    return df, ExportInfo(str(path), "csv", encoding, len(df))


def _read_xlsx(path: Path, codebook: Codebook) -> tuple[pd.DataFrame, ExportInfo]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)  # formulas as their text, never evaluated
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise ExportError(path, f"is not a readable .xlsx workbook (truncated or damaged: {e})") from None
    tried = []
    try:
        for ws in wb.worksheets:
            rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
            rows = [r for r in rows if any(c.strip() for c in r)]
            if not rows or "submission_id" not in [c.strip() for c in rows[0]]:
                tried.append(ws.title)
                continue
            header = [h.strip() for h in rows[0]]
            while header and header[-1] == "":
                header.pop()
            _check_header(path, header, codebook)
            body = [r[: len(header)] + [""] * (len(header) - len(r)) for r in rows[1:]]
            if not body:
                raise ExportError(path, f"sheet '{ws.title}' has a header but no rows")
            df = pd.DataFrame(body, columns=header, dtype=object)
            return df, ExportInfo(str(path), "xlsx", "xlsx", len(df), sheet=ws.title)
    finally:
        wb.close()
    raise ExportError(path, f"no sheet holds the survey table (a header with 'submission_id'); sheets: {tried}")


def read_export(path: str | Path, codebook: Codebook) -> tuple[pd.DataFrame, ExportInfo]:
    """Read one raw export as text cells, with a ``source_file`` and ``source_row`` column.

    ``source_row`` is the line (CSV) or row (XLSX) number a person would see, header = 1.
    """
    path = Path(path)
    if not path.is_file():
        raise ExportError(path, "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(path, "is empty (no header, no rows)")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        df, info = _read_xlsx(path, codebook)
    else:
        df, info = _read_csv(path, data, codebook)
    df = df.reindex(columns=[*REQUIRED_META, *codebook.item_ids, *OPTIONAL], fill_value="")
    df.insert(0, "source_row", range(2, len(df) + 2))
    df.insert(0, "source_file", path.name)
    return df, info


def read_exports(paths: list[str | Path], codebook: Codebook) -> tuple[pd.DataFrame, list[ExportInfo]]:
    """Read and stack several exports; every file is checked before any is used."""
    frames, infos = [], []
    for p in paths:
        df, info = read_export(p, codebook)
        frames.append(df)
        infos.append(info)
    if not frames:
        raise ValueError("no raw export given (raw_paths is empty)")
    return pd.concat(frames, ignore_index=True), infos
