"""File bytes to grids of text cells (:mod:`analysis.cleaning.grids`): every awkward input is built in tmp_path."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from analysis.cleaning.errors import ExportError
from analysis.cleaning.grids import FileRead, Grid, cell_text, read_grids
from analysis.core.paths import sample_dir

BOM = b"\xef\xbb\xbf"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _error(path: Path) -> ExportError:
    with pytest.raises(ExportError) as info:
        read_grids(path)
    return info.value


def _only_grid(read: FileRead) -> Grid:
    assert len(read.grids) == 1
    return read.grids[0]


def _patch_zip(path: Path, member: str, edit: dict[str, str]) -> None:
    """Rewrite one member of a ZIP package, replacing text (each ``old`` must be there)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    text = members[member].decode("utf-8")
    for old, new in edit.items():
        assert old in text, (old, text[:500])
        text = text.replace(old, new)
    members[member] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


# --------------------------------------------------------------------------- the bundled sample


@pytest.mark.parametrize("name", ["survey_export.csv", "survey_export.xlsx"])
def test_the_sample_reads_as_one_grid_with_a_header_and_1321_rows(name: str) -> None:
    read = read_grids(sample_dir() / name)
    grid = _only_grid(read)
    assert grid.rows[0][0] == "submission_id"
    assert "province" in grid.rows[0]
    body = grid.rows[1:]
    assert len(body) == 1321
    assert all(any(c.strip() for c in r) for r in body)
    assert grid.numbers[:3] == [1, 2, 3]
    assert read.format == name.rsplit(".", 1)[1]
    assert read.formula_without_value == []


def test_the_sample_csv_and_xlsx_hold_the_same_cells() -> None:
    from_csv = _only_grid(read_grids(sample_dir() / "survey_export.csv"))
    from_xlsx = _only_grid(read_grids(sample_dir() / "survey_export.xlsx"))
    width = len(from_csv.rows[0])
    assert [r + [""] * (width - len(r)) for r in from_xlsx.rows] == from_csv.rows


# --------------------------------------------------------------------------- format sniffing


def test_a_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.csv").problem == "file not found"


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", BOM, BOM + BOM + b"\r\n", b",,,\r\n , \r\n"])
def test_an_empty_file(tmp_path: Path, data: bytes) -> None:
    assert _error(_write(tmp_path / "x.csv", data)).problem == "is empty (no header, no rows)"


def _ole2(*streams: str) -> bytes:
    """An OLE2 compound file header followed by directory entries naming ``streams`` (UTF-16-LE)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    return header + b"".join(s.encode("utf-16-le").ljust(128, b"\x00") for s in streams)


def test_a_password_protected_workbook(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.xlsx", _ole2("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    assert _error(path).problem == ("is a password-protected workbook; remove the password in Excel "
                                    "(File > Info > Protect Workbook) and save as .xlsx")


def test_an_old_xls_workbook(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.xls", _ole2("Root Entry", "Workbook", "\x05SummaryInformation"))
    e = _error(path)
    assert e.problem == ("is an old Excel 97-2003 .xls workbook; open it in Excel or LibreOffice "
                         "and save as .xlsx (or CSV UTF-8)")
    assert str(e).startswith(str(path))


def test_an_ods_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr("META-INF/manifest.xml", "<manifest/>")
    assert _error(path).problem == "is an OpenDocument .ods spreadsheet; save it as .xlsx or CSV UTF-8"


def test_a_zip_holding_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("survey_export.csv", "submission_id\r\nS1\r\n")
    assert _error(path).problem == ("is a ZIP archive, not an .xlsx workbook (it holds: survey_export.csv); give the "
                                    "survey export itself, as .xlsx or CSV UTF-8 (unzip it first if it is inside)")


def test_a_word_document_under_an_xlsx_name(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert _error(path).problem.startswith("is a Word .docx document, not an .xlsx workbook")


@pytest.mark.parametrize("data", [
    b"<html><body><table><tr><td>submission_id</td></tr></table></body></html>",
    b"\r\n  <!DOCTYPE html>\n<html>",
    BOM + b"<TABLE border=1><tr><td>id</td></tr></TABLE>",
    b'<?xml version="1.0"?>\n<HTML xmlns:x="urn:schemas-microsoft-com:office:excel">',
    b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n<table><tr><td>id</td></tr></table>',
])
def test_a_web_page_saved_as_xls(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path / "export.xls", data)
    assert _error(path).problem == ("is a web page (HTML) saved with a spreadsheet name; open it in Excel "
                                    "and save as .xlsx or CSV UTF-8")


def test_an_excel_2003_xml_spreadsheet(tmp_path: Path) -> None:
    data = (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>')
    path = _write(tmp_path / "export.xls", data)
    assert _error(path).problem == ("is an Excel 2003 XML spreadsheet; open it in Excel and save as .xlsx "
                                    "or CSV UTF-8")


def test_a_pdf(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert _error(path).problem == ("is a PDF document, not a spreadsheet; export the survey as .xlsx "
                                    "or CSV UTF-8")


@pytest.mark.parametrize("data", ["submission_id,q1\r\n".encode("utf-16"), b"id,q1\r\n\x00\x01\x02"])
def test_utf16_or_binary_keeps_its_message(tmp_path: Path, data: bytes) -> None:
    assert _error(_write(tmp_path / "export.csv", data)).problem == (
        "not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 (looks like UTF-16 or binary)")


def test_a_truncated_xlsx(tmp_path: Path) -> None:
    data = (sample_dir() / "survey_export.xlsx").read_bytes()[:300]
    e = _error(_write(tmp_path / "export.xlsx", data))
    assert e.problem.startswith("is not a readable .xlsx workbook (truncated or damaged")


def test_an_xlsx_name_on_bytes_that_are_neither_zip_nor_text(tmp_path: Path) -> None:
    e = _error(_write(tmp_path / "export.xlsx", b"\x00\x00\x00garbage"))
    assert e.problem == "is not a readable .xlsx workbook (truncated or damaged: it does not start as a ZIP archive)"


def test_a_workbook_under_another_name_still_opens(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["submission_id", "q1"])
    wb.active.append(["S1", 3])
    wb.save(tmp_path / "export.xlsx")
    path = (tmp_path / "export.xlsx").rename(tmp_path / "export.xls")
    read = read_grids(path)
    assert read.format == "xlsx"
    assert _only_grid(read).rows == [["submission_id", "q1"], ["S1", "3"]]
    assert read.notes == ["named 'export.xls' but is an .xlsx workbook; read as .xlsx"]


def test_a_csv_under_an_xls_name_reads_as_csv(tmp_path: Path) -> None:
    read = read_grids(_write(tmp_path / "export.xls", b"submission_id,q1\r\nS1,3\r\n"))
    assert (read.format, _only_grid(read).rows) == ("csv", [["submission_id", "q1"], ["S1", "3"]])
    assert read.notes == ["named 'export.xls' but holds CSV text; read as CSV"]


# --------------------------------------------------------------------------- CSV


def test_a_plain_csv_keeps_blank_rows_and_ragged_rows_with_their_lines(tmp_path: Path) -> None:
    data = b'id,name,q1\r\n1,"two\r\nlines",3\r\n\r\n2,x\r\n3,y,4,extra\r\n'
    read = read_grids(_write(tmp_path / "x.csv", data))
    assert (read.format, read.encoding, read.delimiter, read.notes) == ("csv", "utf-8", ",", [])
    grid = _only_grid(read)
    assert grid.sheet is None and grid.state == "visible"
    assert grid.rows == [["id", "name", "q1"], ["1", "two\r\nlines", "3"], [], ["2", "x"], ["3", "y", "4", "extra"]]
    assert grid.numbers == [1, 2, 4, 5, 6]


def test_a_windows_874_csv(tmp_path: Path) -> None:
    text = "id,จังหวัด\r\n1,เชียงใหม่\r\n"
    read = read_grids(_write(tmp_path / "x.csv", text.encode("cp874")))
    assert read.encoding == "cp874"
    assert _only_grid(read).rows == [["id", "จังหวัด"], ["1", "เชียงใหม่"]]


def test_mixed_encodings(tmp_path: Path) -> None:
    data = "id,จังหวัด\r\n".encode() + "1,เชียงใหม่\r\n".encode("cp874")
    assert _error(_write(tmp_path / "x.csv", data)).problem.startswith("mixed encodings")


def test_a_doubled_bom(tmp_path: Path) -> None:
    read = read_grids(_write(tmp_path / "x.csv", BOM * 3 + b"id,q1\r\n1,2\r\n"))
    assert read.encoding == "utf-8-sig"
    assert _only_grid(read).rows[0] == ["id", "q1"]
    assert read.notes == ["removed 2 extra BOMs at the start of the file"]


def test_a_bom_inside_the_quoted_first_cell(tmp_path: Path) -> None:
    read = read_grids(_write(tmp_path / "x.csv", b'"' + BOM + b'id",q1\r\n1,2\r\n'))
    assert _only_grid(read).rows[0] == ["id", "q1"]
    assert read.notes == ["removed a BOM at the start of the first cell"]


@pytest.mark.parametrize(("line", "delimiter"), [
    ("sep=;", ";"), ('"sep=;"', ";"), ("sep=\t", "\t"), ("sep=\\t", "\t"), ("sep=|", "|"), ("sep=,", ","),
])
def test_an_excel_sep_line_sets_the_delimiter_and_keeps_line_numbers(tmp_path: Path, line: str,
                                                                    delimiter: str) -> None:
    body = "\r\n".join(delimiter.join(r) for r in [["id", "q1"], ["1", "2,5"], ["2", "3"]])
    read = read_grids(_write(tmp_path / "x.csv", BOM + (line + "\r\n" + body + "\r\n").encode()))
    if delimiter == ",":
        body_rows = [["id", "q1"], ["1", "2", "5"], ["2", "3"]]  # the comma in 2,5 is a delimiter then
    else:
        body_rows = [["id", "q1"], ["1", "2,5"], ["2", "3"]]
    grid = _only_grid(read)
    assert read.delimiter == delimiter
    assert grid.rows == body_rows
    assert grid.numbers == [2, 3, 4]
    shown = "\\t" if delimiter == "\t" else delimiter
    assert read.notes == [f"skipped an Excel 'sep={shown}' line"]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_the_delimiter_is_sniffed_from_the_first_line(tmp_path: Path, delimiter: str, name: str) -> None:
    rows = [["submission_id", "province, district", "q1"], ["S1", "เชียงใหม่, เมือง", "3,5"]]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    read = read_grids(_write(tmp_path / "x.csv", ("\r\n" + buf.getvalue()).encode()))
    assert read.delimiter == delimiter
    grid = _only_grid(read)
    assert grid.rows == [[], *rows]
    assert grid.numbers == [1, 2, 3]
    assert read.notes == [f"read with the {name} as delimiter (from the first line)"]


def test_a_comma_file_with_semicolons_in_its_header_stays_comma(tmp_path: Path) -> None:
    read = read_grids(_write(tmp_path / "x.csv", b'id,"a;b;c",note;x\r\n1,2,3\r\n'))
    assert read.delimiter == ","
    assert _only_grid(read).rows == [["id", "a;b;c", "note;x"], ["1", "2", "3"]]


def test_an_oversized_cell_names_the_row_and_column(tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    data = ("submission_id,province,q1\r\nS1,ลำปาง,2\r\n" + 'S2,"ลำพูน,3\r\n' + "S3,x,1\r\n" * 20_000).encode()
    e = _error(_write(tmp_path / "x.csv", data))
    assert (e.row, e.column) == (3, "province")
    assert "more than 131,072 characters" in e.problem
    assert "quote" in e.problem
    assert csv.field_size_limit() == limit


def test_an_oversized_cell_in_the_first_line_is_named_by_position(tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    data = b'id,x,"' + b"a" * 140_000 + b'"\r\n1,2,3\r\n'
    e = _error(_write(tmp_path / "x.csv", data))
    assert (e.row, e.column) == (1, "column 3")
    assert str(e) == f"{tmp_path / 'x.csv'}, row 1, column 'column 3': {e.problem}"
    assert csv.field_size_limit() == limit


# --------------------------------------------------------------------------- XLSX


def _workbook(path: Path, sheets: dict[str, list[list[object]]], states: dict[str, str] | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, table in sheets.items():
        ws = wb.create_sheet(title)
        for row in table:
            ws.append(row)
        ws.sheet_state = (states or {}).get(title, "visible")
    wb.save(path)
    return path


def test_every_worksheet_is_a_grid_with_its_state(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"notes": [["read me"]], "responses": [["submission_id"], ["S1"]],
                                           "lists": [["a"]], "secret": [["b"]]},
                     states={"lists": "hidden", "secret": "veryHidden"})
    read = read_grids(path)
    assert (read.format, read.encoding, read.delimiter, read.notes) == ("xlsx", "xlsx", None, [])
    assert [(g.sheet, g.state, g.rows) for g in read.grids] == [
        ("notes", "visible", [["read me"]]), ("responses", "visible", [["submission_id"], ["S1"]]),
        ("lists", "hidden", [["a"]]), ("secret", "veryHidden", [["b"]])]


def test_blank_rows_keep_their_row_numbers_and_rows_are_trimmed(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["C1"] = "submission_id", "q1"
    ws["A3"], ws["B3"] = "S1", "x"
    ws["E3"].number_format = "0%"  # a styled empty cell: trimmed
    ws["A4"] = "S2"
    wb.save(tmp_path / "x.xlsx")
    grid = _only_grid(read_grids(tmp_path / "x.xlsx"))
    assert grid.rows == [["submission_id", "", "q1"], [], ["S1", "x"], ["S2"]]
    assert grid.numbers == [1, 2, 3, 4]


def test_a_wrong_dimension_does_not_cut_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"responses": [["submission_id", "q1", "q2"], ["S1", 1, 2]]})
    _patch_zip(path, "xl/worksheets/sheet1.xml", {'<dimension ref="A1:C2" />': '<dimension ref="A1:A1" />'})
    assert _only_grid(read_grids(path)).rows == [["submission_id", "q1", "q2"], ["S1", "1", "2"]]


def test_cell_values_as_text(tmp_path: Path) -> None:
    row: list[object] = [None, "ข้อความ", True, False, 4, 4.0, 0.1, 2.5e-7, 1 / 3,
                         datetime(2024, 1, 2, 3, 4, 5), time(9, 30)]
    path = _workbook(tmp_path / "x.xlsx", {"s": [["h"] * len(row), row]})
    assert _only_grid(read_grids(path)).rows[1] == [
        "", "ข้อความ", "TRUE", "FALSE", "4", "4", "0.1", "2.5e-07", "0.3333333333333333",
        "2024-01-02 03:04:05", "09:30:00"]


def test_percent_formatted_numbers(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    values = [(0.54, "0%"), (0.125, "0.0%"), (0.57, "0.00%"), (1, "0%"), (0.54, '0.00" %"'), (0.54, "General")]
    for col, (value, fmt) in enumerate(values, start=1):
        cell = ws.cell(row=1, column=col, value=value)
        cell.number_format = fmt
    wb.save(tmp_path / "x.xlsx")
    assert _only_grid(read_grids(tmp_path / "x.xlsx")).rows == [["54%", "12.5%", "57%", "100%", "0.54", "0.54"]]


def _formula_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append(["submission_id", "raw", "rounded", "share", "label", "missing"])
    ws.append(["S1", 3.6, "=ROUND(B2,0)", "=B2/10", '=IF(B2>3,"high","low")', "=B2*2"])
    ws["D2"].number_format = "0%"
    wb.save(path)
    # openpyxl writes formulas without a cached value (<v />): give three of them the value Excel would store
    _patch_zip(path, "xl/worksheets/sheet1.xml", {
        "<f>ROUND(B2,0)</f><v />": "<f>ROUND(B2,0)</f><v>4</v>",
        "<f>B2/10</f><v />": "<f>B2/10</f><v>0.36</v>",
        '<c r="E2"><f>IF(B2&gt;3,"high","low")</f><v />':
            '<c r="E2" t="str"><f>IF(B2&gt;3,"high","low")</f><v>high</v>',
    })
    return path


def test_formula_cells_read_as_their_cached_values(tmp_path: Path) -> None:
    read = read_grids(_formula_workbook(tmp_path / "x.xlsx"))
    grid = _only_grid(read)
    assert grid.rows[1] == ["S1", "3.6", "4", "36%", "high"]  # F2 has no cached value: "" and trimmed
    assert read.formula_without_value == [("responses", 2, 6)]
    assert read.notes == [
        "read 3 formula cells as their cached values (formulas are never evaluated)",
        "1 formula cell had no cached value and was read as empty ('responses'!F2); "
        "open the workbook in Excel, let it recalculate, and save it again"]


def test_formula_text_never_reaches_the_cells(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"s": [["a", "b"], [1, "=A2+1"], ["=SUM(A1:A2)"]]})
    read = read_grids(path)
    assert _only_grid(read).rows == [["a", "b"], ["1"], []]
    assert read.formula_without_value == [("s", 2, 2), ("s", 3, 1)]
    assert not any(c.startswith("=") for r in _only_grid(read).rows for c in r)


def test_a_chartsheet_is_skipped_and_noted(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append(["submission_id", "q1"])
    ws.append(["S1", 3])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    wb.create_chartsheet("Chart1").add_chart(chart)
    wb.save(tmp_path / "x.xlsx")
    read = read_grids(tmp_path / "x.xlsx")
    assert [g.sheet for g in read.grids] == ["responses"]
    assert read.notes == ["skipped 1 chart sheet (no cells): 'Chart1'"]


def test_a_damaged_sheet_inside_a_valid_zip(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"s": [["a"]]})
    _patch_zip(path, "xl/worksheets/sheet1.xml", {"</sheetData>": ""})
    e = _error(path)
    assert re.match(r"is not a readable \.xlsx workbook \(truncated or damaged: .+\)$", e.problem)


def test_cell_text_of_a_float_with_binary_noise_as_percent() -> None:
    assert (0.57 * 100, 0.07 * 100) == (56.99999999999999, 7.000000000000001)
    assert cell_text(0.57, "0%") == "57%"
    assert cell_text(0.07, "0.0%") == "7%"
    assert cell_text(0.54, "0%") == "54%"
    assert cell_text(-0.07, "0%") == "-7%"
