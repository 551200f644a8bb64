"""From file bytes to grids of text cells: the lowest layer of reading a raw survey export.

:func:`read_grids` tells the format from the file's content, not its name, and turns a CSV file
(UTF-8, UTF-8 with BOM or Windows-874/TIS-620) or an .xlsx workbook into :class:`Grid` objects:
every row as text cells, blank rows included, with the row number a person sees. Finding the
header and mapping columns is :mod:`analysis.cleaning.reading`'s job; a file that is not a table
at all (an old .xls, a password-protected workbook, an .ods, a web page or PDF under a spreadsheet
name, a damaged workbook) raises :class:`~analysis.cleaning.errors.ExportError` saying what it is
and what to do.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from analysis.cleaning.errors import ExportError

# UTF-8 encodes Thai (U+0E00-U+0E7F) as E0 B8 xx or E0 B9 xx: a line holding such bytes that is valid
# UTF-8, in a file where other lines are not, means the file mixes encodings.
_UTF8_THAI = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")
_BOM_BYTES = b"\xef\xbb\xbf"
_BOM = "\ufeff"
#: The 8-byte header signature of an OLE2 / Compound File Binary file ([MS-CFB] 2.2).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: A ZIP local file header, or the end-of-central-directory record of an empty archive.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
_SHEET_SUFFIXES = (*_XLSX_SUFFIXES, ".xls", ".xlsb", ".ods")
#: Delimiters a CSV export may use, in the order ties are broken (comma first).
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Excel's "sep=X" first line (an undocumented Excel convention), optionally quoted; "\t" written out also counts.
_SEP_LINE = re.compile(r'"?sep=(\\t|[^"\r\n])"?\s*', re.IGNORECASE)
_FIRST_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")
# The exceptions openpyxl and zipfile raise on a truncated or damaged workbook.
_XLSX_ERRORS: tuple[type[BaseException], ...] = (zipfile.BadZipFile, KeyError, IndexError, OSError, ValueError,
                                                 TypeError, SyntaxError, zlib.error, EOFError, NotImplementedError)
_DAMAGED_XLSX = "is not a readable .xlsx workbook (truncated or damaged: {})"
_FIX_FORMULAS = "open the workbook in Excel, let it recalculate, and save it again"


@dataclass(frozen=True)
class Grid:
    """One table of text cells: a CSV file or one worksheet.

    ``rows`` holds every row, blank rows included (as ``[]`` or cells of ``""``), so that
    ``numbers[i]`` is the 1-based row (XLSX) or starting line (CSV) a person sees for ``rows[i]``.
    XLSX rows are as long as their data, with trailing empty cells trimmed.
    """

    sheet: str | None  # None for CSV
    rows: list[list[str]]
    numbers: list[int]
    state: str = "visible"  # XLSX sheet state: visible | hidden | veryHidden


@dataclass(frozen=True)
class FileRead:
    """What :func:`read_grids` found in one file, and what it fixed on the way (``notes``).

    ``formula_without_value`` lists the formula cells that had no cached value (sheet, 1-based row,
    1-based column); they were read as ``""``.
    """

    path: str
    format: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | cp874 | xlsx
    delimiter: str | None  # for CSV
    grids: list[Grid]
    notes: list[str]
    formula_without_value: list[tuple[str, int, int]] = field(default_factory=list)


# --------------------------------------------------------------------------- entry point


def read_grids(path: str | Path) -> FileRead:
    """Read a raw export, CSV or XLSX whatever its name, into grids of text cells.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    FileRead
        One :class:`Grid` for a CSV file, one per worksheet for a workbook.

    Raises
    ------
    ExportError
        The file is missing, empty, or not a CSV/XLSX table; the message says what it is and what to do.

    References
    ----------
    RFC 4180, "Common Format and MIME Type for Comma-Separated Values (CSV) Files" (2005).
    ECMA-376, 5th ed., Part 1: SpreadsheetML; Part 2: Open Packaging Conventions (the .xlsx ZIP package).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "export.csv"
    ...     _ = p.write_bytes("sep=;\\nid;ชื่อ\\n1;สมชาย\\n".encode("cp874"))
    ...     read = read_grids(p)
    >>> read.encoding, read.delimiter, read.grids[0].rows, read.grids[0].numbers
    ('cp874', ';', [['id', 'ชื่อ'], ['1', 'สมชาย']], [2, 3])
    >>> read.notes
    ["skipped an Excel 'sep=;' line"]
    """
    path = Path(path)
    if not path.is_file():
        raise ExportError(path, "file not found")
    data = path.read_bytes()
    read = _read_xlsx(path) if sniff(path, data) == "xlsx" else _read_csv(path, data)
    suffix = path.suffix.lower()
    if read.format == "xlsx" and suffix not in _XLSX_SUFFIXES:
        read.notes.insert(0, f"named '{path.name}' but is an .xlsx workbook; read as .xlsx")
    elif read.format == "csv" and suffix in _SHEET_SUFFIXES:
        read.notes.insert(0, f"named '{path.name}' but holds CSV text; read as CSV")
    return read


# --------------------------------------------------------------------------- format sniffing


def sniff(path: Path, data: bytes) -> str:
    """``"xlsx"`` or ``"csv"`` from the file's bytes; any other format raises :class:`ExportError`.

    Parameters
    ----------
    path
        The file, for the message.
    data
        Its bytes.

    Returns
    -------
    str
        ``"xlsx"`` for an Office Open XML workbook, ``"csv"`` for anything that may be text.

    References
    ----------
    [MS-CFB] Compound File Binary File Format, 2.2 "Compound File Header" (signature D0 CF 11 E0 A1 B1 1A E1);
    [MS-OFFCRYPTO] Office Document Cryptography Structure (an encrypted .xlsx is a compound file with an
    ``EncryptedPackage`` stream); OASIS OpenDocument 1.2 Part 3, 3.3 "MIME Media Type" (the ``mimetype``
    member); ISO 32000-1, 7.5.2 "File Header" (``%PDF-``); PKWARE APPNOTE.TXT, 4.3.7 (ZIP ``PK\\x03\\x04``).

    Examples
    --------
    >>> sniff(Path("a.xls"), b"id,name\\r\\n1,x\\r\\n")
    'csv'
    >>> sniff(Path("a.xls"), b"%PDF-1.7 ...")
    Traceback (most recent call last):
    ...
    analysis.cleaning.errors.ExportError: a.xls: is a PDF document, not a spreadsheet; export the survey as .xlsx \
or CSV UTF-8
    """
    if not _without_boms(data).strip():
        raise ExportError(path, "is empty (no header, no rows)")
    if data.startswith(_OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ExportError(path, "is a password-protected workbook; remove the password in Excel "
                                    "(File > Info > Protect Workbook) and save as .xlsx")
        raise ExportError(path, "is an old Excel 97-2003 .xls workbook; open it in Excel or LibreOffice "
                                "and save as .xlsx (or CSV UTF-8)")
    if data.startswith(_ZIP_MAGIC):
        _check_zip(path, data)
        return "xlsx"
    if data.startswith(b"%PDF"):
        raise ExportError(path, "is a PDF document, not a spreadsheet; export the survey as .xlsx or CSV UTF-8")
    _check_markup(path, data)
    return "csv"


def _without_boms(data: bytes) -> bytes:
    while data.startswith(_BOM_BYTES):
        data = data[len(_BOM_BYTES):]
    return data


def _check_markup(path: Path, data: bytes) -> None:
    """Raise for a web page or an Excel 2003 XML spreadsheet saved under a spreadsheet name."""
    head = _without_boms(data[:1024]).lstrip().lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table")) or b"<html" in data[:1024].lower() or (
            head.startswith(b"<") and b"<table" in head):
        raise ExportError(path, "is a web page (HTML) saved with a spreadsheet name; open it in Excel "
                                "and save as .xlsx or CSV UTF-8")
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        raise ExportError(path, "is an Excel 2003 XML spreadsheet; open it in Excel and save as .xlsx or CSV UTF-8")


def _check_zip(path: Path, data: bytes) -> None:
    """Return for an .xlsx package; raise naming what else the ZIP archive is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype")[:200].strip() if "mimetype" in names else b""
    except _XLSX_ERRORS as e:
        raise ExportError(path, _DAMAGED_XLSX.format(e)) from None
    if mimetype.startswith(_ODS_MIMETYPE):
        raise ExportError(path, "is an OpenDocument .ods spreadsheet; save it as .xlsx or CSV UTF-8")
    if any(re.fullmatch(r"xl/[^/]*workbook[^/]*\.xml", n) for n in names):
        return
    if "xl/workbook.bin" in names:
        raise ExportError(path, "is an Excel binary .xlsb workbook; open it in Excel and save as .xlsx or CSV UTF-8")
    kind = ("an OpenDocument file that is not a spreadsheet" if mimetype.startswith(b"application/vnd.oasis")
            else "a Word .docx document" if any(n.startswith("word/") for n in names)
            else "a PowerPoint .pptx presentation" if any(n.startswith("ppt/") for n in names)
            else "a ZIP archive")
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise ExportError(path, f"is {kind}, not an .xlsx workbook (it holds: {shown or 'nothing'}); "
                            "give the survey export itself, as .xlsx or CSV UTF-8 (unzip it first if it is inside)")


# --------------------------------------------------------------------------- CSV


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 with BOM, UTF-8 or Windows-874 (a superset of TIS-620).

    Parameters
    ----------
    path
        The file, for the message.
    data
        Its bytes.

    Returns
    -------
    tuple of (str, str)
        The text (one leading BOM removed) and the encoding: ``utf-8-sig``, ``utf-8`` or ``cp874``.

    Examples
    --------
    >>> decode(Path("x.csv"), "ก,ข".encode("cp874"))
    ('ก,ข', 'cp874')
    >>> decode(Path("x.csv"), b"\\xef\\xbb\\xbfid")
    ('id', 'utf-8-sig')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise ExportError(path, "not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 (looks like UTF-16 or binary)")
    if data.startswith(_BOM_BYTES):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise ExportError(path, f"starts with a UTF-8 BOM but byte {e.start + 3} is not UTF-8 "
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


def _read_csv(path: Path, data: bytes) -> FileRead:
    try:
        text, encoding = decode(path, data)
    except ExportError:
        if path.suffix.lower() in _XLSX_SUFFIXES:
            raise ExportError(path, _DAMAGED_XLSX.format("it does not start as a ZIP archive")) from None
        raise
    notes: list[str] = []
    stripped = text.lstrip(_BOM)
    if extra := len(text) - len(stripped):
        notes.append(f"removed {extra} extra BOM{'s' if extra > 1 else ''} at the start of the file")
    delimiter, first_line, body = _sep_line(stripped)
    if delimiter is not None:
        notes.append(f"skipped an Excel 'sep={_shown(delimiter)}' line")
    else:
        delimiter = sniff_delimiter(body)
        if delimiter != ",":
            notes.append(f"read with the {DELIMITERS[delimiter]} as delimiter (from the first line)")
    rows, numbers = _parse_csv(path, body, delimiter, first_line)
    content = [r for r in rows if any(c.strip() for c in r)]
    if not content:
        raise ExportError(path, "is empty (no header, no rows)")
    if content[0] and content[0][0].startswith(_BOM):
        content[0][0] = content[0][0].lstrip(_BOM)
        notes.append("removed a BOM at the start of the first cell")
    return FileRead(str(path), "csv", encoding, delimiter, [Grid(None, rows, numbers)], notes)


def _shown(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


def _sep_line(text: str) -> tuple[str | None, int, str]:
    """Excel's ``sep=X`` first line: (its delimiter or None, line number of the rest, the rest)."""
    m = _FIRST_LINE.match(text)
    sep = _SEP_LINE.fullmatch(m.group(1)) if m else None
    if m is None or sep is None:
        return None, 1, text
    delimiter = "\t" if sep.group(1) == "\\t" else sep.group(1)
    return delimiter, 2, text[m.end():]


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text, from its first non-blank line: comma, semicolon, tab or pipe.

    The candidate seen most often outside double quotes wins; ties and a line without any go to the comma,
    so a comma file is never read otherwise unless another delimiter clearly structures its first line.

    Parameters
    ----------
    text
        The CSV text (after any ``sep=`` line).

    Returns
    -------
    str
        One of ``,``, ``;``, ``\\t``, ``|``.

    Examples
    --------
    >>> sniff_delimiter('id;"name, full";q1\\r\\n1;x;2\\r\\n')
    ';'
    >>> sniff_delimiter('id,"a;b;c",q1\\n')
    ','
    >>> sniff_delimiter("\\n\\nid\\tq1\\n")
    '\\t'
    >>> sniff_delimiter("id\\n")
    ','
    """
    line = next((ln for ln in re.split(r"\r\n|\n|\r", text) if ln.strip()), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])  # max keeps the first of equal counts: comma
    return best if counts[best] else ","


def _parse_csv(path: Path, text: str, delimiter: str, first_line: int) -> tuple[list[list[str]], list[int]]:
    """Every record, blank ones included, and the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    start = first_line
    try:
        for r in reader:
            rows.append(r)
            numbers.append(start)
            start = first_line + reader.line_num
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            header = next((r for r in rows if any(c.strip() for c in r)), None)
            raise _oversized_cell(path, text, delimiter, first_line, start, header) from None
        raise ExportError(path, f"is not a readable CSV file ({e})", row=start) from None
    return rows, numbers


def _oversized_cell(path: Path, text: str, delimiter: str, first_line: int, start: int,
                    header: list[str] | None) -> ExportError:
    """The error for a record (starting on line ``start``) with a cell beyond ``csv.field_size_limit()``.

    The record is parsed again under a raised limit to find the column; the limit is process-wide, so it is
    restored before returning (this runs only on the error path, and is not meant for concurrent threads).

    References
    ----------
    Python documentation, :func:`csv.field_size_limit` (default 131,072 characters).
    """
    limit = csv.field_size_limit()
    column: int | None = None
    csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        line = first_line
        for r in reader:
            if line == start:
                column = next((i for i, c in enumerate(r) if len(c) > limit), None)
                break
            line = first_line + reader.line_num
    except csv.Error:
        column = None
    finally:
        csv.field_size_limit(limit)
    name = None
    if column is not None:
        named = header[column].strip() if header is not None and column < len(header) else ""
        name = named or f"column {column + 1}"
    return ExportError(path, f"a cell holds more than {limit:,} characters, usually because a quote (\") opened "
                             "here is never closed and the rest of the file ran into one cell; close or remove the "
                             "stray quote, or export the file again", row=start, column=name)


# --------------------------------------------------------------------------- XLSX


def _read_xlsx(path: Path) -> FileRead:
    notes: list[str] = []
    with path.open("rb") as fh:  # a file object, so a workbook saved under another suffix still opens
        try:
            sheets, formulas, charts = _first_pass(fh)
            cached = _cached_values(fh, formulas) if formulas else {}
        except _XLSX_ERRORS as e:
            raise ExportError(path, _DAMAGED_XLSX.format(e)) from None
    if charts:
        notes.append(f"skipped {len(charts)} chart sheet{'s' if len(charts) > 1 else ''} (no cells): "
                     + ", ".join(f"'{c}'" for c in charts))
    _fill_formulas(sheets, cached)
    missing = [f for f in formulas if f not in cached]
    if n_read := len(formulas) - len(missing):
        notes.append(f"read {n_read} formula cell{'s' if n_read > 1 else ''} as their cached values "
                     "(formulas are never evaluated)")
    if missing:
        notes.append(f"{len(missing)} formula cell{'s' if len(missing) > 1 else ''} had no cached value and "
                     f"{'were' if len(missing) > 1 else 'was'} read as empty ({_cell_list(missing)}); "
                     f"{_FIX_FORMULAS}")
    grids = [Grid(title, rows, list(range(1, len(rows) + 1)), state) for title, state, rows in sheets]
    return FileRead(str(path), "xlsx", "xlsx", None, grids, notes, missing)


def _load(fh: IO[bytes], data_only: bool) -> Any:
    from openpyxl import load_workbook

    fh.seek(0)
    return load_workbook(fh, read_only=True, data_only=data_only, keep_links=False)


def _first_pass(fh: IO[bytes]) -> tuple[list[tuple[str, str, list[list[str]]]], list[tuple[str, int, int]], list[str]]:
    """Every worksheet as (title, state, rows); the formula cells (sheet, row, column); the chart sheets.

    Formula cells are read as ``""`` here (``data_only=False`` gives their formula text, never evaluated).
    """
    wb = _load(fh, data_only=False)
    try:
        charts = [cs.title for cs in wb.chartsheets]
        sheets: list[tuple[str, str, list[list[str]]]] = []
        formulas: list[tuple[str, int, int]] = []
        for ws in wb.worksheets:
            ws.reset_dimensions()  # the <dimension> some writers store is wrong: rows as long as their data
            rows = []
            for r, cells in enumerate(ws.iter_rows(), start=1):
                rows.append(_row_texts(cells, ws.title, r, formulas))
            sheets.append((ws.title, ws.sheet_state, rows))
    finally:
        wb.close()
    return sheets, formulas, charts


def _row_texts(cells: Iterable[Any], title: str, r: int, formulas: list[tuple[str, int, int]]) -> list[str]:
    texts = []
    for c, cell in enumerate(cells, start=1):
        if cell.data_type == "f":
            formulas.append((title, r, c))
            texts.append("")
        else:
            texts.append(_text_of(cell))
    return _trimmed(texts)


def _text_of(cell: Any) -> str:
    """A read-only cell as text; its number format is looked up for numbers only (it costs a style lookup)."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return cell_text(value, cell.number_format or "General")
    return cell_text(value)


def _trimmed(texts: list[str]) -> list[str]:
    while texts and texts[-1] == "":
        texts.pop()
    return texts


def _cached_values(fh: IO[bytes], formulas: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], str]:
    """The values stored for the formula cells (``data_only=True``); cells without one are left out.

    References
    ----------
    ECMA-376, 5th ed., Part 1, 18.3.1.4 ``c`` (Cell), 18.3.1.40 ``f`` (Formula) and 18.3.1.96 ``v`` (Cell Value):
    a formula cell may carry the value last calculated by the application that saved it.
    """
    wanted: dict[str, set[tuple[int, int]]] = {}
    for title, r, c in formulas:
        wanted.setdefault(title, set()).add((r, c))
    found: dict[tuple[str, int, int], str] = {}
    wb = _load(fh, data_only=True)
    try:
        for ws in wb.worksheets:
            cells_wanted = wanted.get(ws.title)
            if not cells_wanted:
                continue
            ws.reset_dimensions()
            for r, cells in enumerate(ws.iter_rows(max_row=max(r for r, _ in cells_wanted)), start=1):
                for c, cell in enumerate(cells, start=1):
                    if (r, c) in cells_wanted and cell.value is not None:
                        found[(ws.title, r, c)] = _text_of(cell)
    finally:
        wb.close()
    return found


def _fill_formulas(sheets: list[tuple[str, str, list[list[str]]]], cached: dict[tuple[str, int, int], str]) -> None:
    """Put the cached values of formula cells in place (the others stay "")."""
    by_title = {title: rows for title, _, rows in sheets}
    for (title, r, c), text in cached.items():
        row = by_title[title][r - 1]
        row.extend([""] * (c - len(row)))
        row[c - 1] = text
        _trimmed(row)


def _cell_list(cells: list[tuple[str, int, int]]) -> str:
    from openpyxl.utils import get_column_letter

    shown = ", ".join(f"'{t}'!{get_column_letter(c)}{r}" for t, r, c in cells[:5])
    return shown + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")


# --------------------------------------------------------------------------- cell values as text


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell value as the text a person would type, whatever type openpyxl gives.

    Parameters
    ----------
    value
        The value openpyxl read: None, str, bool, int, float, datetime, date, time or timedelta.
    number_format
        The cell's number format code; a percent format shows the value times 100 with a ``%``.

    Returns
    -------
    str
        ``""`` for None; ``TRUE``/``FALSE``; integers and integral floats without ``.0``; other floats
        as their shortest round-tripping ``repr``; ISO 8601 text for dates and times.

    References
    ----------
    ECMA-376, 5th ed., Part 1, 18.8.30 ``numFmt`` and 18.8.31 ``numFmts`` (number format codes; a ``%``
    multiplies the value by 100); openpyxl, "Dates and Times" (which formats read as dates).

    Examples
    --------
    >>> cell_text(None), cell_text(True), cell_text(4), cell_text(4.0), cell_text(0.1), cell_text(1e-7)
    ('', 'TRUE', '4', '4', '0.1', '1e-07')
    >>> cell_text(0.54, "0%"), cell_text(0.125, "0.0%"), cell_text(0.07, '0.00%;[Red]-0.00%')
    ('54%', '12.5%', '7%')
    >>> cell_text(0.54, '0.00" %"'), cell_text(datetime(2024, 1, 2, 3, 4, 5)), cell_text(time(9, 30))
    ('0.54', '2024-01-02 03:04:05', '09:30:00')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if is_percent_format(number_format):
            # value*100 carries binary noise (0.54*100 = 54.00000000000001): 10 significant digits drop it
            return _number_text(float(f"{value * 100:.10g}")) + "%"
        return _number_text(value)
    if isinstance(value, date | time | timedelta):
        return _temporal_text(value)
    return str(value)


def _number_text(x: int | float) -> str:
    if isinstance(x, int):
        return str(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _temporal_text(value: date | time | timedelta) -> str:
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    seconds = round(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"  # as Excel's [h]:mm:ss


def is_percent_format(number_format: str) -> bool:
    """True when a number format code shows a percent: a ``%`` outside quotes, brackets and escapes.

    Parameters
    ----------
    number_format
        An Excel number format code.

    Returns
    -------
    bool
        Whether Excel multiplies the value by 100 when showing it.

    References
    ----------
    ECMA-376, 5th ed., Part 1, 18.8.31 ``numFmts``: text in double quotes and a character after ``\\``
    are literal, ``[...]`` holds a colour, condition or locale, ``_x`` and ``*x`` take one literal character.

    Examples
    --------
    >>> [is_percent_format(f) for f in ("0%", "0.0%", "[Red]0.00%", "General", '0" %"', "0\\\\%", "[$%-409]0")]
    [True, True, True, False, False, False, False]
    """
    quoted = bracketed = skip = False
    for ch in number_format:
        if skip:
            skip = False
        elif quoted:
            quoted = ch != '"'
        elif bracketed:
            bracketed = ch != "]"
        elif ch in "\\_*":
            skip = True
        elif ch == '"':
            quoted = True
        elif ch == "[":
            bracketed = True
        elif ch == "%":
            return True
    return False
