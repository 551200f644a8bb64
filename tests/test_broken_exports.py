"""A corpus of broken raw exports, built from the real sample, and the readable variants of it.

Every broken file must raise :class:`analysis.reading.ExportError` whose message names the file
(and the row or column where the reader reports one), and ``run_cleaning`` given that file must
raise before writing anything: no output, no half-written staging folder.

Cases the current reader gets wrong are kept, marked ``xfail(strict=True)`` with the defect as
reason; when the defect is fixed the test XPASSes, fails, and the marker must be removed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from analysis.cleaning.clean import run_cleaning
from analysis.cleaning.errors import ExportError
from analysis.cleaning.reading import META, read_export, read_exports
from analysis.core.paths import sample_dir
from analysis.instrument.codebook import Codebook

N_ROWS = 30
#: Rows of the sample whose text is only ASCII and Thai (no NBSP, zero-width or BOM characters).
ASCII_OR_THAI = re.compile(r"[\x00-\x7f\u0e00-\u0e7f]*")


# --------------------------------------------------------------------------- building files


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """The first 30 rows of the committed sample export, every cell as text."""
    df = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False,
                     encoding="utf-8-sig", nrows=N_ROWS)
    assert len(df) == N_ROWS
    return df


def _cp874_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the characters Windows-874 cannot encode (zero-width joiner, BOM, emoji...)."""

    def keep(ch: str) -> bool:
        try:
            ch.encode("cp874")
        except UnicodeEncodeError:
            return False
        return True

    return df.map(lambda s: "".join(ch for ch in s if keep(ch)))


def _csv_text(df: pd.DataFrame, sep: str = ",") -> str:
    return df.to_csv(index=False, sep=sep, lineterminator="\r\n")


def _lines(df: pd.DataFrame) -> list[str]:
    """The CSV lines of ``df`` (header first), without line ends."""
    return _csv_text(df).split("\r\n")[:-1]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _write_xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, table in sheets.items():
        ws = wb.create_sheet(title)
        for r in table:
            ws.append(r)
    wb.save(path)
    return path


def _table(df: pd.DataFrame) -> list[list[str]]:
    return [list(df.columns), *df.to_numpy().tolist()]


def _empty(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", b"")


def _whitespace(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", b"  \r\n\t\r\n   \n\r\n")


def _bom_and_blank_lines(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", b"\xef\xbb\xbf\r\n  \r\n")


def _header_only(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", (_lines(df)[0] + "\r\n").encode("utf-8-sig"))


def _header_and_empty_rows(d: Path, df: pd.DataFrame) -> Path:
    # What a spreadsheet writes for rows that were cleared but not deleted.
    empty = "," * (len(df.columns) - 1)
    text = "\r\n".join([_lines(df)[0], empty, empty, empty]) + "\r\n"
    return _write(d / "survey_export.csv", text.encode("utf-8-sig"))


def _semicolon(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", _csv_text(df, sep=";").encode("utf-8-sig"))


def _tab(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.tsv", _csv_text(df, sep="\t").encode("utf-8"))


def _missing_province(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", _csv_text(df.drop(columns="province")).encode("utf-8-sig"))


def _last_item(df: pd.DataFrame) -> str:
    return [c for c in df.columns if c not in META and c != "comments"][-1]


def _missing_item(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", _csv_text(df.drop(columns=_last_item(df))).encode("utf-8-sig"))


def _no_items(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", _csv_text(df[META]).encode("utf-8-sig"))


def _repeated_column(d: Path, df: pd.DataFrame) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*df.columns, "agency"])
    w.writerows([*r, r[df.columns.get_loc("agency")]] for r in df.to_numpy().tolist())
    return _write(d / "survey_export.csv", buf.getvalue().encode("utf-8-sig"))


def _png(d: Path, df: pd.DataFrame) -> Path:
    # A PNG signature, an IHDR chunk and some binary payload: not text in any encoding.
    data = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
            + bytes(range(256)) * 8)
    return _write(d / "chart.png", data)


def _json(d: Path, df: pd.DataFrame) -> Path:
    text = json.dumps(df.head(3).to_dict("records"), ensure_ascii=False, indent=2)
    return _write(d / "survey_export.json", text.encode("utf-8"))


def _truncated_last_line(d: Path, df: pd.DataFrame) -> Path:
    lines = _lines(df)
    lines[-1] = lines[-1][: len(lines[-1]) // 2]  # the download stopped mid-row
    return _write(d / "survey_export.csv", "\r\n".join(lines).encode("utf-8-sig"))


def _extra_field(d: Path, df: pd.DataFrame) -> Path:
    lines = _lines(df)
    lines[10] += ",extra"  # file line 11
    return _write(d / "survey_export.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def _ragged_after_blank_line(d: Path, df: pd.DataFrame) -> Path:
    lines = _lines(df)
    lines.insert(5, "")  # file line 6 is blank
    lines[21] = lines[21][:100]  # file line 22 is cut short
    return _write(d / "survey_export.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def _truncated_xlsx(d: Path, df: pd.DataFrame) -> Path:
    data = (sample_dir() / "survey_export.xlsx").read_bytes()
    return _write(d / "survey_export.xlsx", data[: len(data) // 2])


def _damaged_sheet_xlsx(d: Path, df: pd.DataFrame) -> Path:
    """An intact zip whose worksheet XML is cut in half (a workbook damaged before zipping)."""
    good = _write_xlsx(d / "good.xlsx", {"responses": _table(df)})
    buf = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            out.writestr(name, data)
    good.unlink()
    return _write(d / "survey_export.xlsx", buf.getvalue())


def _wrong_sheet_xlsx(d: Path, df: pd.DataFrame) -> Path:
    counts = df.groupby("province").size().reset_index(name="responses")
    return _write_xlsx(d / "survey_export.xlsx", {
        "summary": [["province", "responses"], *counts.to_numpy().tolist()],
        "notes": [["note"], ["exported from the dashboard"]],
    })


def _xlsx_header_only(d: Path, df: pd.DataFrame) -> Path:
    return _write_xlsx(d / "survey_export.xlsx", {"responses": [list(df.columns)]})


def _mixed(first: str, rest: str, bom: bool = False) -> Callable[[Path, pd.DataFrame], Path]:
    def make(d: Path, df: pd.DataFrame) -> Path:
        lines = [s + "\r\n" for s in _lines(_cp874_safe(df))]
        data = "".join(lines[:16]).encode(first) + "".join(lines[16:]).encode(rest)
        return _write(d / "survey_export.csv", (b"\xef\xbb\xbf" if bom else b"") + data)

    return make


def _utf16(d: Path, df: pd.DataFrame) -> Path:
    return _write(d / "survey_export.csv", _csv_text(df).encode("utf-16"))  # with its BOM


def _utf16_no_bom(d: Path, df: pd.DataFrame) -> Path:
    plain = df[df.map(lambda s: bool(ASCII_OR_THAI.fullmatch(s))).all(axis=1)]
    return _write(d / "survey_export.csv", _csv_text(plain).encode("utf-16-le"))


def _not_there(d: Path, df: pd.DataFrame) -> Path:
    return d / "survey_export_2568.csv"


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Broken:
    """One kind of broken export and the error it must raise."""

    id: str
    make: Callable[[Path, pd.DataFrame], Path]
    problem: str  # regex searched in ExportError.problem (and in the whole message)
    row: int | None = None
    column: str | None = None
    defect: str | None = None  # the reader does not handle it yet: xfail with this reason


BINARY = r"^not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 \(looks like UTF-16 or binary\)$"
NOT_TEXT = r"^not UTF-8, UTF-8 with BOM or Windows-874/TIS-620 \(byte 0 is 0x"
RAGGED = r"^has \d+ fields where the header has \d+ \(truncated or ragged line\)$"
BAD_XLSX = r"^is not a readable \.xlsx workbook \(truncated or damaged: "

CORPUS = [
    Broken("empty_file", _empty, r"^is empty \(no header, no rows\)$"),
    Broken("whitespace_only", _whitespace, r"^is empty \(no header, no rows\)$"),
    Broken("bom_and_blank_lines", _bom_and_blank_lines, r"^is empty \(no header, no rows\)$"),
    Broken("header_only", _header_only, r"^has a header but no rows$"),
    Broken("header_and_empty_rows", _header_and_empty_rows, r"^has a header but no rows$"),
    Broken("missing_required_column", _missing_province, r"^required columns missing: province \(no header is the "
           r"field's name, .* name them in params/column_map\.yaml\)$", row=1),
    Broken("no_item_column", _no_items, r"^no column matches an item of the questionnaire \(70 items, ", row=1),
    Broken("repeated_column", _repeated_column, r"^column appears twice in the header$", row=1, column="agency"),
    Broken("png_bytes", _png, BINARY),
    Broken("json_text", _json, r"^is not a survey table: the first line has a single column$", row=1),
    Broken("truncated_last_line", _truncated_last_line, RAGGED, row=N_ROWS + 1),
    Broken("extra_field_in_a_row", _extra_field, r"^has \d+ fields where the header has \d+ ", row=11),
    Broken("ragged_row_after_blank_line", _ragged_after_blank_line, RAGGED, row=22),
    Broken("truncated_xlsx", _truncated_xlsx, BAD_XLSX),
    Broken("damaged_sheet_in_intact_xlsx", _damaged_sheet_xlsx, BAD_XLSX),
    Broken("wrong_sheet_xlsx", _wrong_sheet_xlsx,
           r"^no sheet holds the survey table \(a header row with province, agency and questionnaire items\); "
           r"sheets: \['summary', 'notes'\]$"),
    Broken("xlsx_header_only", _xlsx_header_only, r"^sheet 'responses' has a header but no rows$"),
    Broken("mixed_utf8_then_cp874", _mixed("utf-8", "cp874"),
           r"^mixed encodings: some rows are UTF-8 and others are not; re-export the file in one encoding$"),
    Broken("mixed_cp874_then_utf8", _mixed("cp874", "utf-8"), r"^mixed encodings: some rows are UTF-8"),
    Broken("mixed_with_utf8_bom", _mixed("utf-8", "cp874", bom=True),
           r"^starts with a UTF-8 BOM but byte \d+ is not UTF-8 \(mixed encodings\?\)$"),
    Broken("utf16_with_bom", _utf16, BINARY),
    Broken("utf16_without_bom", _utf16_no_bom, BINARY),
    Broken("file_does_not_exist", _not_there, r"^file not found$"),
]


def _params(with_defects: bool) -> list:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.defect)]
                         if (c.defect and with_defects) else []) for c in CORPUS]


def _pattern(case: Broken, df: pd.DataFrame) -> str:
    """The regex for ExportError.problem."""
    return case.problem


def _message(case: Broken, df: pd.DataFrame, bad: Path) -> str:
    """The regex for the whole message: file, row and column, then the problem."""
    where = str(bad)
    if case.row is not None:
        where += f", row {case.row}"
    if case.column is not None:
        where += f", column '{case.column}'"
    return "^" + re.escape(where) + ": " + _pattern(case, df).removeprefix("^")


def _leftovers(root: Path) -> list[str]:
    """Every file, and every hidden (staging) folder, anywhere under ``root``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.join(dirpath, n) for n in filenames]
        found += [os.path.join(dirpath, n) for n in dirnames if n.startswith(".")]
    return found


def test_corpus_covers_distinct_kinds() -> None:
    assert len({c.id for c in CORPUS}) == len(CORPUS) >= 16


@pytest.mark.parametrize("case", _params(with_defects=True))
def test_broken_export_raises_export_error(case: Broken, rows: pd.DataFrame, codebook: Codebook,
                                           tmp_path: Path) -> None:
    bad = case.make(tmp_path, rows)
    with pytest.raises(ExportError, match=_message(case, rows, bad)) as info:
        read_export(bad, codebook)
    e = info.value
    assert re.search(_pattern(case, rows), e.problem), e.problem
    assert e.path == str(bad) and bad.name in str(e)
    assert (e.row, e.column) == (case.row, case.column)


@pytest.mark.parametrize("case", _params(with_defects=True))
def test_read_exports_names_the_broken_file_among_good_ones(case: Broken, rows: pd.DataFrame,
                                                            codebook: Codebook, tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    ok = _write(good / "survey_export.csv", _csv_text(rows).encode("utf-8-sig"))
    bad = case.make(tmp_path, rows)
    with pytest.raises(ExportError, match=_message(case, rows, bad)) as info:
        read_exports([ok, bad], codebook)
    assert info.value.path == str(bad)


@pytest.mark.parametrize("with_good_file", [False, True], ids=["alone", "after_a_good_file"])
@pytest.mark.parametrize("case", _params(with_defects=False))
def test_run_cleaning_writes_nothing_for_a_broken_export(case: Broken, with_good_file: bool,
                                                         rows: pd.DataFrame, codebook: Codebook,
                                                         tmp_path: Path) -> None:
    src = tmp_path / "raw"
    src.mkdir()
    bad = case.make(src, rows)
    paths = [bad]
    if with_good_file:
        paths.insert(0, _write(src / "good.csv", _csv_text(rows).encode("utf-8-sig")))
    outputs = tmp_path / "outputs"
    # A defective case (see CORPUS) raises some other exception; it must still write nothing.
    expected = Exception if case.defect else ExportError
    with pytest.raises(expected) as info:
        run_cleaning(paths, outputs / "clean", codebook=codebook)
    if not case.defect:
        assert info.value.path == str(bad)
    assert _leftovers(outputs) == []
    assert not (outputs / "clean").exists()


def test_run_cleaning_keeps_previous_outputs_when_an_export_is_broken(rows: pd.DataFrame,
                                                                       codebook: Codebook,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "outputs" / "clean"
    out.mkdir(parents=True)
    (out / "clean_responses.csv").write_text("previous run\n", encoding="utf-8")
    bad = _truncated_last_line(tmp_path, rows)
    with pytest.raises(ExportError, match=r"row 31"):
        run_cleaning([bad], out, codebook=codebook)
    assert _leftovers(tmp_path / "outputs") == [str(out / "clean_responses.csv")]
    assert (out / "clean_responses.csv").read_text(encoding="utf-8") == "previous run\n"


def test_xlsx_saved_with_a_csv_name_is_read_or_rejected_cleanly(rows: pd.DataFrame, codebook: Codebook,
                                                                tmp_path: Path) -> None:
    bad = _write_xlsx(tmp_path / "survey_export.csv", {"responses": _table(rows)})
    try:
        df, info = read_export(bad, codebook)
    except ExportError as e:  # rejecting it is acceptable if the message names the file
        assert e.path == str(bad) and bad.name in str(e)
    else:
        assert info.format == "xlsx" and len(df) == N_ROWS


# --------------------------------------------------------------------------- readable variants


def _cells(df: pd.DataFrame, like: pd.DataFrame) -> list[list[str]]:
    return df[list(like.columns)].to_numpy().tolist()


@pytest.fixture
def variants(rows: pd.DataFrame, tmp_path: Path) -> tuple[pd.DataFrame, dict[str, Path]]:
    """The same 30 rows (without characters cp874 lacks) as UTF-8, UTF-8 BOM, cp874 and XLSX."""
    safe = _cp874_safe(rows)
    assert safe.map(lambda s: bool(re.search("[\u0e00-\u0e7f]", s))).to_numpy().sum() > N_ROWS
    text = _csv_text(safe)
    paths = {}
    for name, enc in (("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp874", "cp874")):
        d = tmp_path / name
        d.mkdir()
        paths[name] = _write(d / "survey_export.csv", text.encode(enc))
    d = tmp_path / "xlsx"
    d.mkdir()
    paths["xlsx"] = _write_xlsx(d / "survey_export.xlsx", {"responses": _table(safe)})
    return safe, paths


def test_utf8_without_bom_is_read(rows: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    path = _write(tmp_path / "survey_export.csv", _csv_text(rows).encode("utf-8"))
    df, info = read_export(path, codebook)
    assert (info.format, info.encoding, info.rows) == ("csv", "utf-8", N_ROWS)
    assert _cells(df, rows) == rows.to_numpy().tolist()  # every cell exactly as typed
    assert df["source_row"].tolist() == list(range(2, N_ROWS + 2))


@pytest.mark.parametrize("kind", ["utf-8-sig", "cp874", "xlsx"])
def test_other_encodings_read_the_same_cells_as_utf8(kind: str, variants, codebook: Codebook) -> None:
    safe, paths = variants
    reference, _ = read_export(paths["utf-8"], codebook)
    df, info = read_export(paths[kind], codebook)
    assert info.encoding == kind and info.rows == N_ROWS
    if kind == "xlsx":
        assert (info.format, info.sheet) == ("xlsx", "responses")
    assert _cells(df, safe) == _cells(reference, safe) == safe.to_numpy().tolist()
    thai = df["province"].str.contains("[\u0e00-\u0e7f]", regex=True)
    assert thai.sum() > N_ROWS // 2  # Thai text survived


def test_the_encodings_clean_to_the_same_table(variants, codebook: Codebook, tmp_path: Path) -> None:
    _, paths = variants
    tables = {}
    for kind in ("utf-8", "cp874", "xlsx"):
        result = run_cleaning([paths[kind]], tmp_path / "outputs" / kind, codebook=codebook)
        assert result.log["files"][0]["encoding"] == kind
        tables[kind] = result.clean.drop(columns="source_file")
    assert len(tables["utf-8"]) > 0
    pd.testing.assert_frame_equal(tables["cp874"], tables["utf-8"])
    pd.testing.assert_frame_equal(tables["xlsx"], tables["utf-8"])


def test_cp874_names_with_sequences_that_look_like_utf8_are_read(rows: pd.DataFrame, codebook: Codebook,
                                                                 tmp_path: Path) -> None:
    safe = _cp874_safe(rows).copy()
    safe.loc[:3, "respondent_name"] = ["เนตรนภา ใจดี", "สุเนตร สุขใจ", "เนตรดาว ทองดี", "เนตรชนก ศรีสุข"]
    path = _write(tmp_path / "survey_export.csv", _csv_text(safe).encode("cp874"))
    df, info = read_export(path, codebook)
    assert info.encoding == "cp874"
    assert _cells(df, safe) == safe.to_numpy().tolist()


@pytest.fixture
def blank_province(rows: pd.DataFrame, tmp_path: Path) -> Path:
    return _write(tmp_path / "survey_export.csv", _csv_text(rows.assign(province="")).encode("utf-8-sig"))


@pytest.mark.parametrize("make", [_semicolon, _tab], ids=["semicolon", "tab"])
def test_other_delimiters_are_read(make, rows: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    """Excel in Thai and European locales writes semicolons; a .tsv uses tabs: both are read, and said."""
    df, info = read_export(make(tmp_path, rows), codebook)
    assert _cells(df, rows) == rows.to_numpy().tolist()
    assert any("delimiter" in n for n in info.notes)


def test_a_missing_item_is_reported_not_fatal(rows: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    df, info = read_export(_missing_item(tmp_path, rows), codebook)
    assert info.missing_items == (_last_item(rows),) and (df[_last_item(rows)] == "").all()


def test_blank_province_column_is_not_a_read_error(blank_province: Path, codebook: Codebook) -> None:
    df, info = read_export(blank_province, codebook)
    assert info.rows == N_ROWS
    assert (df["province"] == "").all()


def test_blank_province_column_is_quarantined(blank_province: Path, tmp_path: Path) -> None:
    out = tmp_path / "outputs" / "clean"
    result = run_cleaning([blank_province], out)
    q = result.quarantine
    assert len(result.clean) == 0 and len(result.superseded) == 0
    assert len(q) == N_ROWS
    assert q["reasons"].str.split(";").map(lambda r: "province_blank" in r).all()
    # province_blank is the primary reason unless an earlier one (a test submission) applies
    test_rows = q["reasons"].str.startswith("test_submission")
    assert (q.loc[~test_rows, "primary_reason"] == "province_blank").all()
    assert (q.loc[test_rows, "primary_reason"] == "test_submission").all()
    log = result.log
    assert log["raw_rows"] == N_ROWS
    assert log["raw_rows"] == log["clean_rows"] + log["quarantined_rows"] + log["superseded_rows"]
    assert log["quarantine_reasons"].get("province_blank", 0) == (~test_rows).sum()
    assert (out / "quarantine.csv").is_file() and (out / "cleaning_log.json").is_file()
