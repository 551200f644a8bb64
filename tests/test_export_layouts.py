"""Awkward layouts of real survey exports, each built in tmp_path from sample rows that clean.

Every test writes the same thirty responses (or a part of them) the way some real export or some
researcher's spreadsheet lays them out, and checks the exact outcome: the clean table equals the one
the plain project-layout CSV of the same rows gives (``clean_responses(read_exports([csv]))``,
provenance columns dropped), and what the reader reports about the file (header row, sheets, column
mapping, missing items, notes) is exactly what a person looking at the file would say.

Cases the current code gets wrong are kept, marked ``xfail(strict=True)`` with the defect as reason.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from rapidfuzz import fuzz

from analysis.cleaning.clean import CleanResult, clean_responses, run_cleaning
from analysis.cleaning.columns import header_key, map_columns
from analysis.cleaning.errors import ExportError
from analysis.cleaning.normalise import chosen_options
from analysis.cleaning.reading import ExportInfo, SheetAccount, read_export, read_exports
from analysis.core.paths import sample_dir
from analysis.instrument.codebook import Codebook, Item

N_ROWS = 30
PROVENANCE = ["submission_id", "source_file", "source_row"]
BOM = b"\xef\xbb\xbf"
NO_HEADER = "no header row with province, agency and questionnaire items in its first 30 non-blank rows"
PEOPLE = ["respondent_name", "respondent_position", "respondent_phone", "respondent_email"]


# --------------------------------------------------------------------------- the rows and their clean table


@pytest.fixture(scope="module")
def good(codebook: Codebook) -> pd.DataFrame:
    """Thirty sample rows (project layout, every cell as text) that clean to thirty different
    (province, agency) pairs, as ``test_real_exports.py`` picks them."""
    rows = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw, _ = read_exports([sample_dir() / "survey_export.csv"], codebook)
    ids = clean_responses(raw, codebook).clean["submission_id"].head(N_ROWS).tolist()
    df = rows[rows["submission_id"].isin(ids)].reset_index(drop=True)
    assert len(df) == N_ROWS
    return df


@pytest.fixture(scope="module")
def reference(good: pd.DataFrame, codebook: Codebook, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The clean table of ``good`` written as a plain project-layout CSV, provenance dropped."""
    res = _reference_result(good, codebook, tmp_path_factory.mktemp("reference"))
    assert len(res.clean) == N_ROWS and len(res.quarantine) == len(res.superseded) == 0
    return _expected(res)


def _reference_result(df: pd.DataFrame, codebook: Codebook, folder: Path) -> CleanResult:
    folder.mkdir(parents=True, exist_ok=True)
    res, _ = _clean([_csv(df, folder / "reference.csv")], codebook)
    return res


def _expected(res: CleanResult) -> pd.DataFrame:
    return res.clean.drop(columns=PROVENANCE)


def _clean(paths: list[Path], codebook: Codebook, column_map: Path | None = None
           ) -> tuple[CleanResult, list[ExportInfo]]:
    raw, infos = read_exports(paths, codebook, column_map=column_map)
    return clean_responses(raw, codebook), infos


def _assert_same_table(res: CleanResult, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(res.clean.drop(columns=PROVENANCE), expected)


def _assert_accounted(res: CleanResult, info: ExportInfo) -> None:
    """Every raw row ends clean, quarantined or superseded, and the sheets' data rows are the raw rows."""
    log = res.log
    assert log["raw_rows"] == log["clean_rows"] + log["quarantined_rows"] + log["superseded_rows"]
    assert log["raw_rows"] == len(res.clean) + len(res.quarantine) + len(res.superseded)
    assert sum(a.data_rows for a in info.sheets) == log["raw_rows"] == info.rows


# --------------------------------------------------------------------------- writing files


def _csv(df: pd.DataFrame, path: Path, *, prefix: bytes = b"", header: list[str] | None = None) -> Path:
    """``df`` as a UTF-8 CSV (CRLF), under ``header`` if given, after ``prefix`` bytes (BOMs, a sep= line)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header if header is not None else list(df.columns))
    w.writerows(df.to_numpy().tolist())
    path.write_bytes(prefix + buf.getvalue().encode("utf-8"))
    return path


def _table(df: pd.DataFrame) -> list[list[object]]:
    return [list(df.columns), *df.to_numpy().tolist()]


def _workbook(sheets: dict[str, list[list[object]]]) -> Workbook:
    """A workbook with one sheet per entry, each row appended as given (``[]`` is a blank row)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    return wb


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    _workbook(sheets).save(path)
    return path


def _sheet_rows(path: Path, sheet: str) -> int:
    """How many rows a sheet has, as Excel counts them (up to its last used row)."""
    wb = load_workbook(path)
    try:
        return wb[sheet].max_row
    finally:
        wb.close()


def _patch_zip(path: Path, member: str, edit: dict[str, str]) -> None:
    """Rewrite one member of a ZIP package, replacing text (each ``old`` must be there)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    text = members[member].decode("utf-8")
    for old, new in edit.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    members[member] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _mapping_file(path: Path, columns: dict[str, str]) -> Path:
    lines = ["columns:", *(f'  "{k}": {v}' for k, v in columns.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row_of(info: ExportInfo, source: str) -> pd.Series:
    """The mapping row of the column headed ``source`` (as cleaned)."""
    rows = info.mapping[info.mapping["source"] == source]
    assert len(rows) == 1, (source, rows)
    return rows.iloc[0]


# --------------------------------------------------------------------------- KoboToolbox-like tables


def _pillars(codebook: Codebook) -> dict[str, str]:
    return {it.id: p.id for p in codebook.pillars for ind in p.indicators for it in ind.items}


def _kobo_cells(item: Item, text: str) -> list[str]:
    """A select_multiple as Kobo writes it: option codes with spaces, then 1/0 per option (blank: unanswered)."""
    opts = [o.code for o in item.options or []]
    chosen = chosen_options(item, text)
    if chosen is None:
        return [text, *[""] * len(opts)]
    return [" ".join(c for c in opts if c in chosen), *("1" if c in chosen else "0" for c in opts)]


def _kobo_frame(df: pd.DataFrame, codebook: Codebook, times: list[str]) -> pd.DataFrame:
    """``df`` in a KoboToolbox-like layout: ``_uuid``, ``_submission_time`` (``times``, UTC), the fields by
    name, ``group/item`` per item with ``group/item/option`` columns after each select_multiple."""
    pillar = _pillars(codebook)
    out: dict[str, list[str]] = {
        "_uuid": [str(uuid.uuid5(uuid.NAMESPACE_URL, "dgr-test/" + s)) for s in df["submission_id"]],
        "_submission_time": times,
        **{c: df[c].tolist() for c in ["province", "agency", *PEOPLE]},
    }
    for it in codebook.items:
        name = f"{pillar[it.id]}/{it.id}"
        if it.type != "multi_select":
            out[name] = df[it.id].tolist()
            continue
        cells = [_kobo_cells(it, t) for t in df[it.id]]
        out[name] = [c[0] for c in cells]
        for k, o in enumerate(it.options or [], start=1):
            out[f"{name}/{o.code}"] = [c[k] for c in cells]
    out["comments"] = df["comments"].tolist()
    return pd.DataFrame(out, dtype=object)


def _utc_text(local: pd.Series) -> list[str]:
    """Bangkok local times as the UTC text KoboToolbox writes in ``_submission_time``."""
    return [(t - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S") for t in local]


# --------------------------------------------------------------------------- 1-3: workbooks


def test_xlsx_with_title_rows_and_a_blank_row_above_the_header(good, reference, codebook, tmp_path) -> None:
    """A report workbook a provincial office saves by hand: a survey title, an export date, a blank row,
    then the header on row 4."""
    titles = [["แบบสำรวจความพร้อมรัฐบาลดิจิทัล ระดับจังหวัด ปี 2561"], ["ส่งออกเมื่อ 1 สิงหาคม 2561"], []]
    path = _xlsx(tmp_path / "รายงาน.xlsx", {"ข้อมูล": [*titles, *_table(good)]})
    res, (info,) = _clean([path], codebook)
    assert info.sheets == (SheetAccount("ข้อมูล", "data", "", header_row=4, title_rows=2, blank_rows=1,
                                        data_rows=N_ROWS),)
    a = info.sheets[0]
    assert a.title_rows + a.blank_rows + 1 + a.data_rows == _sheet_rows(path, "ข้อมูล") == 3 + 1 + N_ROWS
    assert (info.format, info.sheet, info.rows) == ("xlsx", "ข้อมูล", N_ROWS)
    assert sorted(res.clean["source_row"]) == list(range(5, 5 + N_ROWS))  # the rows Excel shows
    _assert_same_table(res, reference)
    _assert_accounted(res, info)


def test_xlsx_whose_first_sheet_is_an_empty_template(good, reference, codebook, tmp_path) -> None:
    """A workbook whose first sheet is the blank response template (header, no rows), the responses on
    the second sheet and notes on the third, as a coordinator circulates it."""
    notes = [["หมายเหตุ"], ["ข้อมูลนี้ส่งออกจากระบบแบบสำรวจ"], ["ติดต่อ: สำนักงานสถิติจังหวัด"]]
    path = _xlsx(tmp_path / "export.xlsx", {"แม่แบบ": [list(good.columns)], "คำตอบ": _table(good), "หมายเหตุ": notes})
    res, (info,) = _clean([path], codebook)
    assert info.sheets == (
        SheetAccount("แม่แบบ", "skipped", "a header but no rows", header_row=1, title_rows=0, blank_rows=0,
                     data_rows=0),
        SheetAccount("คำตอบ", "data", "", header_row=1, title_rows=0, blank_rows=0, data_rows=N_ROWS),
        SheetAccount("หมายเหตุ", "skipped", NO_HEADER, header_row=None, title_rows=3, blank_rows=0, data_rows=0),
    )
    assert info.sheet == "คำตอบ" and info.rows == N_ROWS
    assert set(res.clean["source_file"]) == {"export.xlsx"}  # one data sheet: the file name alone
    assert set(info.mapping["sheet"]) == {"คำตอบ"}
    _assert_same_table(res, reference)
    _assert_accounted(res, info)


def test_xlsx_with_the_data_split_over_two_sheets(good, reference, codebook, tmp_path) -> None:
    """Responses pasted week by week into sheets "สัปดาห์ 1" and "สัปดาห์ 2" of one workbook."""
    weeks = {"สัปดาห์ 1": good.iloc[:12], "สัปดาห์ 2": good.iloc[12:]}
    path = _xlsx(tmp_path / "รวม.xlsx", {name: _table(part) for name, part in weeks.items()})
    raw, (info,) = read_exports([path], codebook)
    assert len(raw) == 12 + 18 == N_ROWS
    assert raw["source_file"].tolist() == ["รวม.xlsx [สัปดาห์ 1]"] * 12 + ["รวม.xlsx [สัปดาห์ 2]"] * 18
    assert raw["source_row"].tolist() == [*range(2, 14), *range(2, 20)]
    assert [(a.sheet, a.status, a.data_rows) for a in info.sheets] == [("สัปดาห์ 1", "data", 12),
                                                                       ("สัปดาห์ 2", "data", 18)]
    assert info.sheet == "สัปดาห์ 1, สัปดาห์ 2"
    res = clean_responses(raw, codebook)
    _assert_same_table(res, reference)
    _assert_accounted(res, info)


# --------------------------------------------------------------------------- 4-5: cell types


def _cell_column(df: pd.DataFrame, item_id: str) -> int:
    return df.columns.get_loc(item_id) + 1


def test_percent_stored_as_a_fraction_with_a_percent_format(good, codebook, tmp_path) -> None:
    """Excel stores a typed "54%" as 0.54 with number format 0%: the answer is 54, not 0.54."""
    item = next(it.id for it in codebook.items if it.type == "percent")
    wb = _workbook({"responses": _table(good)})
    cell = wb["responses"].cell(row=2, column=_cell_column(good, item), value=0.54)
    cell.number_format = "0%"
    wb.save(tmp_path / "x.xlsx")
    res, _ = _clean([tmp_path / "x.xlsx"], codebook)
    expected = _expected(_reference_result(good.assign(**{item: good[item].mask(good.index == 0, "54%")}),
                                           codebook, tmp_path / "ref"))
    _assert_same_table(res, expected)
    code = res.clean.set_index("submission_id").loc[good.loc[0, "submission_id"], item]
    assert code == 54.0


def test_likert_cell_holding_a_formula_with_a_cached_value(good, codebook, tmp_path) -> None:
    """A coordinator rounded a typed 3.6 with =ROUND(3.6,0); Excel saved the result 4 beside the formula."""
    item = next(it.id for it in codebook.items if it.type == "likert")
    wb = _workbook({"responses": _table(good)})
    wb["responses"].cell(row=2, column=_cell_column(good, item), value="=ROUND(3.6,0)")
    path = tmp_path / "x.xlsx"
    wb.save(path)
    _patch_zip(path, "xl/worksheets/sheet1.xml", {"<f>ROUND(3.6,0)</f><v />": "<f>ROUND(3.6,0)</f><v>4</v>"})
    res, (info,) = _clean([path], codebook)
    assert info.notes == ("read 1 formula cell as their cached values (formulas are never evaluated)",)
    expected = _expected(_reference_result(good.assign(**{item: good[item].mask(good.index == 0, "4")}),
                                           codebook, tmp_path / "ref"))
    _assert_same_table(res, expected)
    assert res.clean.set_index("submission_id").loc[good.loc[0, "submission_id"], item] == 4.0


# --------------------------------------------------------------------------- 6-7: CSV quirks


def test_csv_headers_in_upper_case_with_invisible_and_required_marks(good, reference, codebook, tmp_path) -> None:
    """Headers typed in capitals, one with a zero-width space pasted in, one with the form's required
    mark ``*``, and three empty columns a spreadsheet left at the right."""
    header = [c.upper() for c in good.columns]
    header[header.index("PROVINCE")] = "PROV\u200bINCE"
    header[header.index("AGENCY")] = "AGENCY *"
    df = good.assign(**{f"_blank{i}": "" for i in range(3)})
    path = _csv(df, tmp_path / "x.csv", header=[*header, "", "", ""])
    res, (info,) = _clean([path], codebook)
    _assert_same_table(res, reference)
    m = info.mapping
    assert len(m) == len(good.columns)  # the three empty columns are trimmed
    assert m["kind"].isin(["item", "field"]).all()
    # item ids are names in any case; a field written otherwise than its name is a label like "จังหวัด"
    assert (m.loc[m["kind"] == "item", "method"] == "name").all()
    assert (m.loc[m["kind"] == "field", "method"] == "label").all()
    assert _row_of(info, "PROVINCE")["target"] == "province"  # the zero-width space is gone
    assert _row_of(info, "AGENCY *")["target"] == "agency"
    assert info.missing_items == () and info.notes == ()


@pytest.mark.parametrize(("prefix", "first_row", "note"), [
    (b"sep=,\r\n", 3, "skipped an Excel 'sep=,' line"),
    (BOM + BOM, 2, "removed 1 extra BOM at the start of the file"),
], ids=["excel_sep_line", "doubled_bom"])
def test_csv_with_a_sep_line_or_a_doubled_bom(prefix, first_row, note, good, reference, codebook, tmp_path) -> None:
    """Excel's "sep=," first line (written so Excel opens a CSV in any locale), and a BOM written twice by
    a tool that adds one to text that already has one."""
    path = _csv(good, tmp_path / "x.csv", prefix=prefix)
    raw, (info,) = read_exports([path], codebook)
    assert raw["source_row"].tolist() == list(range(first_row, first_row + N_ROWS))  # lines a text editor shows
    assert info.notes == (note,)
    assert info.encoding == ("utf-8-sig" if prefix.startswith(BOM) else "utf-8")
    _assert_same_table(clean_responses(raw, codebook), reference)


# --------------------------------------------------------------------------- 8-11: headers


def _numbered(n: int, text: str) -> str:
    return f"Q{n}. {text}" if n % 2 else f"{n}) {text}"


def test_google_forms_english_question_texts(good, reference, codebook, tmp_path) -> None:
    """A Google Form in English: Timestamp and Email Address from the platform, the form's own questions
    (Province, Agency, Name ...), each item headed by its numbered question text; no submission id."""
    meta = {"submitted_at": "Timestamp", "respondent_email": "Email Address", "province": "Province",
            "agency": "Agency", "respondent_name": "Name", "respondent_position": "Position",
            "respondent_phone": "Phone number"}
    items = [_numbered(n, it.text_en) for n, it in enumerate(codebook.items, start=1)]
    df = good[[*meta, *codebook.item_ids, "comments"]]
    path = _csv(df, tmp_path / "responses.csv", header=[*meta.values(), *items, "Comments"])
    res, (info,) = _clean([path], codebook)
    _assert_same_table(res, reference)
    assert info.platform == "google_forms"
    m = info.mapping.set_index("source")
    assert m.loc[["Timestamp", "Email Address"], "method"].tolist() == ["platform metadata"] * 2
    # "Province", "Agency" and "Comments" are the fields' names but for case: labels, as "จังหวัด" is
    assert m.loc[["Province", "Agency", "Comments", "Name", "Position", "Phone number"], "method"].tolist() == [
        "label"] * 6
    assert m.loc[items, "method"].tolist() == ["question text"] * len(items)
    assert m.loc[items, "target"].tolist() == codebook.item_ids
    assert set(m["method"]) == {"question text", "label", "platform metadata"}
    assert m["kind"].isin(["item", "field"]).all() and info.missing_items == ()
    assert res.log["rules"]["submission_ids"] == {"stand_in": N_ROWS}


def test_a_typo_in_a_long_thai_question_text(good, reference, codebook, tmp_path) -> None:
    """A form editor retyped one question and wrote "ดิจิตัล" for "ดิจิทัล": one character differs."""
    item = codebook.item("p1_1_2")
    typo = item.text_th.replace("ดิจิทัล", "ดิจิตัล", 1)
    assert typo != item.text_th and len(typo) == len(item.text_th)
    header = [typo if c == item.id else c for c in good.columns]
    res, (info,) = _clean([_csv(good, tmp_path / "x.csv", header=header)], codebook)
    row = _row_of(info, typo)
    similarity = fuzz.ratio(header_key(typo), header_key(item.text_th))
    assert (row["kind"], row["target"], row["method"]) == ("item", "p1_1_2", "question text, close match")
    assert row["detail"] == f"similarity {similarity:.0f}" and similarity >= 92
    _assert_same_table(res, reference)


def _two_province_columns(good: pd.DataFrame, path: Path) -> Path:
    """The rows with the province under "จังหวัด" and a second "Province" column holding another province."""
    return _csv(good.rename(columns={"province": "จังหวัด"}).assign(Province="กรุงเทพมหานคร"), path)


def test_two_province_columns_are_an_error(good, codebook, tmp_path) -> None:
    """A form that asked the province twice ("จังหวัด" and a later English "Province"): which one holds the
    respondent's province is the researcher's call, so reading stops and names both columns."""
    path = _two_province_columns(good, tmp_path / "x.csv")
    with pytest.raises(ExportError) as e:
        read_export(path, codebook, column_map=_mapping_file(tmp_path / "none.yaml", {}))
    assert (e.value.path, e.value.row) == (str(path), 1)
    assert e.value.problem == (f"several columns match 'province': column 3 'จังหวัด' (label); column "
                               f"{len(good.columns) + 1} 'Province' (label). Say which to read in "
                               "params/column_map.yaml (columns: {'<header>': province}, the others: ignore)")


def test_two_province_columns_settled_by_the_mapping_file(good, reference, codebook, tmp_path) -> None:
    """The same form, with a mapping file saying ``"Province": ignore``: the Thai column is read."""
    path = _two_province_columns(good, tmp_path / "x.csv")
    mapping = _mapping_file(tmp_path / "column_map.yaml", {"Province": "ignore"})
    res, (info,) = _clean([path], codebook, column_map=mapping)
    _assert_same_table(res, reference)  # read from จังหวัด: no row went to Bangkok
    ignored = _row_of(info, "Province")
    assert (ignored["kind"], ignored["method"], ignored["detail"]) == ("ignore", "mapping file",
                                                                       "ignored by the mapping file")
    assert (_row_of(info, "จังหวัด")["target"], _row_of(info, "จังหวัด")["method"]) == ("province", "label")


def test_the_mapping_file_names_an_odd_header(good, reference, codebook, tmp_path) -> None:
    """A form whose first question was reworded ("หน่วยงานของท่านมีแผนดิจิทัลหรือไม่"): unmatched without the
    mapping file, read as p1_1_1 with it."""
    odd = "หน่วยงานของท่านมีแผนดิจิทัลหรือไม่"
    path = _csv(good, tmp_path / "x.csv", header=[odd if c == "p1_1_1" else c for c in good.columns])
    _, plain = read_export(path, codebook, column_map=_mapping_file(tmp_path / "none.yaml", {}))
    assert plain.missing_items == ("p1_1_1",) and _row_of(plain, odd)["kind"] == "none"
    mapping = _mapping_file(tmp_path / "column_map.yaml", {odd: "p1_1_1"})
    res, (info,) = _clean([path], codebook, column_map=mapping)
    row = _row_of(info, odd)
    assert (row["kind"], row["target"], row["method"]) == ("item", "p1_1_1", "mapping file")
    assert info.missing_items == ()
    _assert_same_table(res, reference)


# --------------------------------------------------------------------------- 12: personal data


def _output_texts(folder: Path) -> dict[str, str]:
    """Every output file as text: CSV and JSON as written, Parquet as its bytes and as its table in CSV."""
    texts = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        text = p.read_bytes().decode("utf-8", errors="replace")
        if p.suffix == ".parquet":
            text += pd.read_parquet(p).to_csv(index=False)
        texts[p.name] = text
    return texts


def test_personal_data_columns_added_by_the_form_never_reach_the_outputs(good, reference, codebook,
                                                                        tmp_path) -> None:
    """A form that also asked for a LINE ID and the national ID number: neither column is read, and no
    output file holds any of their values."""
    line_ids = [f"line.somchai.{i:03d}" for i in range(N_ROWS)]
    national = [f"31005{i:08d}" for i in range(N_ROWS)]
    df = good.assign(**{"LINE ID": line_ids, "เลขบัตรประชาชน": national})
    path = _csv(df, tmp_path / "raw.csv")
    raw, (info,) = read_exports([path], codebook)
    for header in ("LINE ID", "เลขบัตรประชาชน"):
        assert (_row_of(info, header)["kind"], _row_of(info, header)["target"]) == ("none", "")
    assert not raw.isin([*line_ids, *national]).any().any()
    out = tmp_path / "outputs" / "clean"
    res = run_cleaning([path], out, codebook)
    _assert_same_table(res, reference)
    assert res.log["files"][0]["columns_unmatched"] == ["LINE ID", "เลขบัตรประชาชน"]
    texts = _output_texts(out)
    assert {"clean_responses.csv", "clean_responses.parquet", "cleaning_log.json", "column_mapping.csv"} <= set(texts)
    first_id = good.loc[0, "submission_id"]  # the search does see into each file, Parquet included
    assert first_id in texts["clean_responses.csv"] and first_id in texts["clean_responses.parquet"]
    leaks = [(name, v) for name, text in texts.items() for v in (*line_ids, *national) if v in text]
    assert leaks == []


# --------------------------------------------------------------------------- 13-14: KoboToolbox


def test_kobo_multi_select_whose_option_columns_disagree_with_the_main_column(good, codebook, tmp_path) -> None:
    """A KoboToolbox export edited by hand: the select_multiple's main cell says two options, its option
    columns say one. The answer is flagged with both forms in its text, the rest of the row is clean."""
    ref = _reference_result(good.assign(p1_2_4=good["p1_2_4"].mask(good.index == 0, "ไม่ทราบ")), codebook,
                            tmp_path / "ref")  # the same row with an unrecognised p1_2_4
    times = _utc_text(ref.clean.set_index("submission_id").loc[good["submission_id"], "submitted_at"])
    kobo = _kobo_frame(good, codebook, times)
    kobo.loc[0, "P1/p1_2_4"] = "steering_committee project_prioritisation"
    option_columns = [f"P1/p1_2_4/{o.code}" for o in codebook.item("p1_2_4").options or []]
    kobo.loc[0, option_columns] = "0"
    kobo.loc[0, "P1/p1_2_4/steering_committee"] = "1"
    res, (info,) = _clean([_csv(kobo, tmp_path / "kobo.csv")], codebook)
    assert info.platform == "kobotoolbox"
    answer = "steering_committee project_prioritisation ≠ option columns: steering_committee"
    flags = res.answer_flags.drop(columns="submission_id")
    unrecognised = flags["flag"] == "unrecognised"
    assert flags[unrecognised].to_dict("records") == [
        {"source_row": 2, "item": "p1_2_4", "answer": answer, "flag": "unrecognised", "row_status": "clean"}]
    ref_flags = ref.answer_flags.drop(columns="submission_id")  # the sample's own out-of-range answers
    pd.testing.assert_frame_equal(flags[~unrecognised].reset_index(drop=True),
                                  ref_flags[ref_flags["flag"] != "unrecognised"].reset_index(drop=True))
    _assert_same_table(res, _expected(ref))
    assert res.clean["n_unrecognised"].sum() == 1 and len(res.clean) == N_ROWS


def _weekly_times(n: int) -> list[str]:
    start = datetime(2018, 7, 2, 1, 0, 0)
    return [(start + timedelta(hours=5 * i)).strftime("%Y-%m-%dT%H:%M:%S") for i in range(n)]


def test_cumulative_weekly_kobo_exports_keep_the_edited_submission(good, codebook, tmp_path) -> None:
    """KoboToolbox exports downloaded each week: week 2 repeats week 1, adds new submissions, and holds one
    submission edited after week 1 (a later ``_submission_time``, in UTC as Kobo writes it)."""
    week2 = _kobo_frame(good, codebook, _weekly_times(N_ROWS))
    week1 = week2.iloc[:20].copy()
    week2.loc[3, ["_submission_time", "comments"]] = ["2018-08-01T03:00:00", "แก้ไขแล้ว"]
    paths = [_csv(week1, tmp_path / "kobo_week1.csv"), _csv(week2, tmp_path / "kobo_week2.csv")]
    res, infos = _clean(paths, codebook)
    assert [i.platform for i in infos] == ["kobotoolbox"] * 2
    assert (len(res.clean), len(res.quarantine), len(res.superseded)) == (N_ROWS, 0, 20)
    sup = res.superseded.set_index("source_row")
    assert sup.loc[5, "decided_by"] == "later_time"  # week 1's line 5 is the edited submission
    assert sup["decided_by"].value_counts().to_dict() == {"later_file": 19, "later_time": 1}
    assert (sup["source_file"] == "kobo_week1.csv").all() and (sup["superseded_by"] == sup["submission_id"]).all()
    clean = res.clean.set_index("submission_id")
    edited = clean.loc[week2.loc[3, "_uuid"]]
    assert (edited["comments"], edited["source_file"], edited["source_row"]) == ("แก้ไขแล้ว", "kobo_week2.csv", 5)
    written = pd.to_datetime(week2.set_index("_uuid")["_submission_time"]).reindex(clean.index)
    assert (clean["submitted_at"] - written == pd.Timedelta(hours=7)).all()
    assert edited["submitted_at"] == pd.Timestamp("2018-08-01 10:00:00")
    assert res.log["rules"]["submission_ids"] == {"given": N_ROWS + 20}


# --------------------------------------------------------------------------- 15-16: absent columns


def test_an_export_without_times_or_ids(good, reference, codebook, tmp_path) -> None:
    """A hand-made spreadsheet with neither a submission id nor a time column."""
    path = _csv(good.drop(columns=["submission_id", "submitted_at"]), tmp_path / "manual.csv")
    res, (info,) = _clean([path], codebook)
    assert set(res.clean["submission_id"]) == {f"manual.csv#r{r}" for r in range(2, 2 + N_ROWS)}
    assert res.log["rules"]["submission_ids"] == {"stand_in": N_ROWS}
    assert res.clean["submitted_at"].isna().all() and info.missing_items == ()
    pd.testing.assert_frame_equal(res.clean.drop(columns=[*PROVENANCE, "submitted_at"]),
                                  reference.drop(columns="submitted_at"))


def test_five_item_columns_removed(good, codebook, tmp_path) -> None:
    """An export of an older form version without five questions: read, the five reported missing,
    their codes all NaN."""
    removed = ["p1_1_1", "p1_2_3", "p1_2_4", "p2_1_1", "p6_4_1"]  # none likert or maturity: no straight-lining
    path = _csv(good.drop(columns=removed), tmp_path / "x.csv")
    res, (info,) = _clean([path], codebook)
    assert info.missing_items == tuple(removed)
    assert res.clean[removed].isna().all().all() and len(res.clean) == N_ROWS
    expected = _expected(_reference_result(good.assign(**dict.fromkeys(removed, "")), codebook, tmp_path / "ref"))
    _assert_same_table(res, expected)
    assert res.log["rules"]["answers_blank_in_clean_rows"] >= 5 * N_ROWS


# --------------------------------------------------------------------------- 17: competing columns


def _headers(*items: str) -> list[str]:
    return ["province", "agency", *items]


def test_a_group_path_and_a_plain_name_for_one_item(codebook) -> None:
    """A Kobo export with a column renamed by hand to the plain item name next to the group path: the
    plain name wins, and the group-path column is listed as not read, naming the winner."""
    for headers, winner, loser in [(_headers("P1/p1_1_1", "p1_1_1"), 4, 3), (_headers("p1_1_1", "P1/p1_1_1"), 3, 4)]:
        cm = map_columns(headers, codebook, overrides={})
        t = cm.table.set_index("position")
        assert (t.loc[winner, "kind"], t.loc[winner, "target"], t.loc[winner, "method"]) == ("item", "p1_1_1", "name")
        assert t.loc[loser].to_dict() == {
            "source": "P1/p1_1_1", "kind": "ignore", "target": "", "option": "", "method": "group path",
            "detail": f"'p1_1_1' is read from column {winner} 'p1_1_1' (name)"}
        assert cm.source_of("p1_1_1") == winner - 1
        assert cm.missing_items == codebook.item_ids[1:]


def test_two_group_paths_for_one_item_are_an_error(codebook) -> None:
    """Kobo's "/" and ODK's "-" group paths of the same item in one header row: equal standing, an error."""
    with pytest.raises(ExportError) as e:
        map_columns(_headers("P1/p1_1_1", "P1-p1_1_1"), codebook, path="x.csv", row=1, overrides={})
    assert e.value.problem == ("several columns match 'p1_1_1': column 3 'P1/p1_1_1' (group path); column 4 "
                               "'P1-p1_1_1' (group path). Say which to read in params/column_map.yaml "
                               "(columns: {'<header>': p1_1_1}, the others: ignore)")


def test_the_same_header_twice_is_an_error(good, codebook, tmp_path) -> None:
    """A column copied next to itself in a spreadsheet: two identical "P1/p1_1_1" headers."""
    df = good.rename(columns={"p1_1_1": "P1/p1_1_1"})
    df.insert(df.columns.get_loc("P1/p1_1_1") + 1, "copy", df["P1/p1_1_1"])
    path = _csv(df, tmp_path / "x.csv", header=[c if c != "copy" else "P1/p1_1_1" for c in df.columns])
    with pytest.raises(ExportError) as e:
        read_export(path, codebook)
    assert (e.value.problem, e.value.row, e.value.column) == ("column appears twice in the header", 1, "P1/p1_1_1")


def test_a_header_close_to_two_question_texts(good, reference, codebook, tmp_path) -> None:
    """A reworded maturity question ("การบริหารจัดการข้อมูลภายใน") close to both p4_1_3 ("...ข้อมูล...") and
    p3_1_4 ("...เอกสารภายใน..."): never guessed; the mapping file settles it."""
    odd = "ระดับขั้นใดอธิบายการบริหารจัดการข้อมูลภายในของหน่วยงานได้ดีที่สุด"
    path = _csv(good, tmp_path / "x.csv", header=[odd if c == "p4_1_3" else c for c in good.columns])
    with pytest.raises(ExportError) as e:
        read_export(path, codebook, column_map=_mapping_file(tmp_path / "none.yaml", {}))
    assert (e.value.row, e.value.column) == (1, odd)
    assert e.value.problem == (f"header '{odd}' fits several items (p3_1_4, p4_1_3); say which it is in "
                               "params/column_map.yaml")
    res, (info,) = _clean([path], codebook, column_map=_mapping_file(tmp_path / "map.yaml", {odd: "p4_1_3"}))
    assert (_row_of(info, odd)["target"], _row_of(info, odd)["method"]) == ("p4_1_3", "mapping file")
    _assert_same_table(res, reference)

