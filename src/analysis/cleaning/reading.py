"""Read raw survey exports (CSV in UTF-8, UTF-8 with BOM or Windows-874/TIS-620; or XLSX).

Every cell is read as text, exactly as typed; normalising is :mod:`analysis.cleaning.normalise`'s job.
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
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from analysis.cleaning.errors import ExportError
from analysis.instrument.codebook import Codebook

REQUIRED_META = ["submission_id", "submitted_at", "province", "agency", "respondent_name",
                 "respondent_position", "respondent_phone", "respondent_email"]
OPTIONAL = ["comments"]
# UTF-8 encodes Thai (U+0E00-U+0E7F) as E0 B8 xx or E0 B9 xx: a line holding such bytes that is valid
# UTF-8, in a file where other lines are not, means the file mixes encodings.
_UTF8_THAI = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")


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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise ExportError(path, "not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 (looks like UTF-16 or binary)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise ExportError(path, f"starts with a UTF-8 BOM but byte {e.start} is not UTF-8 "
                                    "(mixed encodings?)") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _mixed(data):
        raise ExportError(path, "mixed encodings: some rows are UTF-8 and others are not; "
                                "re-export the file in one encoding")
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError as e:
        raise ExportError(path, f"not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 "
                                f"(byte {e.start} is 0x{data[e.start]:02x})") from None
    if not re.search("[\u0e00-\u0e7f]", text):
        raise ExportError(path, "not a text table in UTF-8, UTF-8 with BOM or Windows-874/TIS-620")
    return text, "cp874"


def _mixed(data: bytes) -> bool:
    """True when some lines are valid UTF-8 with Thai and others are not UTF-8 at all."""
    utf8_thai = other = False
    for line in data.splitlines():
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other = True
            continue
        utf8_thai = utf8_thai or bool(_UTF8_THAI.search(line))
    return utf8_thai and other


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
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []  # lines: the file line each record starts on, as a person sees it
    start = 1
    for r in reader:
        if any(cell.strip() for cell in r):
            rows.append(r)
            lines.append(start)
        start = reader.line_num + 1
    if not rows:
        raise ExportError(path, "is empty (no header, no rows)")
    header = [h.strip() for h in rows[0]]
    _check_header(path, header, codebook)
    if len(rows) == 1:
        raise ExportError(path, "has a header but no rows")
    for r, line in zip(rows[1:], lines[1:], strict=True):
        if len(r) != len(header):
            raise ExportError(path, f"has {len(r)} fields where the header has {len(header)} "
                                    "(truncated or ragged line)", row=line)
    df = pd.DataFrame(rows[1:], columns=header, dtype=object)
    df.attrs["source_rows"] = lines[1:]
    return df, ExportInfo(str(path), "csv", encoding, len(df))


def _read_xlsx(path: Path, codebook: Codebook) -> tuple[pd.DataFrame, ExportInfo]:
    from openpyxl import load_workbook

    with path.open("rb") as fh:  # a file object, so a workbook saved under another suffix still opens
        try:
            wb = load_workbook(fh, read_only=True, data_only=False)  # formulas as their text, never evaluated
            sheets = [(ws.title, [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)])
                      for ws in wb.worksheets]
            wb.close()
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError, zlib.error, EOFError) as e:
            raise ExportError(path, f"is not a readable .xlsx workbook (truncated or damaged: {e})") from None
    return _table_from_sheets(path, sheets, codebook)


def _table_from_sheets(path: Path, sheets: list[tuple[str, list[list[str]]]], codebook: Codebook
                       ) -> tuple[pd.DataFrame, ExportInfo]:
    tried = []
    for title, all_rows in sheets:
        numbered = [(i, r) for i, r in enumerate(all_rows, start=1) if any(c.strip() for c in r)]
        rows = [r for _, r in numbered]
        if not rows or "submission_id" not in [c.strip() for c in rows[0]]:
            tried.append(title)
            continue
        header = [h.strip() for h in rows[0]]
        while header and header[-1] == "":
            header.pop()
        _check_header(path, header, codebook)
        body = [r[: len(header)] + [""] * (len(header) - len(r)) for r in rows[1:]]
        if not body:
            raise ExportError(path, f"sheet '{title}' has a header but no rows")
        df = pd.DataFrame(body, columns=header, dtype=object)
        df.attrs["source_rows"] = [i for i, _ in numbered[1:]]
        return df, ExportInfo(str(path), "xlsx", "xlsx", len(df), sheet=title)
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
    df.insert(0, "source_row", df.attrs.pop("source_rows", range(2, len(df) + 2)))
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
